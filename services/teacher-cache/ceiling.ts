// Noise ceilings of repeated measurements (pure domain over the Compute interface). A teacher layer uploaded with
// repetitions ([repetitions, stimuli, features], NaN = a missing repetition of one site for one stimulus) gets:
//   - its RDM from the mean over repetitions (NaN skipped);
//   - a split-half ceiling per comparator: over `splits` seeded random splits of the repetitions into two halves of
//     h = floor(R/2) repetitions, the similarity of the two halves' mean-RDMs, averaged, then Spearman-Brown
//     corrected to the full R repetitions: c = k r / (1 + (k - 1) r) with k = R / h. Sites without a value for some
//     stimulus in a half are left out of that split (both halves, so they compare the same sites);
//   - rsatoolbox's lower and upper bounds (boot_noise_ceiling with one RDM per repetition, pool_rdm's pooling:
//     ranks for Spearman / Kendall, z-scores for Pearson, RMS-normalised for cosine): lower = mean over repetitions of
//     compare(pool(the others), rdm_r), upper = mean over repetitions of compare(pool(all), rdm_r). A repetition's RDM
//     uses the sites it has for every stimulus; repetitions that leave fewer than 2 usable sites are skipped.
// Only small things are kept: ceilings are computed at upload and stored as numbers; two half-means and a few
// triangle-sized vectors per comparator are held at a time.
import { InvalidArgumentError } from '../common/errors.ts';
import type { Layer } from '../common/chunks.ts';
import { checkRows } from '../common/rows.ts';
import { averageRanks, upperTriangle } from '../compute/ranks.ts';
import {
  ComputeInputError,
  type ComparatorName,
  type Compute,
  type GramComparator,
  type RdmComparator,
  type RdmMethod,
} from '../compute/types.ts';
import { createRng } from '../spaces/rng.ts';

export const DEFAULT_CEILING_SPLITS = 50;
export const MAX_CEILING_SPLITS = 10_000;

export interface NoiseCeiling {
  comparator: ComparatorName;
  /** Spearman-Brown corrected mean split-half similarity: the ceiling scores are divided by. */
  splitHalf: number;
  splitHalfUncorrected: number;
  /** Standard deviation over splits of the uncorrected similarity. */
  splitHalfSd: number;
  /** Splits that were usable (all, unless missing values left a half without sites). */
  splits: number;
  /** rsatoolbox bounds, RDM comparators only, when at least 2 repetitions have a usable RDM. */
  lower?: number;
  upper?: number;
}

/** A layer with repetitions, as the upload assembler yields it. */
export interface RepeatedLayer extends Layer {
  readonly repetitions: number;
}

/** Spearman-Brown prophecy: reliability of a mean over k times as many repetitions. */
export function spearmanBrown(r: number, k: number): number {
  return (k * r) / (1 + (k - 1) * r);
}

/** Number of NaN values in the layer. */
export function countMissing(layer: RepeatedLayer): number {
  let c = 0;
  const x = layer.data;
  for (let i = 0; i < x.length; i++) if (x[i] !== x[i]) c++;
  return c;
}

/**
 * Mean over the repetitions in `reps` (NaN skipped), n x d float64; NaN where a site has no value for a stimulus in
 * those repetitions.
 */
export function meanOverRepetitions(layer: RepeatedLayer, reps: readonly number[]): Float64Array {
  const { n, d, data } = layer;
  const nd = n * d;
  const sum = new Float64Array(nd);
  const count = new Uint32Array(nd);
  for (const r of reps) {
    const off = r * nd;
    for (let t = 0; t < nd; t++) {
      const v = data[off + t]!;
      if (v === v) {
        sum[t] += v;
        count[t]++;
      }
    }
  }
  for (let t = 0; t < nd; t++) sum[t] = count[t] ? sum[t]! / count[t]! : Number.NaN;
  return sum;
}

/** Sites (columns) with a value for every stimulus in all of `means`. */
function completeSites(means: readonly Float64Array[], n: number, d: number): number[] {
  const keep: number[] = [];
  for (let f = 0; f < d; f++) {
    let ok = true;
    for (const m of means) {
      for (let i = 0; i < n && ok; i++) if (Number.isNaN(m[i * d + f]!)) ok = false;
      if (!ok) break;
    }
    if (ok) keep.push(f);
  }
  return keep;
}

/** Float32 layer of the kept sites of an n x d float64 matrix. */
function compact(name: string, m: Float64Array, n: number, d: number, sites: readonly number[]): Layer {
  const k = sites.length;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = m[i * d + sites[c]!]!;
  return { name, shape: [n, k], n, d: k, data: out };
}

