// reports/swap.md: the tables a person reads, from the same object as swap.json.

import type { SwapReport } from "./run";

const pct = (v: number | undefined | null, d = 2): string => (v === undefined || v === null || !Number.isFinite(v) ? "n/a" : `${(v * 100).toFixed(d)} %`);
const num = (v: number | undefined | null, d = 2): string => (v === undefined || v === null || !Number.isFinite(v) ? "n/a" : v.toFixed(d));
const int = (v: number): string => Math.round(v).toLocaleString("en-US");
const mega = (v: number): string => (v >= 1e6 ? `${(v / 1e6).toFixed(v >= 1e8 ? 0 : 1)} M` : `${(v / 1e3).toFixed(0)} k`);
const kib = (v: number): string => (v >= 1024 * 1024 ? `${(v / 1024 / 1024).toFixed(2)} MiB` : `${(v / 1024).toFixed(1)} KiB`);
const sig = (v: number): string => (Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : "n/a");

function table(head: string[], rows: string[][]): string {
  const numeric = (v: string): boolean => /^(n\/a|open|-|[-+]?[\d.,]+.*)$/.test(v.trim());
  const align = head.map((_, i) => (i > 0 && rows.every((r) => numeric(r[i] ?? "")) ? "---:" : "---"));
  return [`| ${head.join(" | ")} |`, `| ${align.join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

export function renderMarkdown(r: SwapReport): string {
  const ids = Object.keys(r.models);
  const m = r.models;
  const rt = r.runtime as Record<string, unknown>;
  const edge = rt.edge as Record<string, unknown> | undefined;
  const species = [...new Set(ids.flatMap((id) => Object.keys(m[id]!.apcerBySpecies)))].sort();
  const instruments = [...new Set(ids.flatMap((id) => Object.keys(m[id]!.apcerByInstrument)))].sort();
  const x = r.ratios.studentInt8VsTeacher;
  const c = r.cascade;
  const out: string[] = [];

  out.push("# SWAP report: Speed, Weight, Accuracy, Power");
  out.push("");
  out.push(`Generated ${r.generatedAt} by \`npm run swap\` (scripts/swap/). Machine-readable: [swap.json](swap.json).`);
  out.push("");
  out.push(
    `**Data: ${r.data.source}.** ${r.data.note}. Accuracy on the **${r.data.split}** split (n = ${r.data.n}: ${r.data.nBonafide} bona fide, ${r.data.nAttack} attacks), ` +
      `thresholds fixed on the **${r.data.thresholdSplit}** split (n = ${r.data.nVal}) and applied unchanged to test. Source: \`${r.data.csv}\`${r.data.subsampled ? " (subsampled per split)" : ""}.`,
  );
  out.push("");
  out.push(
    `**Runtime:** onnxruntime-web ${String(rt.onnxruntimeWeb)} ${String(rt.backend)}, batch ${String(rt.batch)}, Node ${String(rt.node)} on ${String(rt.cpu)} (${String(rt.logicalCores)} logical cores, shared). ` +
      `All models in one process, interleaved round by round, ${String(rt.warmupRuns)} warm-up + ${String(rt.timedRuns)} timed runs each; ratios come from this same run.`,
  );
  out.push("");

  out.push("## Targets");
  out.push("");
  out.push(table(["target", "required", "measured", "met"], r.targets.map((t) => [t.name, t.target, t.value, t.met ? "yes" : "**no**"])));
  out.push("");

  out.push("## SWAP per model");
  out.push("");
  out.push(
    table(
      ["model", "dtype", "input", "params", "MACs", "ONNX bytes", "gzip", "p50 ms", "p95 ms", "fps (1 core)", "workerd p50 / p95 ms", "energy analytical mJ", "energy CPU-time mJ", "ACER", "AUC"],
      ids.map((id) => {
        const v = m[id]!;
        return [
          `\`${id}\``,
          v.dtype,
          `${v.inputSize[0]}x${v.inputSize[1]}`,
          int(v.params),
          mega(v.macs),
          `${int(v.bytes)} (${kib(v.bytes)})`,
          kib(v.gzipBytes),
          num(v.latencyMs.p50, 3),
          num(v.latencyMs.p95, 3),
          num(v.fps, 0),
          v.edge ? `${num(v.edge.p50, 2)} / ${num(v.edge.p95, 2)}` : "open",
          sig(v.energyMj.analytical),
          sig(v.energyMj.cpuTime),
          pct(v.acer),
          num(v.auc, 4),
        ];
      }),
    ),
  );
  out.push("");
  out.push("## Ratios (student int8 vs teacher, same run)");
  out.push("");
  out.push(
    table(
      ["ratio", "value", "definition"],
      [
        ["speedup", `${num(x.speedup)}x`, "teacher p50 / student-int8 p50"],
        ["sizeRatio", `${num(x.sizeRatio)}x`, "teacher bytes / student-int8 bytes"],
        ["accuracyShare", pct(x.accuracyShare), "(1 - ACER student-int8) / (1 - ACER teacher)"],
        ["energyRatio (analytical)", `${num(x.energyRatio, 1)}x`, "teacher mJ / student-int8 mJ"],
        ["energyRatio (CPU time)", `${num(x.energyRatioCpuTime, 1)}x`, "teacher CPU ms / student-int8 CPU ms"],
        ["MACs ratio", `${num(x.macsRatio, 1)}x`, "teacher MACs / student MACs"],
        ["params ratio", `${num(x.paramsRatio, 1)}x`, "teacher params / student params"],
        ["int8 vs fp32 student: size", `${num(r.ratios.studentInt8VsStudentFp32.sizeRatio)}x`, "student-fp32 bytes / student-int8 bytes"],
        ["int8 vs fp32 student: speed", `${num(r.ratios.studentInt8VsStudentFp32.speedup)}x`, "student-fp32 p50 / student-int8 p50"],
        ["int8 vs fp32 student: accuracy", pct(r.ratios.studentInt8VsStudentFp32.accuracyShare), "(1 - ACER int8) / (1 - ACER fp32)"],
      ],
    ),
  );
  out.push("");

  out.push("## Accuracy (intra protocol, test split, threshold from val)");
  out.push("");
  out.push(`Protocol: ${r.accuracyProtocols.intra}. APCER is the maximum over PAI species; EER and AUC pool the attacks; BPCER20/100 hold the per-species maximum APCER at 5 % / 1 %.`);
  out.push("");
  out.push(
    table(
      ["model", "trained on", "threshold (val)", "manifest threshold", "AUC", "EER", "APCER", "BPCER", "ACER", "HTER", "BPCER20", "BPCER100", "val ACER"],
      ids.map((id) => {
        const v = m[id]!;
        return [
          `\`${id}\``,
          v.trainedOn,
          num(v.threshold, 4),
          v.manifestThreshold === null ? "-" : num(v.manifestThreshold, 4),
          num(v.auc, 4),
          pct(v.eer),
          pct(v.apcer),
          pct(v.bpcer),
          pct(v.acer),
          pct(v.hter),
          pct(v.bpcer20),
          pct(v.bpcer100),
          pct(v.val.acer),
        ];
      }),
    ),
  );
  out.push("");
  out.push("### APCER per PAI species (test)");
  out.push("");
  out.push(table(["model", ...species, "max (= APCER)"], ids.map((id) => [`\`${id}\``, ...species.map((s) => pct(m[id]!.apcerBySpecies[s])), pct(m[id]!.apcer)])));
  out.push("");
  out.push("### Cross-instrument");
  out.push("");
  out.push(`Protocol: ${r.accuracyProtocols.crossInstrument}.`);
  out.push("");
  const cross = Object.entries(r.crossInstrument);
  if (cross.length) {
    out.push(table(["model", "held-out instrument", "APCER", "n attacks"], cross.flatMap(([id, t]) => Object.entries(t).map(([inst, v]) => [`\`${id}\``, inst, pct(v.apcer), String(v.n)]))));
    out.push("");
  }
  out.push("APCER per attack instrument (test split, intra models):");
  out.push("");
  out.push(table(["model", ...instruments], ids.map((id) => [`\`${id}\``, ...instruments.map((s) => pct(m[id]!.apcerByInstrument[s]))])));
  out.push("");
  out.push(`Test attacks per instrument: ${Object.entries(r.data.byInstrument).map(([k, v]) => `${k} ${v}`).join(", ")}.`);
  out.push("");

  out.push("## Power");
  out.push("");
  const p = r.power;
  out.push(
    table(
      ["constant", "value", "source"],
      [
        ["fp32 MAC", `${p.fp32MacPj} pJ`, "Horowitz, ISSCC 2014, 45 nm (3.7 pJ multiply + 0.9 pJ add)"],
        ["int8 MAC", `${p.int8MacPj} pJ`, "Horowitz, ISSCC 2014, 45 nm (0.2 pJ multiply + 0.03 pJ add)"],
        ["DRAM per byte", `${p.dramPjPerByte} pJ`, "Horowitz, ISSCC 2014 (~640 pJ per 32-bit DRAM access)"],
        ["weight bytes per parameter", `fp32 ${p.bytesPerParam.fp32}, int8 ${p.bytesPerParam.int8}`, "each weight read once per frame"],
        ["CPU core power", `${p.cpuCoreWatts} W`, "assumed (server package ~160-320 W over 32-64 cores); not measured"],
      ],
    ),
  );
  out.push("");
  out.push(`(a) analytical = ${p.formula.analytical}. (b) CPU time = ${p.formula.cpuTime}. Activation traffic, caches and the wasm interpreter's overhead are outside (a); (b) charges all of them at the assumed power.`);
  out.push("");
  out.push(
    table(
      ["model", "MACs", "compute mJ", "weights mJ", "analytical mJ", "CPU ms / frame", "CPU-time mJ"],
      ids.map((id) => {
        const v = m[id]!;
        return [`\`${id}\``, mega(v.macs), sig(v.energyMj.analyticalComputeMj), sig(v.energyMj.analyticalMemoryMj), sig(v.energyMj.analytical), num(v.latencyMs.cpuMs, 3), sig(v.energyMj.cpuTime)];
      }),
    ),
  );
  out.push("");

  out.push("## Cascade (student-int8, teacher fallback)");
  out.push("");
  out.push(
    c.band
      ? `**Chosen band [${c.band.map((v) => Number(v.toPrecision(4))).join(", ")}]** (${c.reason}). On test: fallback ${pct(c.fallbackRate)}, ACER ${pct(c.acer)} (APCER ${pct(c.apcer)}, BPCER ${pct(c.bpcer)}), mean latency ${num(c.meanLatencyMs, 3)} ms; teacher alone ${pct(c.teacherAcer)}, student alone ${pct(c.studentAcer)}. Targets (fallback <= 10 %, ACER <= teacher + 0.2 points) on test: ${c.meetsTargets ? "met" : "**not met**"}. ${c.writtenToManifest ? "Written to models/manifest.json `serving.uncertaintyBand`." : "Not written to models/manifest.json by this run."}`
      : `**No band chosen:** ${c.reason}. models/manifest.json is left unchanged.`,
  );
  out.push("");
  out.push(`Decision rule as in the service: the student decides (threshold ${num(c.studentThreshold, 4)}) unless its score is inside [lo, hi]; then the teacher decides (threshold ${num(c.teacherThreshold, 4)}). Mean latency: ${c.latencyModel}.`);
  out.push("");
  const rows = [...c.grid]
    .filter((g) => g.fallbackRate <= 0.2)
    .sort((a, b) => a.acer - b.acer || a.fallbackRate - b.fallbackRate)
    .slice(0, 15);
  out.push("Best bands on test with fallback <= 20 % (the full grid is in swap.json):");
  out.push("");
  out.push(table(["band", "fallback", "ACER", "APCER", "BPCER", "mean ms"], rows.map((g) => [`[${g.band.map((v) => Number(v.toPrecision(4))).join(", ")}]`, pct(g.fallbackRate), pct(g.acer), pct(g.apcer), pct(g.bpcer), num(g.meanLatencyMs, 3)])));
  out.push("");

  out.push("## Runtime and start-up");
  out.push("");
  out.push(table(["model", "session create ms", "first run ms", "p5 ms", "p50 ms", "p95 ms", "max ms", "mean CPU ms"], ids.map((id) => {
    const v = m[id]!;
    return [`\`${id}\``, num(v.sessionCreateMs, 1), num(v.firstRunMs, 2), num(v.latencyMs.p5, 3), num(v.latencyMs.p50, 3), num(v.latencyMs.p95, 3), num(v.latencyMs.max, 2), num(v.latencyMs.cpuMs, 3)];
  })));
  out.push("");
  out.push(`Timing: ${String(rt.timing)}. Input: ${String(rt.input)}. Benchmark wall time ${num(rt.benchSeconds as number, 1)} s.`);
  out.push("");
  out.push(
    edge && edge.status === "open"
      ? `workerd: **open** - ${String(edge.note)}.`
      : `workerd figures: from \`${String(edge?.source)}\` (${String(edge?.runtime)}). ${String(edge?.note ?? "")} Deployed Workers do not advance timers during pure computation, so these are local (wrangler dev / vitest pool) timings with ~1 ms resolution.`,
  );
  out.push("");

  out.push("## Plots");
  out.push("");
  for (const [k, file] of Object.entries(r.plots)) out.push(`- ${k}: [${file}](${file})\n\n  ![${k}](${file})`);
  out.push("");

  out.push("## Models");
  out.push("");
  for (const id of ids) {
    const v = m[id]!;
    out.push(`- \`${id}\` (${v.role}, \`${v.file}\`, sha256 ${v.sha256.slice(0, 12)}): trained on ${v.trainedOn}.${v.notes.length ? ` ${v.notes.join("; ")}.` : ""}`);
  }
  out.push("");
  return out.join("\n");
}
