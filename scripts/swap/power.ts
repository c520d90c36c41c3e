// Energy per inference, the two estimates of DESIGN.md §4.

export const POWER_CONSTANTS = {
  /** Horowitz, ISSCC 2014, 45 nm: fp32 multiply 3.7 pJ + add 0.9 pJ */
  fp32MacPj: 4.6,
  /** Horowitz, ISSCC 2014, 45 nm: int8 multiply 0.2 pJ + add 0.03 pJ */
  int8MacPj: 0.23,
  /** Horowitz, ISSCC 2014: DRAM access, per byte (~640 pJ per 32-bit word) */
  dramPjPerByte: 160,
  /** weight bytes moved per parameter by dtype: every weight read once per frame from DRAM */
  bytesPerParam: { fp32: 4, int8: 1 } as Record<string, number>,
  /**
   * Assumed power of one busy CPU core running the single-threaded wasm backend, in watts: a
   * server package of ~160-320 W spread over 32-64 cores. An assumption, not a measurement.
   */
  cpuCoreWatts: 5,
} as const;

export interface EnergyEstimate {
  /** MACs x pJ/MAC(dtype) + params x bytes/param(dtype) x pJ/byte, in millijoules */
  analytical: number;
  /** mean CPU time per inference (ms) x assumed watts per core, in millijoules */
  cpuTime: number;
  analyticalComputeMj: number;
  analyticalMemoryMj: number;
}

export function estimateEnergy(m: { macs: number; params: number; dtype: string }, cpuMsPerInference: number): EnergyEstimate {
  const c = POWER_CONSTANTS;
  const macPj = m.dtype === "int8" ? c.int8MacPj : c.fp32MacPj;
  const bytes = m.params * (c.bytesPerParam[m.dtype] ?? 4);
  const compute = (m.macs * macPj) / 1e9;
  const memory = (bytes * c.dramPjPerByte) / 1e9;
  return {
    analytical: compute + memory,
    cpuTime: cpuMsPerInference * c.cpuCoreWatts,
    analyticalComputeMj: compute,
    analyticalMemoryMj: memory,
  };
}