/**
 * The layer whose RDM the teacher stores: the mean over all repetitions. Throws INVALID_ARGUMENT when a site has no
 * value at all for some stimulus.
 */
export function meanLayer(layer: RepeatedLayer): Layer {
  const { n, d } = layer;
  const mean = meanOverRepetitions(layer, Array.from({ length: layer.repetitions }, (_, r) => r));
  for (let t = 0; t < mean.length; t++) {
    if (Number.isNaN(mean[t]!)) {
      throw new InvalidArgumentError(
        'chunk.data',
        `layer "${layer.name}": site ${t % d} has no repetition for stimulus ${Math.floor(t / d)} (every value is NaN)`,
      );
    }
  }
  return { name: layer.name, shape: layer.shape.slice(1), n, d, data: Float32Array.from(mean) };
}

/** rsatoolbox pool_rdm's per-RDM transform of an upper triangle, before averaging. */
function poolTransform(upper: Float32Array, comparator: RdmComparator): Float64Array {
  const m = upper.length;
  if (comparator === 'spearman' || comparator === 'kendall') return averageRanks(upper);
  const v = Float64Array.from(upper);
  if (comparator === 'pearson') {
    let s = 0;
    for (let k = 0; k < m; k++) s += v[k]!;
    const mean = s / m;
    let ss = 0;
    for (let k = 0; k < m; k++) ss += (v[k]! - mean) ** 2;
    const sd = Math.sqrt(ss / m) || 1;
    for (let k = 0; k < m; k++) v[k] = (v[k]! - mean) / sd;
    return v;
  }
  let ss = 0;
  for (let k = 0; k < m; k++) ss += v[k]! * v[k]!;
  const rms = Math.sqrt(ss / m) || 1;
  for (let k = 0; k < m; k++) v[k] = v[k]! / rms;
  return v;
}

/** A full symmetric n x n matrix with zero diagonal from an upper triangle (what Compute.prepare takes). */
function square(upper: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      out[i * n + j] = upper[k]!;
      out[j * n + i] = upper[k]!;
      k++;
    }
  }
  return out;
}

export interface CeilingOptions {
  method: RdmMethod;
  comparators: readonly ComparatorName[];
  splits: number;
  seed: number;
  signal?: AbortSignal;
}

/**
 * The random split-halves of R repetitions: each split is a permutation of 0..R-1 whose first floor(R/2) entries are
 * one half and the next floor(R/2) the other (with odd R the last is left out). Seeded per layer name.
 */
export function* splitHalves(R: number, splits: number, seed: number, layerName: string): Generator<readonly number[]> {
  const rng = createRng(seed, 'ceiling', layerName);
  const order = Array.from({ length: R }, (_, r) => r);
  for (let s = 0; s < splits; s++) yield rng.shuffle(order).slice();
}

const isGram = (c: ComparatorName): c is GramComparator => c === 'cka' || c === 'cka_unbiased';

/** Noise ceilings of one repeated layer, one per comparator (in `comparators` order). */
export async function noiseCeilings(compute: Compute, layer: RepeatedLayer, options: CeilingOptions): Promise<NoiseCeiling[]> {
  const { n, d, repetitions: R } = layer;
  const { comparators, method, signal } = options;
  const h = Math.floor(R / 2);
  const k = R / h;
  const sums = comparators.map(() => ({ s: 0, ss: 0, count: 0 }));
  const rdmComparators = comparators.filter((c): c is RdmComparator => !isGram(c));
  const gramComparators = comparators.filter(isGram);
  for (const order of splitHalves(R, options.splits, options.seed, layer.name)) {
    signal?.throwIfAborted();
    const a = meanOverRepetitions(layer, order.slice(0, h));
    const b = meanOverRepetitions(layer, order.slice(h, 2 * h));
    const sites = completeSites([a, b], n, d);
    if (sites.length < 2) continue;
    const la = compact(layer.name, a, n, d, sites);
    const lb = compact(layer.name, b, n, d, sites);
    const values = new Map<ComparatorName, number>();
    try {
      if (rdmComparators.length > 0) {
        checkRows(la, method);
        checkRows(lb, method);
        const [ra, rb] = [await compute.rdm(la, method), await compute.rdm(lb, method)];
        for (const c of rdmComparators) values.set(c, compute.compare(await compute.prepare(ra, n, c), await compute.prepare(rb, n, c)));
      }
      if (gramComparators.length > 0) {
        const [ga, gb] = [await compute.centeredGram(la), await compute.centeredGram(lb)];
        for (const c of gramComparators) values.set(c, compute.cka(ga, gb, n, c === 'cka_unbiased'));
      }
    } catch (error: unknown) {
      if (error instanceof ComputeInputError || error instanceof InvalidArgumentError) continue; // a half without usable rows
      throw error;
    }
    comparators.forEach((c, i) => {
      const v = values.get(c)!;
      if (!Number.isFinite(v)) return;
      sums[i]!.s += v;
      sums[i]!.ss += v * v;
      sums[i]!.count++;
    });
  }
  const bounds = await rsatoolboxBounds(compute, layer, method, rdmComparators, signal);
  return comparators.map((c, i) => {
    const { s, ss, count } = sums[i]!;
    if (count === 0) {
      throw new InvalidArgumentError(
        'chunk.data',
        `layer "${layer.name}": no split of the repetitions into halves left usable data for a ${c} noise ceiling`,
      );
    }
    const mean = s / count;
    const variance = count > 1 ? Math.max(0, (ss - count * mean * mean) / (count - 1)) : 0;
    const ceiling: NoiseCeiling = {
      comparator: c,
      splitHalf: spearmanBrown(mean, k),
      splitHalfUncorrected: mean,
      splitHalfSd: Math.sqrt(variance),
      splits: count,
    };
    const bound = bounds.get(c);
    if (bound) Object.assign(ceiling, bound);
    return ceiling;
  });
}

