import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireScope } from "../auth/require-scope";
import { ProblemError } from "../http/problem";
import { waitUntilOf } from "../http/wait-until";
import type { SwapResponse } from "../schemas/swap";
import { mergeRollups } from "../telemetry/rollup-reader";
import { swapSummary } from "../telemetry/swap-summary";

const REGION = /^[A-Za-z0-9_-]{1,32}$/;

/** GET /v1/swap[?region=XXX]: SWAP figures per edge region, merged from every isolate's rollup (scope `metrics`). */
export const swapRoutes = new Hono<AppEnv>().get("/v1/swap", requireScope("metrics"), async (c) => {
  const region = c.req.query("region") ?? null;
  if (region !== null && !REGION.test(region)) {
    throw new ProblemError(400, {
      slug: "invalid-query",
      title: "Invalid region",
      detail: "region must be 1-32 letters, digits, '-' or '_' (an edge location such as FRA)",
    });
  }
  const { swap } = c.get("services");
  const merged = swap ? await swap.read({ waitUntil: waitUntilOf(c) }) : mergeRollups([]);
  const body: SwapResponse = swapSummary(merged, region);
  c.header("cache-control", "no-store");
  return c.json(body);
});
