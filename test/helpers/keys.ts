import { env } from "cloudflare:workers";
import { generateApiKey, keyIdOf, kvKeyOf, sha256Hex, type ApiKeyRecord, type Scope } from "../../src/auth/api-key";

/**
 * A stored API key in the test's API_KEYS namespace, written as `npm run keys -- create` writes
 * it (hash -> record); returns the plain key and its id.
 */
export async function storedKey(scopes: readonly Scope[], options: { revoked?: boolean; name?: string } = {}): Promise<{ key: string; id: string }> {
  const key = generateApiKey();
  const hash = await sha256Hex(key);
  const record: ApiKeyRecord = {
    id: keyIdOf(hash),
    name: options.name ?? "test",
    scopes: [...scopes],
    createdAt: new Date().toISOString(),
    ...(options.revoked ? { revokedAt: new Date().toISOString() } : {}),
  };
  await env.API_KEYS.put(kvKeyOf(hash), JSON.stringify(record), { metadata: record });
  return { key, id: record.id };
}
