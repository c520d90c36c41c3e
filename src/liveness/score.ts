/** softmax(logits)[index], computed in float64; throws on non-finite logits. */
export function bonafideScore(logits: ArrayLike<number>, bonafideIndex: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i] ?? NaN;
    if (!Number.isFinite(v)) throw new Error(`model returned a non-finite logit (${v})`);
    max = Math.max(max, v);
  }
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] ?? 0) - max);
  const score = Math.exp((logits[bonafideIndex] ?? NaN) - max) / sum;
  if (!(score >= 0 && score <= 1)) throw new Error(`bona fide index ${bonafideIndex} is out of range`);
  return score;
}
