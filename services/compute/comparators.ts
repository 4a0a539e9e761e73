// RDM comparators and linear CKA, pure and backend-independent. prepare() does the per-RDM work once (ranking,
// centring, scaling) so that a comparison is a dot product (Spearman, Pearson, cosine) or one O(m log m) pass
// (Kendall tau-a, Knight's algorithm).
import { averageRanks, countInversions, denseRanks, upperTriangle, type FloatArray } from './ranks.ts';
import { ComputeInputError, type PreparedRdm, type RdmComparator } from './types.ts';

/** Tie-averaged ranks; a backend may pass a native implementation. */
export type RankFn = (values: FloatArray) => Float64Array;

class UnitVector implements PreparedRdm {
  readonly bytes: number;
  constructor(
    readonly comparator: 'spearman' | 'pearson' | 'cosine',
    readonly n: number,
    readonly v: Float64Array,
  ) {
    this.bytes = v.byteLength;
  }
}

class KendallRanks implements PreparedRdm {
  readonly comparator = 'kendall';
  readonly bytes: number;
  constructor(
    readonly n: number,
    readonly dense: Int32Array,
    readonly order: Uint32Array,
    readonly groups: number,
    readonly tiedPairs: number,
  ) {
    this.bytes = dense.byteLength + order.byteLength;
  }
}

export const RDM_COMPARATORS: readonly RdmComparator[] = ['spearman', 'pearson', 'kendall', 'cosine'];

function checkRdm(rdm: FloatArray, n: number): void {
  if (!Number.isInteger(n) || n < 3) throw new ComputeInputError(`RDM needs at least 3 stimuli, got n=${n}`);
  if (rdm.length !== n * n) throw new ComputeInputError(`RDM has ${rdm.length} values, expected n*n = ${n * n}`);
}

function checkFinite(v: FloatArray, n: number): void {
  for (let k = 0; k < v.length; k++) {
    if (!Number.isFinite(v[k])) {
      // map back to (i, j) for the message
      let i = 0;
      let rest = k;
      while (rest >= n - 1 - i) {
        rest -= n - 1 - i;
        i++;
      }
      throw new ComputeInputError(`RDM entry (${i}, ${i + 1 + rest}) is ${v[k]}`);
    }
  }
}

/** Centres (optionally) and scales to unit norm in place; throws when nothing is left. */
function unit(v: Float64Array, centre: boolean, what: string): Float64Array {
  const m = v.length;
  if (centre) {
    let s = 0;
    for (let k = 0; k < m; k++) s += v[k];
    const mean = s / m;
    for (let k = 0; k < m; k++) v[k] -= mean;
  }
  let ss = 0;
  for (let k = 0; k < m; k++) ss += v[k] * v[k];
  if (!(ss > 0)) throw new ComputeInputError(`RDM upper triangle is ${what}; the comparison is undefined`);
  const inv = 1 / Math.sqrt(ss);
  for (let k = 0; k < m; k++) v[k] *= inv;
  return v;
}

export function prepareRdm(rdm: FloatArray, n: number, comparator: RdmComparator, rank: RankFn = averageRanks): PreparedRdm {
  checkRdm(rdm, n);
  const upper = upperTriangle(rdm, n);
  checkFinite(upper, n);
  switch (comparator) {
    case 'spearman':
      return new UnitVector('spearman', n, unit(rank(upper), true, 'constant (all ranks tied)'));
    case 'pearson':
      return new UnitVector('pearson', n, unit(Float64Array.from(upper), true, 'constant'));
    case 'cosine':
      return new UnitVector('cosine', n, unit(Float64Array.from(upper), false, 'all zero'));
    case 'kendall': {
      const { dense, order, groups, tiedPairs } = denseRanks(upper);
      return new KendallRanks(n, dense, order, groups, tiedPairs);
    }
    default:
      throw new ComputeInputError(`unknown RDM comparator '${String(comparator)}'`);
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  const m = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < m; k += 4) {
    s0 += a[k] * b[k];
    s1 += a[k + 1] * b[k + 1];
    s2 += a[k + 2] * b[k + 2];
    s3 += a[k + 3] * b[k + 3];
  }
  for (; k < m; k++) s0 += a[k] * b[k];
  return s0 + s1 + s2 + s3;
}

