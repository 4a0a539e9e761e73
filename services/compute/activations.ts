// Backend-independent preparation of activations for the Gram-based RDMs: validation (finite, not constant) and the
// per-row (correlation, cosine) or per-column (euclidean, centred Gram) shift and scale, computed in float64; then
// the finishing step from a Gram matrix G = Y Y^T to the RDM. The native addon does the same in C.
import { ComputeInputError, type Activations, type RdmMethod } from './types.ts';

/** Below this relative spread a row counts as constant: its deviations are under float32 resolution. */
const CONSTANT_REL = 1e-13;

export interface Transform {
  /** 'row': y_ik = (x_ik - shift_i) * scale_i ; 'column': y_ik = x_ik - shift_k. */
  readonly kind: 'row' | 'column';
  readonly shift: Float64Array;
  readonly scale: Float64Array;
}

export function checkShape(x: Activations): void {
  const { n, d, data } = x;
  if (!Number.isInteger(n) || !Number.isInteger(d) || n < 1 || d < 1) {
    throw new ComputeInputError(`activations need n >= 1 rows and d >= 1 features, got ${n} x ${d}`);
  }
  if (data.length !== n * d) throw new ComputeInputError(`activations have ${data.length} values, expected ${n} x ${d}`);
}

/** Validates rows and returns the transform that makes Y for `method` ('gram' = column centring). */
export function transformFor(x: Activations, method: RdmMethod | 'gram'): Transform {
  checkShape(x);
  const { n, d, data } = x;
  const rowwise = method === 'correlation' || method === 'cosine';
  const shift = new Float64Array(rowwise ? n : d);
  const scale = new Float64Array(rowwise ? n : 0);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    let raw = 0;
    for (let k = 0; k < d; k++) {
      const v = data[o + k];
      s += v;
      raw += v * v;
    }
    if (!Number.isFinite(s) || !Number.isFinite(raw)) {
      throw new ComputeInputError(`row ${i} contains NaN or Inf (or overflows float64)`);
    }
    if (method === 'correlation') {
      const mean = s / d;
      const ss = centredSquares(data, o, d, mean);
      if (constantBy('correlation', ss, raw)) throw new ComputeInputError(`row ${i} is constant (zero variance)`);
      shift[i] = mean;
      scale[i] = 1 / Math.sqrt(ss);
    } else if (method === 'cosine') {
      if (constantBy('cosine', 0, raw)) throw new ComputeInputError(`row ${i} is constant (zero norm)`);
      scale[i] = 1 / Math.sqrt(raw);
    } else {
      for (let k = 0; k < d; k++) shift[k] += data[o + k];
    }
  }
  if (!rowwise) for (let k = 0; k < d; k++) shift[k] /= n;
  return { kind: rowwise ? 'row' : 'column', shift, scale };
}

function centredSquares(data: ArrayLike<number>, o: number, d: number, mean: number): number {
  let ss = 0;
  for (let k = 0; k < d; k++) {
    const v = data[o + k]! - mean;
    ss += v * v;
  }
  return ss;
}

/** The one rule for a row an RDM method cannot use: no spread (correlation) or no length (cosine). */
function constantBy(method: RdmMethod, centred: number, raw: number): boolean {
  if (method === 'correlation') return centred === 0 || !(centred > raw * CONSTANT_REL);
  if (method === 'cosine') return !(raw > 0);
  return false;
}

/**
 * The first row of finite activations (n x d, row-major) that `method` cannot make an RDM of because it is constant
 * (the rule transformFor rejects such a row by), or -1. Euclidean RDMs take any row. A layer with such a row, e.g.
 * one whose ReLUs are all off for a stimulus, has no RDM under that method.
 */
export function constantRow(data: ArrayLike<number>, n: number, d: number, method: RdmMethod): number {
  if (method !== 'correlation' && method !== 'cosine') return -1;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s = 0;
    let raw = 0;
    for (let k = 0; k < d; k++) {
      const v = data[o + k]!;
      s += v;
      raw += v * v;
    }
    if (constantBy(method, method === 'correlation' ? centredSquares(data, o, d, s / d) : 0, raw)) return i;
  }
  return -1;
}

/**
 * Writes columns [k0, k0 + w) of Y into `y` (n x w, row-major) and, when given, `yt` (w x n); adds the squared
 * row norms of Y (float64) into `sq` when given.
 */
export function fillBlock(
  x: Activations,
  t: Transform,
  k0: number,
  w: number,
  y: Float32Array | null,
  yt: Float32Array | null,
  sq: Float64Array | null,
): void {
  const { n, d, data } = x;
  for (let i = 0; i < n; i++) {
    const o = i * d + k0;
    const m = t.kind === 'row' ? t.shift[i] : 0;
    const s = t.kind === 'row' ? t.scale[i] : 1;
    let acc = 0;
    for (let k = 0; k < w; k++) {
      const v = Math.fround(t.kind === 'row' ? (data[o + k] - m) * s : data[o + k] - t.shift[k0 + k]);
      if (y) y[i * w + k] = v;
      if (yt) yt[k * n + i] = v;
      acc += v * v;
    }
    if (sq) sq[i] += acc;
  }
}

/**
 * Turns G = Y Y^T (n x n float32; only the upper triangle is read) into the RDM in place: 1 - G for correlation and
 * cosine (clamped to [0, 2]); for euclidean sqrt(sq_i + sq_j - 2 G_ij), recomputed in float64 from the activations
 * where that expansion cancels (close rows).
 */
export function finishRdm(g: Float32Array, x: Activations, method: RdmMethod, sq: Float64Array | null): Float32Array {
  const { n, d, data } = x;
  for (let i = 0; i < n; i++) {
    g[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      const gij = g[i * n + j];
      let v: number;
      if (method !== 'euclidean') {
        v = Math.min(2, Math.max(0, 1 - gij));
      } else {
        const si = sq![i];
        const sj = sq![j];
        let d2 = si + sj - 2 * gij;
        if (d2 < 1e-3 * (si + sj)) {
          let acc = 0;
          for (let k = 0; k < d; k++) {
            const t = data[i * d + k] - data[j * d + k];
            acc += t * t;
          }
          d2 = acc;
        }
        v = d2 > 0 ? Math.sqrt(d2) : 0;
      }
      g[i * n + j] = v;
      g[j * n + i] = v;
    }
  }
  return g;
}
