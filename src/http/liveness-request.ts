import type { FaceBox } from "../preprocess/crop";
import { LIVENESS_MEDIA_TYPES, LivenessMetaSchema, type LivenessMeta } from "../schemas/liveness";
import { ProblemError } from "./problem";
import { readBodyWithLimit } from "./read-body";

/** One frame of a POST /v1/liveness request, once the body has been read and checked. */
export interface LivenessInput {
  readonly image: Uint8Array;
  /** Face box in pixels of `image`; absent when the image is a face crop already. */
  readonly box?: FaceBox;
  /** Bytes this frame took in the request: the whole body for a single frame, the image's size in a burst. */
  readonly bodyBytes: number;
}

/** A whole POST /v1/liveness request: one frame, or a burst of several. */
export interface LivenessRequest {
  readonly frames: readonly LivenessInput[];
  /** The session nonce (`meta.nonce`, or the X-Session-Nonce header for a bare image body). */
  readonly nonce?: string;
  readonly bodyBytes: number;
}

export interface ReadLimits {
  readonly maxBodyBytes: number;
  /** Most `frame` parts one request may carry. */
  readonly maxFrames: number;
}

export const NONCE_HEADER = "x-session-nonce";

export function mediaTypeOf(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/**
 * Reads the request: a JPEG/PNG body, or multipart/form-data with one or more `frame` files and
 * an optional JSON `meta` field (`{ "box": [x, y, w, h] }` for one frame, `{ "boxes": [...] }` with
 * one box or null per frame for a burst, and `"nonce"`). The image's format is taken from its bytes.
 */
export async function readLivenessRequest(request: Request, limits: ReadLimits): Promise<LivenessRequest> {
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
  const headerNonce = request.headers.get(NONCE_HEADER) ?? undefined;
  const body = await readBodyWithLimit(request, limits.maxBodyBytes);
  const bodyBytes = body.byteLength;
  if (mediaType !== "multipart/form-data") {
    return { frames: [{ image: body, bodyBytes }], bodyBytes, ...(headerNonce ? { nonce: headerNonce } : {}) };
  }

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
  const parts = form.getAll("frame");
  if (parts.length > limits.maxFrames) {
    throw new ProblemError(400, {
      slug: "too-many-frames",
      title: "Too many frames",
      detail: `a request may carry at most ${limits.maxFrames} frame${limits.maxFrames === 1 ? "" : "s"}; got ${parts.length}`,
    });
  }
  const files: File[] = [];
  for (const part of parts) {
    if (typeof part === "string" || part.size === 0) {
      throw new ProblemError(400, { slug: "missing-frame", title: "Missing frame", detail: 'every "frame" field must be a non-empty file' });
    }
    files.push(part);
  }
  if (files.length === 0) {
    throw new ProblemError(400, {
      slug: "missing-frame",
      title: "Missing frame",
      detail: 'the multipart body needs a non-empty file field named "frame"',
    });
  }
  const images = await Promise.all(files.map(async (f) => new Uint8Array(await f.arrayBuffer())));
  const metaField = form.getAll("meta");
  if (metaField.length > 1) throw new ProblemError(400, { slug: "malformed-meta", title: "Malformed meta", detail: "send at most one meta field" });
  const metaPart = metaField[0];
  const meta = metaPart === undefined ? {} : parseMeta(typeof metaPart === "string" ? metaPart : await metaPart.text());
  const boxes = boxesFor(meta, images.length);
  if (meta.nonce !== undefined && headerNonce !== undefined && meta.nonce !== headerNonce) {
    throw new ProblemError(400, { slug: "malformed-meta", title: "Malformed meta", detail: `meta.nonce and the ${NONCE_HEADER} header differ` });
  }
  const nonce = meta.nonce ?? headerNonce;
  const single = images.length === 1;
  const frames = images.map((image, i) => {
    const box = boxes[i];
    return { image, bodyBytes: single ? bodyBytes : image.byteLength, ...(box ? { box } : {}) };
  });
  return { frames, bodyBytes, ...(nonce !== undefined ? { nonce } : {}) };
}

function boxesFor(meta: LivenessMeta, frames: number): (FaceBox | undefined)[] {
  if (meta.box !== undefined && meta.boxes !== undefined) {
    throw new ProblemError(400, { slug: "malformed-meta", title: "Malformed meta", detail: "send either meta.box or meta.boxes, not both" });
  }
  if (meta.boxes !== undefined) {
    if (meta.boxes.length !== frames) {
      throw new ProblemError(400, {
        slug: "malformed-meta",
        title: "Malformed meta",
        detail: `meta.boxes has ${meta.boxes.length} entries for ${frames} frame${frames === 1 ? "" : "s"}`,
      });
    }
    return meta.boxes.map((b) => b ?? undefined);
  }
  if (meta.box !== undefined && frames > 1) {
    throw new ProblemError(400, { slug: "malformed-meta", title: "Malformed meta", detail: "a burst gives its boxes in meta.boxes, one per frame" });
  }
  return [meta.box];
}

function parseMeta(text: string): LivenessMeta {
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
