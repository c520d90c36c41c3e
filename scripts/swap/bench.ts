// Latency: every model in one process, interleaved round by round (the starting model rotates),
// after warm-up; each run timed with performance.now() and the process CPU clock.

import { quantile } from "./metrics";

export interface BenchTarget {
  id: string;
  /** one inference on a fixed input */
  run: () => Promise<unknown>;
}

export interface LatencyStats {
  runs: number;
  p50: number;
  p95: number;
  p5: number;
  p25: number;
  p75: number;
  mean: number;
  min: number;
  max: number;
  /** mean process CPU milliseconds per run (user + system) */
  cpuMs: number;
  /** all timed runs, ms, in order */
  samples: number[];
}

export async function benchmark(targets: BenchTarget[], opts: { warmup: number; runs: number; onRound?: (r: number) => void }): Promise<Map<string, LatencyStats>> {
  for (let w = 0; w < opts.warmup; w++) for (const t of targets) await t.run();
  const wall = new Map<string, number[]>(targets.map((t) => [t.id, []]));
  const cpu = new Map<string, number>(targets.map((t) => [t.id, 0]));
  for (let r = 0; r < opts.runs; r++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(r + k) % targets.length]!;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await t.run();
      const t1 = performance.now();
      const c1 = process.cpuUsage(c0);
      wall.get(t.id)!.push(t1 - t0);
      cpu.set(t.id, cpu.get(t.id)! + (c1.user + c1.system) / 1000);
    }
    opts.onRound?.(r);
  }
  const out = new Map<string, LatencyStats>();
  for (const t of targets) {
    const samples = wall.get(t.id)!;
    const s = [...samples].sort((a, b) => a - b);
    out.set(t.id, {
      runs: s.length,
      p50: quantile(s, 0.5),
      p95: quantile(s, 0.95),
      p5: quantile(s, 0.05),
      p25: quantile(s, 0.25),
      p75: quantile(s, 0.75),
      mean: s.reduce((a, v) => a + v, 0) / s.length,
      min: s[0]!,
      max: s[s.length - 1]!,
      cpuMs: cpu.get(t.id)! / s.length,
      samples,
    });
  }
  return out;
}
