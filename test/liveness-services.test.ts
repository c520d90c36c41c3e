import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import type { Services } from "../src/app-env";
import { readConfig } from "../src/config";
import type { TeacherVerdict } from "../src/liveness/cascade";
import { AssetModelStore } from "../src/models/asset-model-store";
import { ModelRegistry } from "../src/models/model-registry";
import { LivenessResponseSchema } from "../src/schemas/liveness";
import type { LivenessEvent } from "../src/telemetry/liveness-event";
import { goldenImage } from "./helpers/golden";
import { jpegOf, png } from "./helpers/images";
import { accessServices, authHeaders } from "./helpers/worker";

const registry = new ModelRegistry(new AssetModelStore(env.ASSETS));

function appWith(extra: Partial<Services>) {
  return createApp({ services: (e) => ({ registry, config: readConfig(e), ...accessServices(e), ...extra }) });
}

async function send(app: ReturnType<typeof createApp>, body: Uint8Array, type: string) {
  const ctx = createExecutionContext();
  const response = await app.request("/v1/liveness", { method: "POST", body, headers: { ...authHeaders(), "content-type": type } }, env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("telemetry seam", () => {
  it("hands one event per request to the sink, after the response, refused requests included", async () => {
    const events: LivenessEvent[] = [];
    const app = appWith({ recordLiveness: async (e) => void events.push(e) });
    const image = await goldenImage("jpeg");
    const response = await send(app, image, "image/jpeg");
    const body = LivenessResponseSchema.parse(await response.json());
    expect(events).toEqual([
      {
        requestId: body.requestId,
        region: body.region,
        status: 200,
        outcome: "scored",
        decision: body.decision,
        decidedBy: body.decidedBy,
        score: body.score,
        models: body.models,
        // the event is the frame's: its timings end when the frame is decided, the response's
        // total a little later (workerd's clock can tick in between)
        timingsMs: body.frames[0]?.timingsMs,
        bytes: image.byteLength,
        inBand: body.decision === "uncertain",
        energyMj: expect.any(Number),
      },
    ]);
    const refused = await send(app, new TextEncoder().encode("not an image"), "image/png");
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({ outcome: "rejected", status: refused.status, problem: "urn:fas-edge:problem:unrecognised-image" });
  });

  it("never lets a failing sink change the answer", async () => {
    const app = appWith({
      recordLiveness: async () => {
        throw new Error("analytics down");
      },
    });
    const original = console.error;
    console.error = () => undefined;
    try {
      expect((await send(app, await goldenImage("png"), "image/png")).status).toBe(200);
    } finally {
      console.error = original;
    }
  });
});

describe("teacher seam", () => {
  it("is asked exactly for frames whose student score lies in the uncertainty band, and then decides", async () => {
    const verdict: TeacherVerdict = { score: 0.97, threshold: 0.5, model: "fas-teacher@aaaaaaaaaaaa", ms: 3 };
    let asked = 0;
    const app = appWith({
      teacher: async () => {
        asked++;
        return verdict;
      },
    });
    const plain = appWith({});
    for (const [image, type] of [
      [await goldenImage("png"), "image/png"],
      [await goldenImage("jpeg"), "image/jpeg"],
      [png(96, 96), "image/png"],
      [jpegOf(200, 150), "image/jpeg"],
    ] as const) {
      const before = asked;
      const student = LivenessResponseSchema.parse(await (await send(plain, image, type)).json());
      const cascaded = LivenessResponseSchema.parse(await (await send(app, image, type)).json());
      const [lo, hi] = student.uncertaintyBand;
      const inBand = student.score >= lo && student.score <= hi;
      expect(asked - before).toBe(inBand ? 1 : 0);
      if (inBand) {
        expect(student.decision).toBe("uncertain");
        expect(cascaded).toMatchObject({ decision: "live", decidedBy: "teacher", score: 0.97, models: { teacher: verdict.model } });
        expect(cascaded.timingsMs.teacher).toBe(3);
      } else {
        expect(cascaded).toMatchObject({ decision: student.decision, decidedBy: "student", score: student.score });
      }
    }
  });
});
