// Numbers at the edges, for every backend (createCompute wraps each one in `withEdgeSafety`):
// - Exact ties. The backends form Y Y^T in float32, so pairs whose true dissimilarities are equal can come out a few
//   ulps apart, and Spearman / Kendall then see an order that is not there. Integer-valued activations (spike
//   counts, one-hot codes) and tiny layers (d <= TINY_D, e.g. a 1-feature layer) are computed here in float64 from
//   exact statistics: for integer data every dot product, row sum and the correlation numerator d*x.y - sum(x)sum(y)
//   is an exact integer, so identical pairs give bit-identical results (0 for identical rows, 2 for opposite ones)
//   and the one rounding to float32 at the end cannot split a tie.
// - Scale. Euclidean RDMs and centred Grams square the data: in float32 that underflows below ~1e-19 and overflows
//   above ~1e19. Both are homogeneous (rdm(c x) = c rdm(x), gram(c x) = c^2 gram(x)), so the data is scaled by a
//   power of two (exact) into a safe range first and the result scaled back; a result beyond float32 is refused.
import { transformFor } from './activations.ts';
import { ComputeInputError, type Activations, type Compute, type RdmMethod } from './types.ts';

/** Layers this narrow are always computed in float64 here. */
export const TINY_D = 4;
/** Most multiply-adds (n (n - 1) / 2 * d) the float64 path takes on; larger layers go to the backend. */
export const FLOAT64_WORK = 4e8;
/** Integer data is exact in float64 while d^2 * max|x|^2 stays below this. */
const EXACT_INT = 2 ** 52;

/** Whether every value is an integer small enough that the statistics below are exact. */
export function exactIntegers(x: Activations): boolean {
  const { data, d } = x;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isInteger(v)) return false;
    const a = Math.abs(v);
    if (a > max) max = a;
  }
  return d * d * max * max < EXACT_INT;
}

/** The n x n RDM computed in float64 (see the file comment); validation as the backends do it. */
export function float64Rdm(x: Activations, method: RdmMethod): Float32Array {
  transformFor(x, method); // NaN / Inf, constant rows: the same errors as every backend
  const { n, d, data } = x;
  const out = new Float32Array(n * n);
  const put = (i: number, j: number, v: number) => {
    out[i * n + j] = v;
    out[j * n + i] = v;
  };
  if (exactIntegers(x)) {
    const sum = new Float64Array(n);
    const dot = (i: number, j: number) => {
      let s = 0;
      for (let k = 0; k < d; k++) s += data[i * d + k]! * data[j * d + k]!;
      return s;
    };
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) sum[i] += data[i * d + k]!;
    const self = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const s = dot(i, i);
      self[i] = method === 'correlation' ? d * s - sum[i]! * sum[i]! : s;
    }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const p = dot(i, j);
        let v: number;
        if (method === 'euclidean') v = Math.sqrt(Math.max(0, self[i]! + self[j]! - 2 * p));
        else {
          const num = method === 'correlation' ? d * p - sum[i]! * sum[j]! : p;
          v = Math.min(2, Math.max(0, 1 - num / Math.sqrt(self[i]! * self[j]!)));
        }
        put(i, j, v);
      }
    }
    return out;
  }
  if (method === 'euclidean') {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) {
          const t = data[i * d + k]! - data[j * d + k]!;
          s += t * t;
        }
        put(i, j, Math.sqrt(s));
      }
    }
    return out;
  }
  // correlation / cosine: unit rows (centred for correlation) in float64; x / |x| is exact for d = 1
  const u = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let m = 0;
    if (method === 'correlation') {
      for (let k = 0; k < d; k++) m += data[i * d + k]!;
      m /= d;
    }
    let ss = 0;
    for (let k = 0; k < d; k++) {
      const v = data[i * d + k]! - m;
      u[i * d + k] = v;
      ss += v * v;
    }
    const norm = Math.sqrt(ss);
    for (let k = 0; k < d; k++) u[i * d + k] /= norm;
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += u[i * d + k]! * u[j * d + k]!;
      put(i, j, Math.min(2, Math.max(0, 1 - s)));
    }
  }
  return out;
}

/** max |x|, or NaN when some value is not finite. */
function maxAbs(data: Float32Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]!);
    if (!(a <= m)) m = a; // NaN propagates
  }
  return m;
}

/** The power of two that brings `m` near 1, or 0 when the data is already in a safe range. */
function rescaleExponent(m: number): number {
  if (!(m > 0) || !Number.isFinite(m)) return 0;
  const e = Math.floor(Math.log2(m));
  return e > 16 || e < -16 ? e : 0;
}

function scaled(x: Activations, e: number): Activations {
  const f = 2 ** -e;
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = x.data[i]! * f;
  return { data, n: x.n, d: x.d };
}

/** `compute` with exact ties and scale-safe euclidean RDMs / Grams (see the file comment). */
export function withEdgeSafety(compute: Compute): Compute {
  return {
    ...compute,
    get backend() {
      return compute.backend;
    },
    get details() {
      return compute.details;
    },
    async rdm(x, method) {
      if (method !== 'correlation' && method !== 'cosine' && method !== 'euclidean') {
        throw new ComputeInputError(`unknown RDM method '${String(method)}'`);
      }
      const work = ((x.n * (x.n - 1)) / 2) * x.d;
      if (work <= FLOAT64_WORK && x.data.length === x.n * x.d && (x.d <= TINY_D || exactIntegers(x))) {
        return float64Rdm(x, method);
      }
      if (method !== 'euclidean') return compute.rdm(x, method);
      const e = rescaleExponent(maxAbs(x.data));
      if (e === 0) return compute.rdm(x, method);
      const r = await compute.rdm(scaled(x, e), method);
      const f = 2 ** e;
      for (let i = 0; i < r.length; i++) {
        const v = r[i]! * f;
        if (!Number.isFinite(v)) {
          throw new ComputeInputError(`euclidean distances exceed the float32 range (activations up to ${maxAbs(x.data)}): scale the layer down`);
        }
        r[i] = v;
      }
      return r;
    },
    async centeredGram(x) {
      const e = rescaleExponent(maxAbs(x.data));
      if (e === 0) return compute.centeredGram(x);
      const g = await compute.centeredGram(scaled(x, e));
      const f = 2 ** (2 * e);
      for (let i = 0; i < g.length; i++) g[i] = g[i]! * f;
      return g;
    },
  };
}
