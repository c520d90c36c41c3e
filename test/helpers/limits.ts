/**
 * Rate limits the test pool gives the RATE_LIMIT_* bindings (vitest.config.ts): the per-key limit
 * is lowered from the deployed 1,200/min so the test reaches it quickly; the per-client limit is
 * the deployed one.
 */
export const TEST_RATE_LIMITS = {
  RATE_LIMIT_KEY: { simple: { limit: 150, period: 60 } },
  RATE_LIMIT_CLIENT: { simple: { limit: 60, period: 60 } },
} as const;

/**
 * The rate-limit bindings count in fixed windows (`floor(now / period)`; Miniflare and the deployed
 * binding alike), so a test that must reach a limit inside one window waits for the next window
 * when fewer than `marginMs` are left in the current one.
 */
export async function roomInRateLimitWindow(periodS: number, marginMs = 15_000): Promise<void> {
  const periodMs = periodS * 1000;
  const left = periodMs - (Date.now() % periodMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 100));
}
