import { describe, expect, it } from "vitest";
import { parseEdgeBenchText } from "./edge-bench";

const sample = `fas-edge bench (wrangler dev, workerd, linux, 2 CPUs)
payload: 128x128 JPEG face crop (q90), 4321 bytes; student fas-student@0123456789ab
start-up until ready: 2100 ms (includes bundling and compiling the 14 MB wasm)
warm, 500 sequential requests after 30 warm-up:
  end to end (client, HTTP)          p50 4.10  p95 6.20  p99 8.00  mean 4.50  max 20.00 ms
  HTTP baseline (GET /v1/models)     p50 1.10  p95 1.60  p99 2.00  mean 1.20  max 3.00 ms
  in Worker decode                   p50 1.00  p95 1.00  p99 2.00  mean 0.80  max 2.00 ms
  in Worker student                  p50 2.00  p95 3.00  p99 3.00  mean 2.10  max 5.00 ms
  in Worker teacher                  p50 21.00  p95 24.00  p99 30.00  mean 21.50  max 40.00 ms
  in Worker total                    p50 3.00  p95 4.00  p99 5.00  mean 3.20  max 6.00 ms
`;

describe("parseEdgeBenchText", () => {
  it("maps the in-Worker student/teacher lines to model ids and keeps the rest by label", () => {
    const r = parseEdgeBenchText(sample, { student: "student-int8", teacher: "teacher-fp32" }, "x.txt");
    expect(r.models).toEqual({ "student-int8": { p50: 2, p95: 3, runs: 500 }, "teacher-fp32": { p50: 21, p95: 24, runs: 500 } });
    expect(r.other["end to end (client, HTTP)"]).toEqual({ p50: 4.1, p95: 6.2, runs: 500 });
    expect(Object.keys(r.other)).toEqual([
      "end to end (client, HTTP)",
      "HTTP baseline (GET /v1/models)",
      "in Worker decode",
      "in Worker student",
      "in Worker teacher",
      "in Worker total",
    ]);
    expect(r.runtime).toBe("wrangler dev, workerd, linux, 2 CPUs");
    expect(r.note).toContain("128x128 JPEG face crop (q90), 4321 bytes");
  });
  it("leaves the teacher out when the bench has no teacher line", () => {
    const r = parseEdgeBenchText(sample.replace(/.*in Worker teacher.*\n/, ""), { student: "s", teacher: "t" }, "x.txt");
    expect(Object.keys(r.models)).toEqual(["s"]);
  });
});
