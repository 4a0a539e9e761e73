// Rank statistics and the bootstrap for the benchmark analysis, in float64 on plain arrays (tens to hundreds of
// architectures; the compute layer's kernels are for RDMs of thousands of stimuli and work in float32).
//
// - ranks: average ranks (ties share the mean of their positions), as scipy.stats.rankdata(method='average').
// - spearman: Pearson correlation of the average ranks (scipy.stats.spearmanr); NaN when either side is constant.
// - kendallTauB: tau-b, tie-aware (scipy.stats.kendalltau's default), by Knight's O(n log n) algorithm.
// - percentile bootstrap: resample units with replacement, recompute, take the 2.5% / 97.5% quantiles (linear
//   interpolation between order statistics, numpy's default); resamples where the statistic is undefined (a
//   constant side) are left out and counted.
// Pairs where either value is not finite are dropped by the callers' `finitePairs`.

import { createRng, type Rng } from '../controller/strategies/rng.ts';

/** Average ranks, 1-based. */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && values[order[j]!]! === values[order[i]!]!) j++;
    const r = (i + 1 + j) / 2; // mean of positions i+1 .. j
    for (let k = i; k < j; k++) out[order[k]!] = r;
    i = j;
  }
  return out;
}

/** Pearson correlation in float64 (two-pass); NaN when either side has zero variance or n < 2. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]! - mx;
    const b = y[i]! - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length || x.length < 2) return Number.NaN;
  return pearson(ranks(x), ranks(y));
}

/** Kendall's tau-b (ties in x, in y, and joint ties handled as scipy does); NaN when either side is constant. */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2 || y.length !== n) return Number.NaN;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]!);
  const n0 = (n * (n - 1)) / 2;
  let n1 = 0; // pairs tied in x
  let n3 = 0; // pairs tied in x and y
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && x[idx[j]!]! === x[idx[i]!]!) j++;
    const t = j - i;
    n1 += (t * (t - 1)) / 2;
    for (let a = i; a < j; ) {
      let b = a + 1;
      while (b < j && y[idx[b]!]! === y[idx[a]!]!) b++;
      const u = b - a;
      n3 += (u * (u - 1)) / 2;
      a = b;
    }
    i = j;
  }
  // Discordant pairs = inversions of y in this order (x ties are sorted by y, so they add none).
  const ys = Float64Array.from(idx, (i) => y[i]!);
  const buf = new Float64Array(n);
  const swaps = mergeCount(ys, buf, 0, n);
  let n2 = 0; // pairs tied in y (ys is now sorted)
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && ys[j] === ys[i]) j++;
    n2 += ((j - i) * (j - i - 1)) / 2;
    i = j;
  }
  const denom = Math.sqrt((n0 - n1) * (n0 - n2));
  if (!(denom > 0)) return Number.NaN;
  return Math.max(-1, Math.min(1, (n0 - n1 - n2 + n3 - 2 * swaps) / denom));
}

/** Sorts a[lo, hi) ascending and returns the number of strict inversions. */
function mergeCount(a: Float64Array, buf: Float64Array, lo: number, hi: number): number {
  if (hi - lo < 2) return 0;
  const mid = (lo + hi) >>> 1;
  let count = mergeCount(a, buf, lo, mid) + mergeCount(a, buf, mid, hi);
  let i = lo;
  let j = mid;
  let k = lo;
  while (i < mid && j < hi) {
    if (a[j]! < a[i]!) {
      count += mid - i;
      buf[k++] = a[j++]!;
    } else buf[k++] = a[i++]!;
  }
  while (i < mid) buf[k++] = a[i++]!;
  while (j < hi) buf[k++] = a[j++]!;
  for (let t = lo; t < hi; t++) a[t] = buf[t]!;
  return count;
}

/** The pairs (x[i], y[i]) where both are finite. */
export function finitePairs(x: ArrayLike<number>, y: ArrayLike<number>): [Float64Array, Float64Array] {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      xs.push(x[i]!);
      ys.push(y[i]!);
    }
  }
  return [Float64Array.from(xs), Float64Array.from(ys)];
}

/** Quantile q of sorted values, linear interpolation between order statistics (numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function median(values: readonly number[]): number {
  return quantileSorted([...values].sort((a, b) => a - b), 0.5);
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : Number.NaN;
}

/** Population z-scores; all zeros when the values are constant. Non-finite values stay NaN. */
export function zscore(values: ArrayLike<number>): Float64Array {
  const fin: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) fin.push(values[i]!);
  const m = mean(fin);
  let v = 0;
  for (const x of fin) v += (x - m) * (x - m);
  const sd = fin.length ? Math.sqrt(v / fin.length) : 0;
  return Float64Array.from({ length: values.length }, (_, i) =>
    Number.isFinite(values[i]) ? (sd > 0 ? (values[i]! - m) / sd : 0) : Number.NaN,
  );
}

