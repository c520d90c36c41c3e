import { defineConfig } from "vitest/config";

// Browser tests: plain Node drives `wrangler dev` and Debian's chromium (playwright-core).
export default defineConfig({
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.e2e.mts"],
    environment: "node",
    fileParallelism: false,
    // wrangler dev's first /healthz loads onnxruntime and the student; chromium starts per stream
    testTimeout: 240_000,
    hookTimeout: 420_000,
  },
});
