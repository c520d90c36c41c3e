// Energy per inference, the two estimates of DESIGN.md §4. The analytical one is the service's own
// (src/telemetry/energy.ts, behind the energy per request of GET /v1/swap): MACs x energy per MAC
// for the dtype + the model's bytes (manifest `bytes`, the ONNX file's size) x DRAM energy per byte.

import { ENERGY_MODEL, inferenceEnergyMj, inferenceEnergyPj } from "../../src/telemetry/energy";

export const POWER_CONSTANTS = {
  /** Horowitz, ISSCC 2014, 45 nm: fp32 multiply 3.7 pJ + add 0.9 pJ */
  fp32MacPj: ENERGY_MODEL.pjPerMac.fp32,
  /** Horowitz, ISSCC 2014, 45 nm: int8 multiply 0.2 pJ + add 0.03 pJ */
  int8MacPj: ENERGY_MODEL.pjPerMac.int8,
  /** Horowitz, ISSCC 2014: DRAM access, per byte (~640 pJ per 32-bit word) */
  dramPjPerByte: ENERGY_MODEL.pjPerDramByte,
  /** the bytes moved from DRAM once per frame */
  weightBytes: "the model's ONNX file size (manifest `bytes`), as the service counts it (src/telemetry/energy.ts)",
  /**
   * Assumed power of one busy CPU core running the single-threaded wasm backend, in watts: a
   * server package of ~160-320 W spread over 32-64 cores. An assumption, not a measurement.
   */
  cpuCoreWatts: 5,
} as const;

export interface EnergyEstimate {
  /** MACs x pJ/MAC(dtype) + ONNX bytes x pJ/byte, in millijoules: src/telemetry/energy.ts `inferenceEnergyMj` */
  analytical: number;
  /** mean CPU time per inference (ms) x assumed watts per core, in millijoules */
  cpuTime: number;
  analyticalComputeMj: number;
  analyticalMemoryMj: number;
}

/**
 * `bytes` is the model's size as models/manifest.json records it (the ONNX file's size); dtypes
 * other than int8 are charged the fp32 energy per MAC.
 */
export function estimateEnergy(m: { macs: number; bytes: number; dtype: string }, cpuMsPerInference: number): EnergyEstimate {
  const card = { macs: m.macs, bytes: m.bytes, dtype: m.dtype === "int8" ? "int8" : "fp32" } as const;
  const { compute, memory } = inferenceEnergyPj(card);
  return {
    analytical: inferenceEnergyMj(card),
    cpuTime: cpuMsPerInference * POWER_CONSTANTS.cpuCoreWatts,
    analyticalComputeMj: compute * 1e-9,
    analyticalMemoryMj: memory * 1e-9,
  };
}