/** A percentile bootstrap interval. */
export interface Interval {
  lo: number;
  hi: number;
  /** Resamples where the statistic was defined (the others had a constant side). */
  valid: number;
}

export interface BootstrapOptions {
  /** Resamples (>= 1); the analysis uses >= 1000 outside tests. */
  resamples: number;
  seed: number;
  /** Coverage, default 0.95. */
  level?: number;
}

/**
 * Paired percentile bootstrap over `n` units: each resample draws n unit indices with replacement and hands them to
 * `stats`, which returns one value per statistic (the same resample for all, so differences between statistics are
 * paired). Returns one interval per statistic.
 */
export function bootstrap(n: number, stats: (idx: Int32Array) => number[], o: BootstrapOptions): Interval[] {
  const rng: Rng = createRng(o.seed);
  const level = o.level ?? 0.95;
  const samples: number[][] = [];
  const idx = new Int32Array(n);
  for (let b = 0; b < o.resamples; b++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n);
    const values = stats(idx);
    values.forEach((v, k) => {
      (samples[k] ??= []);
      if (Number.isFinite(v)) samples[k]!.push(v);
    });
  }
  return samples.map((s) => {
    s.sort((a, b) => a - b);
    return { lo: quantileSorted(s, (1 - level) / 2), hi: quantileSorted(s, 1 - (1 - level) / 2), valid: s.length };
  });
}

/** Picks idx's entries of `values`. */
export function take(values: ArrayLike<number>, idx: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: idx.length }, (_, i) => values[idx[i]!]!);
}

/**
 * Rank correlations of one (x, y) pair of columns under bootstrap weights, in O(n log n) without re-sorting: a
 * resample that draws unit i w_i times is the data with unit i repeated w_i times, whose average ranks follow from the
 * full data's sort order by walking it with cumulative weights, and whose tau-b follows from a Fenwick tree over y's
 * dense ranks (pairs of copies of one unit are joint ties and count in neither C - D nor n0 - n1 / n0 - n2 wrongly:
 * they are tied in x and in y). Equal to spearman / kendallTauB of the expanded resample (tested). Units where x or y
 * is not finite are left out, as finitePairs does.
 */
export interface WeightedRankPair {
  spearman(w: ArrayLike<number>): number;
  kendall(w: ArrayLike<number>): number;
}

export function weightedRankPair(x: ArrayLike<number>, y: ArrayLike<number>): WeightedRankPair {
  const units: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) units.push(i);
  const xOrder = Int32Array.from([...units].sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]!));
  const yOrder = Int32Array.from([...units].sort((a, b) => y[a]! - y[b]!));
  // Dense ranks of y (0-based) for the Fenwick tree.
  const yDense = new Int32Array(x.length);
  let m = 0;
  yOrder.forEach((u, k) => {
    if (k > 0 && y[u]! !== y[yOrder[k - 1]!]!) m++;
    yDense[u] = m;
  });
  const levels = units.length ? m + 1 : 0;
  const rx = new Float64Array(x.length);
  const ry = new Float64Array(x.length);
  const tree = new Float64Array(levels + 1);

  /** Average ranks of the weighted data along `order` (grouping equal `v`); returns sum over groups of W(W-1)/2. */
  const weightedRanks = (order: Int32Array, v: ArrayLike<number>, w: ArrayLike<number>, out: Float64Array): number => {
    let cum = 0;
    let ties = 0;
    for (let i = 0; i < order.length; ) {
      let j = i;
      let g = 0;
      while (j < order.length && v[order[j]!]! === v[order[i]!]!) g += w[order[j++]!]!;
      const r = cum + (g + 1) / 2;
      for (let k = i; k < j; k++) out[order[k]!] = r;
      cum += g;
      ties += (g * (g - 1)) / 2;
      i = j;
    }
    return ties;
  };

  return {
    spearman(w) {
      weightedRanks(xOrder, x, w, rx);
      weightedRanks(yOrder, y, w, ry);
      let sw = 0;
      let mx = 0;
      let my = 0;
      for (const u of xOrder) {
        const wu = w[u]!;
        sw += wu;
        mx += wu * rx[u]!;
        my += wu * ry[u]!;
      }
      if (sw < 2) return Number.NaN;
      mx /= sw;
      my /= sw;
      let sxy = 0;
      let sxx = 0;
      let syy = 0;
      for (const u of xOrder) {
        const wu = w[u]!;
        if (wu === 0) continue;
        const a = rx[u]! - mx;
        const b = ry[u]! - my;
        sxy += wu * a * b;
        sxx += wu * a * a;
        syy += wu * b * b;
      }
      if (sxx === 0 || syy === 0) return Number.NaN;
      return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
    },
    kendall(w) {
      tree.fill(0);
      let total = 0;
      let s = 0; // C - D
      let n1 = 0;
      let W = 0;
      const prefix = (r: number): number => {
        let acc = 0;
        for (let i = r; i > 0; i -= i & -i) acc += tree[i]!;
        return acc;
      };
      for (let i = 0; i < xOrder.length; ) {
        let j = i;
        let g = 0;
        while (j < xOrder.length && x[xOrder[j]!]! === x[xOrder[i]!]!) {
          const u = xOrder[j++]!;
          const wu = w[u]!;
          if (wu === 0) continue;
          g += wu;
          const less = prefix(yDense[u]!); // strictly smaller y among earlier x groups
          const greater = total - prefix(yDense[u]! + 1);
          s += wu * (less - greater);
        }
        for (let k = i; k < j; k++) {
          const u = xOrder[k]!;
          const wu = w[u]!;
          if (wu === 0) continue;
          for (let t = yDense[u]! + 1; t <= levels; t += t & -t) tree[t]! += wu;
          total += wu;
        }
        n1 += (g * (g - 1)) / 2;
        W += g;
        i = j;
      }
      let n2 = 0;
      for (let i = 0; i < yOrder.length; ) {
        let j = i;
        let g = 0;
        while (j < yOrder.length && y[yOrder[j]!]! === y[yOrder[i]!]!) g += w[yOrder[j++]!]!;
        n2 += (g * (g - 1)) / 2;
        i = j;
      }
      const n0 = (W * (W - 1)) / 2;
      const denom = Math.sqrt((n0 - n1) * (n0 - n2));
      if (!(denom > 0)) return Number.NaN;
      return Math.max(-1, Math.min(1, s / denom));
    },
  };
}

