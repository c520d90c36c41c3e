import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { localDevVars, TEST_TEACHER_TIMEOUT_MS } from "./scripts/local-env";
import { TEST_RATE_LIMITS } from "./test/helpers/limits";

/** The local development key and signing secret, as `npm run dev` gives them to wrangler. */
const localEnv = localDevVars();

const fuzzBindings = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith("FUZZ_")));

export default defineConfig({
  test: {
    projects: [
      {
        // Service tests run inside workerd against the real onnxruntime-web and model files.
        // FUZZ_* environment variables reach test/fuzz.test.ts as bindings (npm run fuzz)
        plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: { ...localEnv, TEACHER_TIMEOUT_MS: TEST_TEACHER_TIMEOUT_MS, ...fuzzBindings }, ratelimits: TEST_RATE_LIMITS } })],
        test: {
          name: "workers",
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          isolate: false,
          // scores the golden frame in a second workerd process, for the cross-isolate determinism test
          globalSetup: ["./test/global-setup.ts"],
          // the first request imports the Worker (a 14 MB wasm module) and starts onnxruntime: on a busy
          // 2-core machine that has taken up to a minute
          testTimeout: 180_000,
        },
      },
      {
        // Evaluation and report scripts run in plain Node.
        test: {
          name: "node",
          include: ["scripts/**/*.test.ts"],
          environment: "node",
        },
      },
    ],
  },
});
