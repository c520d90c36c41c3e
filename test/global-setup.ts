import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { unstable_dev } from "wrangler";
import { LOCAL_ENV_FILE, localDevVars } from "../scripts/local-env";

/** Scores that a second, separate workerd process gave for the golden frame (see determinism.test.ts). */
export interface SeparateIsolateScores {
  readonly student: string;
  readonly pngBody: number;
  readonly jpegBody: number;
  readonly pngWithBox: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    separateIsolate: SeparateIsolateScores;
  }
}

function assetsDirectory(): string {
  const dir = /\[assets\][^[]*?directory\s*=\s*"([^"]+)"/s.exec(readFileSync("wrangler.toml", "utf8"))?.[1];
  if (!dir) throw new Error("wrangler.toml has no [assets] directory");
  return dir;
}

/**
 * Starts the Worker once more in its own workerd process (wrangler's dev server, offline), scores
 * the golden frame there, and hands the scores to the tests, which score it again in the pool's
 * isolate: the two must agree exactly.
 */
export default async function setup(project: TestProject): Promise<void> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  const dir = assetsDirectory();
  const golden = JSON.parse(readFileSync(join(dir, "golden", "golden.json"), "utf8"));
  const png = readFileSync(join(dir, "golden", golden.image));
  const jpg = readFileSync(join(dir, "golden", golden.jpeg));

  const vars = localDevVars();
  const worker = await unstable_dev("src/index.ts", {
    config: "wrangler.toml",
    envFiles: [LOCAL_ENV_FILE],
    ip: "127.0.0.1",
    logLevel: "warn",
    experimental: { disableExperimentalWarning: true },
  });
  try {
    const score = async (body: BodyInit, contentType?: string): Promise<{ score: number; models: { student: string } }> => {
      for (let attempt = 1; ; attempt++) {
        // a loopback URL: the development key is refused for any other host
        const response = await fetch(`http://${worker.address}:${worker.port}/v1/liveness`, {
          method: "POST",
          body,
          headers: { authorization: `Bearer ${vars.DEV_API_KEY}`, ...(contentType ? { "content-type": contentType } : {}) },
        });
        if (response.status === 200) return (await response.json()) as { score: number; models: { student: string } };
        const text = await response.text();
        // wrangler's dev proxy answers a POST that was in flight while its workerd restarted with
        // 503 (it retries only GET and HEAD itself): send it again
        if (response.status === 503 && text.includes("restarted mid-request") && attempt < 3) continue;
        throw new Error(`separate isolate answered ${response.status}: ${text}`);
      }
    };
    const form = new FormData();
    form.append("frame", new Blob([png], { type: "image/png" }), "frame.png");
    form.append("meta", JSON.stringify(golden.box ? { box: golden.box } : {}));
    // serialise with Node's own FormData encoder: wrangler's fetch does not accept Node's FormData
    const multipart = new Request("http://localhost/", { method: "POST", body: form });
    const withBox = await score(await multipart.arrayBuffer(), multipart.headers.get("content-type") ?? undefined);
    project.provide("separateIsolate", {
      student: withBox.models.student,
      pngBody: (await score(png, "image/png")).score,
      jpegBody: (await score(jpg, "image/jpeg")).score,
      pngWithBox: withBox.score,
    });
  } finally {
    await worker.stop();
  }
}