/** One repetition's RDM over the sites it has for every stimulus, or undefined when it is not usable. */
async function repetitionRdm(compute: Compute, layer: RepeatedLayer, r: number, method: RdmMethod): Promise<Float32Array | undefined> {
  const { n, d } = layer;
  const one = meanOverRepetitions(layer, [r]);
  const sites = completeSites([one], n, d);
  if (sites.length < 2) return undefined;
  const rows = compact(layer.name, one, n, d, sites);
  try {
    checkRows(rows, method);
    return await compute.rdm(rows, method);
  } catch (error: unknown) {
    if (error instanceof ComputeInputError || error instanceof InvalidArgumentError) return undefined;
    throw error;
  }
}

/**
 * rsatoolbox's boot_noise_ceiling over per-repetition RDMs. Two passes over the repetitions (each RDM computed twice)
 * so that only one pooled sum per comparator is held, not R RDMs.
 */
async function rsatoolboxBounds(
  compute: Compute,
  layer: RepeatedLayer,
  method: RdmMethod,
  comparators: readonly RdmComparator[],
  signal: AbortSignal | undefined,
): Promise<Map<ComparatorName, { lower: number; upper: number }>> {
  const out = new Map<ComparatorName, { lower: number; upper: number }>();
  if (comparators.length === 0) return out;
  const n = layer.n;
  const m = (n * (n - 1)) / 2;
  const pooled = comparators.map(() => new Float64Array(m));
  const usable: number[] = [];
  for (let r = 0; r < layer.repetitions; r++) {
    signal?.throwIfAborted();
    const rdm = await repetitionRdm(compute, layer, r, method);
    if (!rdm) continue;
    usable.push(r);
    const upper = upperTriangle(rdm, n);
    comparators.forEach((c, i) => {
      const t = poolTransform(upper, c);
      const p = pooled[i]!;
      for (let q = 0; q < m; q++) p[q] += t[q]!;
    });
  }
  const u = usable.length;
  if (u < 2) return out;
  const lower = comparators.map(() => 0);
  const upperSum = comparators.map(() => 0);
  const all = await Promise.all(comparators.map((c, i) => compute.prepare(square(pooled[i]!.map((v) => v / u), n), n, c)));
  for (const r of usable) {
    signal?.throwIfAborted();
    const rdm = (await repetitionRdm(compute, layer, r, method))!;
    const upper = upperTriangle(rdm, n);
    for (let i = 0; i < comparators.length; i++) {
      const c = comparators[i]!;
      const own = await compute.prepare(rdm, n, c);
      const t = poolTransform(upper, c);
      const p = pooled[i]!;
      const others = new Float64Array(m);
      for (let q = 0; q < m; q++) others[q] = (p[q]! - t[q]!) / (u - 1);
      lower[i] += compute.compare(await compute.prepare(square(others, n), n, c), own);
      upperSum[i] += compute.compare(all[i]!, own);
    }
  }
  comparators.forEach((c, i) => out.set(c, { lower: lower[i]! / u, upper: upperSum[i]! / u }));
  return out;
}
