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

type EnergyInputs = Pick<ModelCard, "macs" | "bytes" | "dtype">;

/** The two terms of one inference's estimate, picojoules: the MACs' and the DRAM bytes'. */
export function inferenceEnergyPj(card: EnergyInputs): { compute: number; memory: number } {
  return { compute: card.macs * ENERGY_MODEL.pjPerMac[card.dtype], memory: card.bytes * ENERGY_MODEL.pjPerDramByte };
}

/** Estimated energy of one inference of `card`, millijoules. */
export function inferenceEnergyMj(card: EnergyInputs): number {
  const { compute, memory } = inferenceEnergyPj(card);
  return (compute + memory) * 1e-9;
}
