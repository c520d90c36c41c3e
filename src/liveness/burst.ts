import type { Aggregate, Decision, FrameVerdict } from "../schemas/liveness";

/**
 * The burst rule (models/README.md, "Bursts"): `spoof` if any frame is `spoof` (one confident
 * attack frame is enough to refuse); otherwise `live` if at least ceil(minLiveShare x n) frames
 * are `live`; otherwise `uncertain`. A single frame keeps its own verdict. The deciding frame,
 * whose verdict the response's top-level fields repeat, is the lowest-scoring spoof frame, the
 * lowest-scoring live frame, or the first uncertain frame.
 */
export function aggregateFrames(frames: readonly FrameVerdict[], minLiveShare: number): { decision: Decision; aggregate: Aggregate } {
  if (frames.length === 0) throw new RangeError("a burst has at least one frame");
  const indices = (decision: Decision) => frames.flatMap((f, i) => (f.decision === decision ? [i] : []));
  const [live, spoof, uncertain] = [indices("live"), indices("spoof"), indices("uncertain")];
  const minLive = Math.max(1, Math.ceil(minLiveShare * frames.length - 1e-9));
  const lowest = (of: number[]) => of.reduce((best, i) => ((frames[i]?.score ?? 1) < (frames[best]?.score ?? 1) ? i : best));

  let decision: Decision;
  let decidingFrame: number;
  if (spoof.length > 0) {
    decision = "spoof";
    decidingFrame = lowest(spoof);
  } else if (live.length >= minLive) {
    decision = "live";
    decidingFrame = lowest(live);
  } else {
    decision = "uncertain";
    decidingFrame = uncertain[0] ?? lowest(live);
  }
  return {
    decision,
    aggregate: {
      rule: "any-spoof-else-min-live",
      frames: frames.length,
      live: live.length,
      spoof: spoof.length,
      uncertain: uncertain.length,
      minLive,
      decidingFrame,
    },
  };
}
