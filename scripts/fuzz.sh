#!/bin/sh
# npm run fuzz: a long seeded run of test/fuzz.test.ts against the real Worker.
#   FUZZ_CASES  cases in all (5000)        FUZZ_SEED   seed (the current time; printed)
#   FUZZ_CHUNK  cases per vitest process (800)
# The cases run in chunks, one vitest process each: @cloudflare/vitest-pool-workers 0.15 wraps the
# Worker's prototype in one more Proxy per request (workers-sdk#15092, fixed upstream), so a single
# process slows down quadratically and overflows its stack after about 1,700 requests.
# VITEST_ARGS is passed on to vitest (for example a --config). Every chunk runs; the exit status is
# that of the first chunk that failed.
set -u
cd "$(dirname "$0")/.."
cases=${FUZZ_CASES:-5000}
seed=${FUZZ_SEED:-$(date +%s)}
chunk=${FUZZ_CHUNK:-800}
echo "fuzz: seed $seed, $cases cases, $chunk per process"
status=0
from=0
while [ "$from" -lt "$cases" ]; do
  n=$((cases - from))
  [ "$n" -gt "$chunk" ] && n=$chunk
  # shellcheck disable=SC2086
  FUZZ_SEED=$seed FUZZ_FROM=$from FUZZ_CASES=$n npx vitest run --project workers ${VITEST_ARGS:-} test/fuzz.test.ts
  rc=$?
  [ "$status" -eq 0 ] && status=$rc
  from=$((from + n))
done
echo "fuzz: seed $seed, cases 0..$((cases - 1)): $([ "$status" -eq 0 ] && echo passed || echo FAILED)"
exit "$status"
