/**
 * Rate limits the test pool gives the RATE_LIMIT_* bindings (vitest.config.ts): the per-key limit
 * is lowered from the deployed 1,200/min so the test reaches it quickly; the per-client limit is
 * the deployed one.
 */
export const TEST_RATE_LIMITS = {
  RATE_LIMIT_KEY: { simple: { limit: 150, period: 60 } },
  RATE_LIMIT_CLIENT: { simple: { limit: 60, period: 60 } },
} as const;
