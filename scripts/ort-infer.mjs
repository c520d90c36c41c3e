#!/usr/bin/env node
// Runs an ONNX model with onnxruntime-web (wasm backend, one thread) on float32 inputs and prints
// the outputs as JSON. Used by training/ for ONNX parity checks and golden logits.
//
//   node scripts/ort-infer.mjs MODEL.onnx INPUT.f32 [INPUT2.f32 ...] [--shape 1,3,80,80] [--bench N]
//
// Each INPUT is raw float32 little-endian data for the model's first input; its shape comes from
// --shape (default: the batch is inferred from the file size with the remaining dims from --shape
// or [3,80,80]). Prints {"outputs": [{"name": ..., "dims": [...], "data": [...]}, ...]} per input,
// and with --bench N the median/p95 milliseconds of N timed runs after warm-up.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web/wasm';

function parseArgs(argv) {
  const args = { files: [], shape: null, bench: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--shape') args.shape = argv[++i].split(',').map(Number);
    else if (a === '--bench') args.bench = Number(argv[++i]);
    else args.files.push(a);
  }
  if (args.files.length < 2) {
    throw new Error('usage: ort-infer.mjs MODEL.onnx INPUT.f32 [...] [--shape 1,3,80,80] [--bench N]');
  }
  return args;
}

function toFloat32(buf) {
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const [modelPath, ...inputs] = args.files;
  const session = await ort.InferenceSession.create(readFileSync(modelPath), {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const inputName = session.inputNames[0];
  const results = [];
  let feeds = null;
  for (const file of inputs) {
    const data = toFloat32(readFileSync(file));
    let dims = args.shape ?? [1, 3, 80, 80];
    const per = dims.slice(1).reduce((a, b) => a * b, 1);
    if (data.length !== per * dims[0]) dims = [data.length / per, ...dims.slice(1)];
    if (!Number.isInteger(dims[0])) throw new Error(`${file}: ${data.length} floats do not fit ${dims}`);
    feeds = { [inputName]: new ort.Tensor('float32', data, dims) };
    const out = await session.run(feeds);
    results.push({
      input: file,
      outputs: session.outputNames.map((name) => ({
        name,
        dims: out[name].dims,
        data: Array.from(out[name].data, Number),
      })),
    });
  }
  const report = { model: modelPath, inputName, outputNames: session.outputNames, results };
  if (args.bench > 0 && feeds) {
    for (let i = 0; i < 10; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < args.bench; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
    report.bench = { runs: args.bench, p50Ms: q(0.5), p95Ms: q(0.95), meanMs: times.reduce((a, b) => a + b, 0) / times.length };
  }
  process.stdout.write(JSON.stringify(report) + '\n');
  await session.release();
}

main().catch((err) => {
  process.stderr.write(`ort-infer: ${err?.stack ?? err}\n`);
  process.exit(1);
});
