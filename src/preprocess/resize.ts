/**
 * The resampling of models/README.md step 2 ("triangle-aa"): a separable, antialiased triangle
 * filter with half-pixel centres, float64 throughout, rows first, then columns.
 */

interface AxisTaps {
  readonly lo: Int32Array;
  readonly count: Int32Array;
  /** Weights of output i start at offset[i]. */
  readonly offset: Int32Array;
  readonly weights: Float64Array;
  readonly sums: Float64Array;
}

const tapsCache = new Map<string, AxisTaps>();

function axisTaps(nIn: number, nOut: number): AxisTaps {
  const key = `${nIn}>${nOut}`;
  let taps = tapsCache.get(key);
  if (!taps) {
    taps = computeTaps(nIn, nOut);
    if (tapsCache.size > 256) tapsCache.clear();
    tapsCache.set(key, taps);
  }
  return taps;
}

function computeTaps(nIn: number, nOut: number): AxisTaps {
  const scale = nIn / nOut;
  const support = Math.max(scale, 1);
  const lo = new Int32Array(nOut);
  const count = new Int32Array(nOut);
  const offset = new Int32Array(nOut);
  const sums = new Float64Array(nOut);
  const weights: number[] = [];
  for (let i = 0; i < nOut; i++) {
    const c = (i + 0.5) * scale;
    const first = Math.max(0, Math.floor(c - support));
    const end = Math.min(nIn, Math.ceil(c + support));
    lo[i] = first;
    count[i] = end - first;
    offset[i] = weights.length;
    let sum = 0;
    for (let j = first; j < end; j++) {
      const w = Math.max(0, 1 - Math.abs((j + 0.5 - c) / support));
      weights.push(w);
      sum += w;
    }
    sums[i] = sum;
  }
  return { lo, count, offset, weights: Float64Array.from(weights), sums };
}

/**
 * Resizes interleaved `channels`-channel float64 samples from inH x inW to outH x outW.
 * out[i] = sum_j w_j * in[j] / sum_j w_j, on each axis in turn.
 */
export function resizeTriangle(
  src: Float64Array,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  channels: number,
): Float64Array {
  const rows = axisTaps(inH, outH);
  const cols = axisTaps(inW, outW);
  const rowStride = inW * channels;

  // Rows: whole source rows are accumulated tap by tap (contiguous memory); each sample still
  // sums w_j * in[j] in increasing j, then divides once.
  const vertical = new Float64Array(outH * rowStride);
  for (let i = 0; i < outH; i++) {
    const lo = rows.lo[i]!;
    const n = rows.count[i]!;
    const off = rows.offset[i]!;
    const sum = rows.sums[i]!;
    const dst = i * rowStride;
    for (let t = 0; t < n; t++) {
      const w = rows.weights[off + t]!;
      const srcRow = (lo + t) * rowStride;
      for (let k = 0; k < rowStride; k++) vertical[dst + k]! += w * src[srcRow + k]!;
    }
    for (let k = 0; k < rowStride; k++) vertical[dst + k]! /= sum;
  }

  const out = new Float64Array(outH * outW * channels);
  for (let y = 0; y < outH; y++) {
    const srcRow = y * rowStride;
    for (let i = 0; i < outW; i++) {
      const lo = cols.lo[i]!;
      const n = cols.count[i]!;
      const off = cols.offset[i]!;
      const sum = cols.sums[i]!;
      const dst = (y * outW + i) * channels;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let t = 0; t < n; t++) acc += cols.weights[off + t]! * vertical[srcRow + (lo + t) * channels + c]!;
        out[dst + c] = acc / sum;
      }
    }
  }
  return out;
}
