import { describe, expect, it } from "vitest";
import { SerialQueue } from "./serial-queue";

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("SerialQueue", () => {
  it("starts a task only after the previous one settled, in submission order", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
    const results = gates.map((gate, i) =>
      queue.run(async () => {
        log.push(`start ${i}`);
        await gate.promise;
        log.push(`end ${i}`);
        return i;
      }),
    );
    await Promise.resolve();
    expect(log).toEqual(["start 0"]);
    expect(queue.pending).toBe(3);
    gates[2]?.resolve();
    gates[1]?.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual(["start 0"]);
    gates[0]?.resolve();
    expect(await Promise.all(results)).toEqual([0, 1, 2]);
    expect(log).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]);
    expect(queue.pending).toBe(0);
  });

  it("reports a failure to its own caller and keeps going", async () => {
    const queue = new SerialQueue();
    const failing = queue.run(async () => {
      throw new Error("boom");
    });
    const next = queue.run(async () => "after");
    await expect(failing).rejects.toThrow("boom");
    await expect(next).resolves.toBe("after");
  });
});
