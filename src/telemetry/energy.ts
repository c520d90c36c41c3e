import type { ModelCard } from "../models/manifest-schema";

/**
 * The analytical energy model of DESIGN §4 (Power, estimate a): multiply-accumulates times the
 * energy of one MAC for the model's dtype, plus the weight bytes moved from DRAM once per
 * inference. Figures from Horowitz, "Computing's energy problem", ISSCC 2014 (45 nm).
 */
export const ENERGY_MODEL = {
  source: "Horowitz, ISSCC 2014, 45 nm: MACs x energy per MAC for the dtype + model bytes x DRAM energy per byte",
  pjPerMac: { fp32: 4.6, int8: 0.23 },
  pjPerDramByte: 160,
} as const;

/** Estimated energy of one inference of `card`, millijoules. */
export function inferenceEnergyMj(card: Pick<ModelCard, "macs" | "bytes" | "dtype">): number {
  const pj = card.macs * ENERGY_MODEL.pjPerMac[card.dtype] + card.bytes * ENERGY_MODEL.pjPerDramByte;
  return pj * 1e-9;
}
