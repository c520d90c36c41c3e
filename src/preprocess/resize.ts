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

/** Per-channel normalisation of models/README.md step 3: (v * scale - mean[c]) / std[c]. */
export interface Normalisation {
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/**
 * The square `side` x `side` window at (x0, y0) of an 8-bit interleaved RGB image, resized like
 * `resizeTriangle` (the same operations in the same order, so the same values) and normalised into
 * a planar float32 tensor [3, outH, outW]: crop, resize and normalise in one pass, without
 * intermediate copies of the image.
 */
export function resizeNormaliseCrop(
  data: Uint8Array,
  imageWidth: number,
  window: { readonly x0: number; readonly y0: number; readonly side: number },
  outH: number,
  outW: number,
  norm: Normalisation,
): Float32Array {
  const { x0, y0, side } = window;
  const rows = axisTaps(side, outH);
  const cols = axisTaps(side, outW);
  const rowStride = side * 3;
  const imageStride = imageWidth * 3;
  const { weights: rowWeights, lo: rowLo, count: rowCount, offset: rowOffset, sums: rowSums } = rows;

  const plane = outH * outW;
  const out = new Float32Array(3 * plane);
  const { weights: colWeights, lo: colLo, count: colCount, offset: colOffset, sums: colSums } = cols;
  const { scale } = norm;
  const mean0 = norm.mean[0] ?? 0;
  const mean1 = norm.mean[1] ?? 0;
  const mean2 = norm.mean[2] ?? 0;
  const std0 = norm.std[0] ?? 1;
  const std1 = norm.std[1] ?? 1;
  const std2 = norm.std[2] ?? 1;
  // one output row at a time: its vertically resampled source row stays in cache
  const vertical = new Float64Array(rowStride);
  for (let y = 0; y < outH; y++) {
    const lo = rowLo[y]!;
    const n = rowCount[y]!;
    const off = rowOffset[y]!;
    const sum = rowSums[y]!;
    // tap by tap over whole source rows; each sample still sums w_j * in[j] in increasing j, then divides once
    const first = (y0 + lo) * imageStride + x0 * 3;
    const w0 = rowWeights[off]!;
    for (let k = 0; k < rowStride; k++) vertical[k] = w0 * data[first + k]!;
    for (let t = 1; t < n; t++) {
      const w = rowWeights[off + t]!;
      const src = first + t * imageStride;
      for (let k = 0; k < rowStride; k++) vertical[k]! += w * data[src + k]!;
    }
    for (let k = 0; k < rowStride; k++) vertical[k]! /= sum;
    for (let i = 0; i < outW; i++) {
      const first = colLo[i]! * 3;
      const taps = colCount[i]!;
      const wOff = colOffset[i]!;
      const wSum = colSums[i]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = 0; t < taps; t++) {
        const w = colWeights[wOff + t]!;
        const p = first + t * 3;
        r += w * vertical[p]!;
        g += w * vertical[p + 1]!;
        b += w * vertical[p + 2]!;
      }
      const o = y * outW + i;
      out[o] = ((r / wSum) * scale - mean0) / std0;
      out[plane + o] = ((g / wSum) * scale - mean1) / std1;
      out[2 * plane + o] = ((b / wSum) * scale - mean2) / std2;
    }
  }
  return out;
}