/** Kendall tau-a = (concordant - discordant) / (m (m-1) / 2), tied pairs counting as neither (Knight 1966). */
function kendallTauA(a: KendallRanks, b: KendallRanks): number {
  const m = a.dense.length;
  const n0 = (m * (m - 1)) / 2;
  if (n0 === 0) return 0;
  // stable counting sort of b's ascending order by a's dense rank: sorted by (a, b)
  const start = new Uint32Array(a.groups + 1);
  for (let k = 0; k < m; k++) start[a.dense[k] + 1]++;
  for (let g = 0; g < a.groups; g++) start[g + 1] += start[g];
  const byAB = new Uint32Array(m);
  for (let t = 0; t < m; t++) {
    const k = b.order[t];
    byAB[start[a.dense[k]]++] = k;
  }
  const y = new Int32Array(m);
  let jointTies = 0;
  let run = 1;
  for (let t = 0; t < m; t++) {
    const k = byAB[t];
    y[t] = b.dense[k];
    if (t > 0) {
      const p = byAB[t - 1];
      if (a.dense[p] === a.dense[k] && b.dense[p] === b.dense[k]) run++;
      else {
        jointTies += (run * (run - 1)) / 2;
        run = 1;
      }
    }
  }
  jointTies += (run * (run - 1)) / 2;
  const discordant = countInversions(y);
  return (n0 - a.tiedPairs - b.tiedPairs + jointTies - 2 * discordant) / n0;
}

export function compareRdms(a: PreparedRdm, b: PreparedRdm): number {
  if (a.comparator !== b.comparator) {
    throw new ComputeInputError(`cannot compare RDMs prepared for '${a.comparator}' and '${b.comparator}'`);
  }
  if (a.n !== b.n) throw new ComputeInputError(`cannot compare RDMs of ${a.n} and ${b.n} stimuli`);
  if (a instanceof UnitVector && b instanceof UnitVector) return Math.max(-1, Math.min(1, dot(a.v, b.v)));
  if (a instanceof KendallRanks && b instanceof KendallRanks) return kendallTauA(a, b);
  throw new ComputeInputError('PreparedRdm was not made by this compute layer');
}

/**
 * Linear CKA from two centred Gram matrices (n x n, row-major). Biased: HSIC ~ tr(K L) (Kornblith et al. 2019).
 * Unbiased: the HSIC estimator of Song et al. (2012) on the Grams with zeroed diagonals; it is invariant to the
 * centring, so centred Grams give the same value as raw ones.
 */
export function linearCka(kc: Float64Array, lc: Float64Array, n: number, unbiased: boolean): number {
  if (kc.length !== n * n || lc.length !== n * n) {
    throw new ComputeInputError(`Gram matrices must be n*n = ${n * n} values, got ${kc.length} and ${lc.length}`);
  }
  if (unbiased && n < 4) throw new ComputeInputError(`unbiased HSIC needs at least 4 stimuli, got n=${n}`);
  if (!unbiased) {
    let kl = 0;
    let kk = 0;
    let ll = 0;
    for (let t = 0; t < n * n; t++) {
      const k = kc[t];
      const l = lc[t];
      kl += k * l;
      kk += k * k;
      ll += l * l;
    }
    if (!(kk > 0 && ll > 0)) throw new ComputeInputError('a Gram matrix is zero (all stimuli identical)');
    return kl / Math.sqrt(kk * ll);
  }
  const rk = new Float64Array(n);
  const rl = new Float64Array(n);
  let kl = 0;
  let kk = 0;
  let ll = 0;
  for (let i = 0; i < n; i++) {
    let sk = 0;
    let sl = 0;
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const k = kc[i * n + j];
      const l = lc[i * n + j];
      sk += k;
      sl += l;
      kl += k * l;
      kk += k * k;
      ll += l * l;
    }
    rk[i] = sk;
    rl[i] = sl;
  }
  let sk = 0;
  let sl = 0;
  let rkl = 0;
  let rkk = 0;
  let rll = 0;
  for (let i = 0; i < n; i++) {
    sk += rk[i];
    sl += rl[i];
    rkl += rk[i] * rl[i];
    rkk += rk[i] * rk[i];
    rll += rl[i] * rl[i];
  }
  const hsic = (tr: number, sa: number, sb: number, r: number): number =>
    tr + (sa * sb) / ((n - 1) * (n - 2)) - (2 / (n - 2)) * r;
  const hkl = hsic(kl, sk, sl, rkl);
  const hkk = hsic(kk, sk, sk, rkk);
  const hll = hsic(ll, sl, sl, rll);
  if (!(hkk > 0 && hll > 0)) throw new ComputeInputError('unbiased HSIC of a Gram matrix with itself is not positive');
  return hkl / Math.sqrt(hkk * hll);
}
