import { DurableObject } from "cloudflare:workers";

/**
 * One instance per session id (`idFromName(sid)`): remembers whether the session's nonce has been
 * used. A Durable Object runs one call at a time, so of two concurrent requests with the same
 * nonce exactly one gets `true`. The record deletes itself after the nonce has expired.
 */
export class SessionLedger extends DurableObject {
  /** True the first time it is called for this session, false afterwards. */
  async consume(expiresAtMs: number): Promise<boolean> {
    if (await this.ctx.storage.get<boolean>("used")) return false;
    await this.ctx.storage.put("used", true);
    await this.ctx.storage.setAlarm(expiresAtMs + 60_000);
    return true;
  }

  override async alarm(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }
}
