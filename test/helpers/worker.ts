import { exports } from "cloudflare:workers";

/** The Worker under test (src/index.ts), called through workerd like a client would. */
export const worker = (exports as unknown as { default: Fetcher }).default;

export function post(body: BodyInit, contentType: string, path = "/v1/liveness"): Promise<Response> {
  return worker.fetch(`https://edge.test${path}`, { method: "POST", body, headers: { "content-type": contentType } });
}

export function postForm(form: FormData, path = "/v1/liveness"): Promise<Response> {
  return worker.fetch(`https://edge.test${path}`, { method: "POST", body: form });
}
