/**
 * The edge region that served a request: `request.cf.colo` (an IATA code such as "FRA"), or the
 * configured fallback where there is none (wrangler dev with CF fetching disabled, tests).
 */
export function resolveRegion(request: Request, fallback: string): string {
  const cf = (request as { cf?: { colo?: unknown } }).cf;
  const colo = cf?.colo;
  return typeof colo === "string" && colo.length > 0 ? colo : fallback;
}
