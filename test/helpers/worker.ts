import { exports } from "cloudflare:workers";

/** The Worker under test (src/index.ts), called through workerd like a client would. */
export const worker = (exports as unknown as { default: Fetcher }).default;

/** What requests are sent to: the Worker by default, or an app built with createApp (with its own services). */
export interface Target {
  fetch(input: string, init?: RequestInit): Promise<Response>;
}

/** Any request, `path` relative to the Worker's origin; post and postForm go through here. */
export function send(path: string, init: RequestInit = {}, target: Target = worker): Promise<Response> {
  return target.fetch(`https://edge.test${path}`, init);
}

export function post(body: BodyInit, contentType: string, path = "/v1/liveness", target: Target = worker): Promise<Response> {
  return send(path, { method: "POST", body, headers: { "content-type": contentType } }, target);
}

export function postForm(form: FormData, path = "/v1/liveness", target: Target = worker): Promise<Response> {
  return send(path, { method: "POST", body: form }, target);
}
