import type { FaceBox } from "../preprocess/crop";
import { LIVENESS_MEDIA_TYPES, LivenessMetaSchema } from "../schemas/liveness";
import { ProblemError } from "./problem";
import { readBodyWithLimit } from "./read-body";

/** What a POST /v1/liveness request carries once its body has been read and checked. */
export interface LivenessInput {
  readonly image: Uint8Array;
  /** Face box in pixels of `image`; absent when the image is a face crop already. */
  readonly box?: FaceBox;
  readonly bodyBytes: number;
}

export function mediaTypeOf(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/**
 * Reads the request: a JPEG/PNG body, or multipart/form-data with a `frame` file and an optional
 * JSON `meta` field ({ "box": [x, y, w, h] }). The image's format is taken from its bytes.
 */
export async function readLivenessRequest(request: Request, maxBodyBytes: number): Promise<LivenessInput> {
  const mediaType = mediaTypeOf(request);
  if (!(LIVENESS_MEDIA_TYPES as readonly string[]).includes(mediaType)) {
    await request.body?.cancel();
    throw new ProblemError(415, {
      slug: "unsupported-media-type",
      title: "Unsupported media type",
      detail: `send ${LIVENESS_MEDIA_TYPES.join(", ")}; got ${mediaType || "no content type"}`,
      headers: { "accept-post": LIVENESS_MEDIA_TYPES.join(", ") },
    });
  }
  const body = await readBodyWithLimit(request, maxBodyBytes);
  if (mediaType !== "multipart/form-data") return { image: body, bodyBytes: body.byteLength };

  let form: FormData;
  try {
    form = await new Response(body, { headers: { "content-type": request.headers.get("content-type") ?? "" } }).formData();
  } catch (error) {
    throw new ProblemError(400, {
      slug: "malformed-multipart",
      title: "Malformed multipart body",
      detail: error instanceof Error ? error.message : "the multipart body could not be parsed",
    });
  }
  const frame = form.get("frame");
  if (frame === null || typeof frame === "string" || frame.size === 0) {
    throw new ProblemError(400, {
      slug: "missing-frame",
      title: "Missing frame",
      detail: 'the multipart body needs a non-empty file field named "frame"',
    });
  }
  const image = new Uint8Array(await frame.arrayBuffer());
  const meta = form.get("meta");
  if (meta === null) return { image, bodyBytes: body.byteLength };
  const box = parseMeta(typeof meta === "string" ? meta : await meta.text()).box;
  return box ? { image, box, bodyBytes: body.byteLength } : { image, bodyBytes: body.byteLength };
}

function parseMeta(text: string): { box?: FaceBox } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProblemError(400, { slug: "malformed-meta", title: "Malformed meta", detail: "meta is not valid JSON" });
  }
  const parsed = LivenessMetaSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "meta"}: ${i.message}`).join("; ");
    throw new ProblemError(400, { slug: "malformed-meta", title: "Malformed meta", detail: issues });
  }
  return parsed.data;
}
