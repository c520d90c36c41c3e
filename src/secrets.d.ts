// Secrets are not declared in wrangler.toml, so `wrangler types` cannot list them.
declare namespace Cloudflare {
  interface Env {
    /** Signs session nonces and the teacher binding's credential (`wrangler secret put SIGNING_SECRET`). */
    SIGNING_SECRET?: string;
    /** The local development key (dev/local.env); honoured only for loopback hosts. */
    DEV_API_KEY?: string;
  }
}
