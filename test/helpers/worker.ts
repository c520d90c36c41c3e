import { env, exports } from "cloudflare:workers";
import type { Services } from "../../src/app-env";
import { isolateServices } from "../../src/services";

/** The Worker under test (src/index.ts), called through workerd like a client would. */
export const worker = (exports as unknown as { default: Fetcher }).default;

/**
 * Where tests send requests: a loopback host, because the local development key (DEV_API_KEY from
 * dev/local.env) is honoured only there.
 */
export const BASE = "http://localhost";

/** The local development key (all scopes; never deployed). */
export const DEV_KEY = env.DEV_API_KEY ?? "";

/** `Authorization` for the development key, or for `key`. */
export function authHeaders(key: string = DEV_KEY): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/** What requests are sent to: the Worker by default, or an app built with createApp (with its own services). */
export interface Target {
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

/**
 * Any request, `path` relative to the Worker's (loopback) origin, with the development key unless
 * `init.headers` sets authorization; post and postForm go through here.
 */
export function send(path: string, init: RequestInit = {}, target: Target = worker): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("authorization")) headers.set("authorization", `Bearer ${DEV_KEY}`);
  return target.fetch(`${BASE}${path}`, { ...init, headers });
}

export function post(body: BodyInit, contentType: string, path = "/v1/liveness", target: Target = worker): Promise<Response> {
  return send(path, { method: "POST", body, headers: { "content-type": contentType } }, target);
}

export function postForm(form: FormData, path = "/v1/liveness", target: Target = worker): Promise<Response> {
  return send(path, { method: "POST", body: form }, target);
}

/** The isolate's access services (keys, rate limits, sessions), for apps built with their own services. */
export function accessServices(e: Env): Pick<Services, "auth" | "sessions" | "rateLimits"> {
  const { auth, sessions, rateLimits } = isolateServices(e);
  return { auth, sessions, ...(rateLimits ? { rateLimits } : {}) };
}
