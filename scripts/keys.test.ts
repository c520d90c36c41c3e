import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyRecordSchema, kvKeyOf, sha256Hex } from "../src/auth/api-key";
import { Authenticator, type KeyLookup } from "../src/auth/authenticator";

const persist = mkdtempSync(join(tmpdir(), "fas-edge-keys-"));
const keys = (...args: string[]) => execFileSync("npx", ["tsx", "scripts/keys.ts", ...args, "--persist-to", persist, "--json"], { encoding: "utf8" }).trim();

let mf: Miniflare;

beforeAll(() => {
  // the namespace exactly where `wrangler dev --persist-to` would read it
  mf = new Miniflare({ modules: true, script: "export default {}", kvNamespaces: ["API_KEYS"], kvPersist: join(persist, "v3", "kv") });
});

afterAll(async () => {
  await mf?.dispose();
  rmSync(persist, { recursive: true, force: true });
});

describe("npm run keys", () => {
  it("creates a key that the Worker's authenticator accepts, lists it without the key, and revokes it", async () => {
    const created = JSON.parse(keys("create", "--name", "ios app", "--scopes", "liveness,metrics")) as { key: string; id: string };
    expect(created.key).toMatch(/^fas_[A-Za-z0-9_-]{43}$/);
    const hash = await sha256Hex(created.key);
    expect(created.id).toBe(hash.slice(0, 12));

    const listed = JSON.parse(keys("list")) as unknown[];
    expect(listed).toHaveLength(1);
    expect(ApiKeyRecordSchema.parse(listed[0])).toMatchObject({ id: created.id, name: "ios app", scopes: ["liveness", "metrics"] });
    expect(JSON.stringify(listed)).not.toContain(created.key);

    const kv = (await mf.getKVNamespace("API_KEYS")) as unknown as KeyLookup;
    expect(JSON.stringify(await kv.get(kvKeyOf(hash), "json"))).not.toContain(created.key);
    const request = () => new Request("http://localhost/v1/liveness", { headers: { authorization: `Bearer ${created.key}` } });
    const auth = () => new Authenticator({ keys: kv, cacheMs: 0 });
    expect(await auth().authenticate(request())).toMatchObject({ kind: "key", id: created.id, scopes: ["liveness", "metrics"] });

    const revoked = JSON.parse(keys("revoke", created.id)) as { revokedAt?: string };
    expect(revoked.revokedAt).toBeDefined();
    await expect(auth().authenticate(request())).rejects.toMatchObject({ status: 403, slug: "revoked-api-key" });
    expect((JSON.parse(keys("list")) as { revokedAt?: string }[])[0]?.revokedAt).toBe(revoked.revokedAt);
  }, 120_000);

  it("refuses unknown scopes and unknown ids", () => {
    expect(() => keys("create", "--name", "x", "--scopes", "admin")).toThrow();
    expect(() => keys("revoke", "0123456789ab")).toThrow();
  }, 60_000);
});
