// A Worker that times models inside workerd with the service's own onnxruntime loader
// (src/inference/ort-wasm.ts). Started by scripts/swap/workerd-bench.ts through `wrangler dev`
// with models/ as its static assets. GET /bench?models=a,b&runs=300&warmup=20&burst=10
//
// Local workerd timers tick in ~1 ms steps, finer than a student's run, so each sample is the mean
// of a burst of back-to-back runs of one model; models are interleaved burst by burst.

import { createOrtSession, ort, ortLinearMemoryBytes } from "../../../src/inference/ort-wasm";

interface Assets {
  fetch(input: string): Promise<Response>;
}

interface Card {
  file: string;
  input: { name: string; shape: number[] };
}

async function asset(env: { ASSETS: Assets }, path: string): Promise<Response | undefined> {
  const r = await env.ASSETS.fetch(`http://assets/${path}`);
  return r.ok ? r : undefined;
}

export default {
  async fetch(request: Request, env: { ASSETS: Assets }): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/bench") return new Response("GET /bench?models=a,b&runs=N", { status: 404 });
    const ids = (url.searchParams.get("models") ?? "").split(",").filter(Boolean);
    const runs = Number(url.searchParams.get("runs") ?? 300);
    const warmup = Number(url.searchParams.get("warmup") ?? 20);
    const burst = Math.max(1, Number(url.searchParams.get("burst") ?? 10));
    const manifest = (await (await asset(env, "manifest.json"))!.json()) as { models: Record<string, Card> };
    const targets: Array<{ id: string; session: ort.InferenceSession; feeds: Record<string, ort.Tensor>; loadMs: number; memoryAfterLoad: number | undefined }> = [];
    for (const id of ids) {
      const card = manifest.models[id];
      if (!card) return Response.json({ error: `no model ${id}` }, { status: 400 });
      const t0 = performance.now();
      const bytes = new Uint8Array(await (await asset(env, card.file))!.arrayBuffer());
      const session = await createOrtSession(bytes);
      const loadMs = performance.now() - t0;
      const shape = card.input.shape;
      const n = shape.reduce((a, d) => a * d, 1);
      const golden = await asset(env, `golden/${id}.input.f32`);
      const data = golden ? new Float32Array(await golden.arrayBuffer()) : Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
      if (data.length !== n) return Response.json({ error: `${id}: input has ${data.length} values, expected ${n}` }, { status: 500 });
      const feeds = { [card.input.name]: new ort.Tensor("float32", data, shape) };
      await session.run(feeds);
      targets.push({ id, session, feeds, loadMs, memoryAfterLoad: ortLinearMemoryBytes() });
    }
    for (let w = 0; w < warmup; w++) for (const t of targets) await t.session.run(t.feeds);
    const samples: Record<string, number[]> = Object.fromEntries(ids.map((id) => [id, []]));
    const rounds = Math.ceil(runs / burst);
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < targets.length; k++) {
        const t = targets[(r + k) % targets.length]!;
        const t0 = performance.now();
        for (let b = 0; b < burst; b++) await t.session.run(t.feeds);
        samples[t.id]!.push((performance.now() - t0) / burst);
      }
    }
    const wallMs = performance.now() - started;
    return Response.json({
      runtime: "workerd (wrangler dev, local), onnxruntime-web wasm via src/inference/ort-wasm.ts, 1 thread",
      runs: rounds * burst,
      burst,
      warmup,
      wallMs,
      memoryNote: "onnxruntime's wasm linear memory after loading each model and running it once, cumulative in load order",
      memoryAfterWarmup: ortLinearMemoryBytes(),
      models: Object.fromEntries(targets.map((t) => [t.id, { loadMs: t.loadMs, memoryAfterLoad: t.memoryAfterLoad, samples: samples[t.id] }])),
    });
  },
};
