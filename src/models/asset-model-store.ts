import { ManifestSchema, type Manifest, type ModelCard } from "./manifest-schema";

/** Where the manifest and model files come from. */
export interface ModelStore {
  manifest(): Promise<Manifest>;
  /** The model's ONNX bytes, checked against the manifest's byte count and sha256. */
  modelBytes(card: ModelCard): Promise<Uint8Array>;
}

export class ModelStoreError extends Error {
  override readonly name = "ModelStoreError";
}

/**
 * Reads models/ from Workers static assets through a Fetcher binding (`env.ASSETS`): the files are
 * uploaded by `wrangler deploy` with the code, are not counted in the script size, and are private
 * to the Worker (`run_worker_first`).
 */
export class AssetModelStore implements ModelStore {
  constructor(
    private readonly assets: Fetcher,
    private readonly origin = "https://models.invalid",
  ) {}

  async #get(path: string): Promise<Response> {
    const response = await this.assets.fetch(new Request(`${this.origin}/${path}`));
    if (!response.ok) {
      await response.body?.cancel();
      throw new ModelStoreError(`${path}: HTTP ${response.status} from the assets binding`);
    }
    return response;
  }

  async manifest(): Promise<Manifest> {
    const json: unknown = await (await this.#get("manifest.json")).json();
    const parsed = ManifestSchema.safeParse(json);
    if (!parsed.success) throw new ModelStoreError(`manifest.json does not match the contract: ${parsed.error.message}`);
    return parsed.data;
  }

  async modelBytes(card: ModelCard): Promise<Uint8Array> {
    const bytes = new Uint8Array(await (await this.#get(card.file)).arrayBuffer());
    if (bytes.length !== card.bytes) {
      throw new ModelStoreError(`${card.file} has ${bytes.length} bytes; the manifest says ${card.bytes}`);
    }
    const digest = await sha256Hex(bytes);
    if (digest !== card.sha256) throw new ModelStoreError(`${card.file} has sha256 ${digest}; the manifest says ${card.sha256}`);
    return bytes;
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