/** Bootstrap weights (how often each unit was drawn) of a resample's indices. */
export function weightsOf(idx: ArrayLike<number>, n: number, out = new Float64Array(n)): Float64Array {
  out.fill(0);
  for (let i = 0; i < idx.length; i++) out[idx[i]!]! += 1;
  return out;
}

/**
 * The expected value of a pick, exactly (no simulation): n of the units are drawn uniformly without replacement and
 * the drawn unit with the highest score is kept — random search of n candidates, then keep the best by an early
 * score. With the units sorted by score (best first), a tie group g of weight m_g below h_g units holds the pick with
 * probability [C(N - h_g, n) - C(N - h_g - m_g, n)] / C(N, n) (no unit above it drawn, some of it drawn), and the pick
 * is then uniform over the group's drawn units, whose expected value is the group's mean. Under bootstrap weights
 * (unit i drawn w_i times) the resample is the data with unit i repeated w_i times, so N = sum of w. NaN when n is
 * not in [1, N]. Units where the score or the value is not finite are left out, as finitePairs does.
 */
export interface ExpectedPick {
  /** Expected value of the pick, under weights (default: every unit once). */
  value(w?: ArrayLike<number>): number;
}

export function expectedPick(score: ArrayLike<number>, value: ArrayLike<number>, n: number): ExpectedPick {
  const units: number[] = [];
  for (let i = 0; i < score.length; i++) if (Number.isFinite(score[i]) && Number.isFinite(value[i])) units.push(i);
  const order = Int32Array.from(units.sort((a, b) => score[b]! - score[a]!));
  const groupEnd = new Int32Array(order.length); // groupEnd[k]: one past the last position of k's tie group
  for (let k = order.length - 1; k >= 0; k--) {
    groupEnd[k] = k + 1 < order.length && score[order[k + 1]!] === score[order[k]!] ? groupEnd[k + 1]! : k + 1;
  }
  let q = new Float64Array(0);
  return {
    value(w?: ArrayLike<number>): number {
      const weight = (u: number) => (w ? w[u]! : 1);
      let N = 0;
      for (const u of order) N += weight(u);
      if (!(Number.isInteger(n) && n >= 1 && n <= N)) return Number.NaN;
      // q[k] = C(N - k, n) / C(N, n): the probability that none of k given units is drawn.
      if (q.length < N + 1) q = new Float64Array(N + 1);
      q[0] = 1;
      for (let k = 0; k < N; k++) q[k + 1] = (q[k]! * Math.max(N - k - n, 0)) / (N - k);
      let e = 0;
      let above = 0;
      for (let k = 0; k < order.length; ) {
        const end = groupEnd[k]!;
        let m = 0;
        let sum = 0;
        for (let j = k; j < end; j++) {
          const u = order[j]!;
          m += weight(u);
          sum += weight(u) * value[u]!;
        }
        if (m > 0) e += (q[above]! - q[above + m]!) * (sum / m);
        above += m;
        k = end;
      }
      return e;
    },
  };
}
