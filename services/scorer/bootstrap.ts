// Bootstrap over stimuli (pure domain). A resample draws N stimuli with replacement; its RDM entries are those
// between drawn positions a < b of different stimuli (a stimulus paired with its own duplicate is dropped), so the
// unordered pair {i, j} of the original RDM appears c_i c_j times (c = how often each stimulus was drawn). Every
// comparison over the resampled entries is therefore a comparison over the original upper triangle with weights
// w_ij = c_i c_j, which is what is computed here — no resampled matrix is ever built:
//   - Pearson / cosine: weighted moments of the original values;
//   - Spearman: the tie-averaged ranks of the expanded vector, from each RDM's sort order fixed once: a tie group's
//     rank is (weight of all smaller entries) + (its own weight + 1) / 2, one pass in sorted order per resample;
//   - Kendall tau-a needs a weighted pair count per resample and is not offered.
// Work is split into slices between which the event loop runs, so a long bootstrap neither blocks a server nor
// ignores an abort.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../common/errors.ts';
import { yieldToEventLoop } from '../common/event-loop.ts';
import { denseRanks, upperTriangle } from '../compute/ranks.ts';
import type { ComparatorName } from '../compute/types.ts';
import { createRng } from '../spaces/rng.ts';

export const MAX_BOOTSTRAP = 100_000;
/** Most RDM entries (layers x N(N-1)/2) held for one bootstrap: about 24 bytes each while it runs. */
export const MAX_BOOTSTRAP_ENTRIES = 16 * 1024 * 1024;
export const BOOTSTRAP_CONFIDENCE = 0.95;
export const BOOTSTRAP_COMPARATORS: readonly ComparatorName[] = ['spearman', 'pearson', 'cosine'];

/** One RDM made ready for resampling. */
interface BootRdm {
  /** Pearson / cosine: the upper triangle (Pearson: minus its mean). */
  values?: Float64Array;
  /** Spearman: dense rank (tie group) of each entry, in upper-triangle order. */
  group?: Int32Array;
  /** Spearman: entries' (i, j) in ascending order of value. */
  sortedI?: Uint32Array;
  sortedJ?: Uint32Array;
  /** Spearman: end (exclusive, in sorted order) of each tie group. */
  groupEnd?: Uint32Array;
  /** Spearman: per-resample centred rank of each tie group. */
  rank?: Float64Array;
}

export interface BootstrapInput {
  /** Candidate RDMs (n x n, row-major): the rows. */
  candidates: ReadonlyArray<Float32Array | Float64Array>;
  /** Teacher RDMs: the columns. */
  teachers: ReadonlyArray<Float32Array | Float64Array>;
  n: number;
  comparator: ComparatorName;
  resamples: number;
  seed: number;
  /** Teacher layers' ceilings, for the normalised TG's interval. */
  ceilings?: readonly number[];
  signal?: AbortSignal;
  /** Called after each slice with resamples done. */
  onProgress?: (done: number, total: number) => void;
}

export interface BootstrapSummary {
  resamples: number;
  seed: number;
  confidence: number;
  similarityLow: number[];
  similarityHigh: number[];
  tgLow: number;
  tgHigh: number;
  tgNormalizedLow: number;
  tgNormalizedHigh: number;
  /** Per teacher layer: fraction of resamples in which the point estimate's best candidate layer is the best. */
  pBest: number[];
}

/** Checks a request's bootstrap settings; `field` names the header field. */
export function checkBootstrap(resamples: number, comparator: ComparatorName, field: string): void {
  if (resamples === 0) return;
  if (!Number.isInteger(resamples) || resamples < 0 || resamples > MAX_BOOTSTRAP) {
    throw new InvalidArgumentError(field, `must be 0 (none) to ${MAX_BOOTSTRAP} resamples, got ${resamples}`);
  }
  if (!BOOTSTRAP_COMPARATORS.includes(comparator)) {
    throw new InvalidArgumentError(field, `the bootstrap supports the ${BOOTSTRAP_COMPARATORS.join(', ')} comparators, not ${comparator}`);
  }
}

/** The stimuli drawn by each resample (what the scorer uses; exported so tests can replay them independently). */
export function* resampleDraws(n: number, resamples: number, seed: number): Generator<Uint32Array> {
  const rng = createRng(seed, 'bootstrap');
  for (let r = 0; r < resamples; r++) {
    const draw = new Uint32Array(n);
    for (let a = 0; a < n; a++) draw[a] = rng.int(n);
    yield draw;
  }
}

function prepareBoot(rdm: Float32Array | Float64Array, n: number, comparator: ComparatorName, pairI: Uint32Array, pairJ: Uint32Array): BootRdm {
  const upper = upperTriangle(rdm, n);
  const m = upper.length;
  if (comparator === 'spearman') {
    const { dense, order, groups } = denseRanks(upper);
    const sortedI = new Uint32Array(m);
    const sortedJ = new Uint32Array(m);
    const groupEnd = new Uint32Array(groups);
    for (let t = 0; t < m; t++) {
      const k = order[t]!;
      sortedI[t] = pairI[k]!;
      sortedJ[t] = pairJ[k]!;
      groupEnd[dense[k]!] = t + 1;
    }
    return { group: dense, sortedI, sortedJ, groupEnd, rank: new Float64Array(groups) };
  }
  const values = Float64Array.from(upper);
  if (comparator === 'pearson') {
    let s = 0;
    for (let k = 0; k < m; k++) s += values[k]!;
    const mean = s / m;
    for (let k = 0; k < m; k++) values[k] -= mean;
  }
  return { values };
}

/** Centred weighted tie-averaged ranks of one Spearman RDM for counts c (total weight M). */
function weightedRanks(b: BootRdm, c: Float64Array, M: number): void {
  const { sortedI, sortedJ, groupEnd, rank } = b as Required<BootRdm>;
  const centre = (M + 1) / 2;
  let cum = 0;
  let t = 0;
  for (let g = 0; g < groupEnd.length; g++) {
    const end = groupEnd[g]!;
    let w = 0;
    for (; t < end; t++) w += c[sortedI[t]!]! * c[sortedJ[t]!]!;
    rank[g] = cum + (w + 1) / 2 - centre;
    cum += w;
  }
}

/** x[k * L + l] = v[k]. */
function interleave(x: Float64Array, v: Float64Array, l: number, L: number): void {
  const m = v.length;
  for (let k = 0; k < m; k++) x[k * L + l] = v[k]!;
}

/** x[k * L + l] = rank[group[k]]. */
function gatherRanks(x: Float64Array, rank: Float64Array, group: Int32Array, l: number, L: number): void {
  const m = group.length;
  for (let k = 0; k < m; k++) x[k * L + l] = rank[group[k]!]!;
}

/** Weighted first and second moments of every layer and weighted cross products candidate x teacher. */
function weightedSums(
  x: Float64Array,
  L: number,
  rows: number,
  cols: number,
  n: number,
  c: Float64Array,
  present: Uint32Array,
  np: number,
  s1: Float64Array,
  s2: Float64Array,
  sab: Float64Array,
): void {
  s1.fill(0);
  s2.fill(0);
  sab.fill(0);
  for (let pi = 0; pi < np; pi++) {
    const i = present[pi]!;
    const ci = c[i]!;
    const rowStart = i * n - (i * (i + 1)) / 2 - i - 1; // k of (i, j) = rowStart + j
    for (let pj = pi + 1; pj < np; pj++) {
      const j = present[pj]!;
      const base = (rowStart + j) * L;
      const w = ci * c[j]!;
      for (let l = 0; l < L; l++) {
        const v = x[base + l]!;
        const wv = w * v;
        s1[l] += wv;
        s2[l] += wv * v;
      }
      for (let a = 0; a < rows; a++) {
        const wa = w * x[base + a]!;
        const o = a * cols;
        for (let b = 0; b < cols; b++) sab[o + b] += wa * x[base + rows + b]!;
      }
    }
  }
}

/** Percentile with linear interpolation (numpy's default), of sorted finite values. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const len = sorted.length;
  if (len === 0) return Number.NaN;
  const pos = (len - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, len - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function interval(values: Float64Array): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v)).sort();
  const a = (1 - BOOTSTRAP_CONFIDENCE) / 2;
  return [percentile(finite, a), percentile(finite, 1 - a)];
}

interface BootstrapAddon {
  bootstrap(mode: number, n: number, rows: number, cols: number, threads: number, counts: Float64Array, out: Float64Array, ...arrays: ArrayBufferView[]): Promise<void>;
}

const ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'tgsage_bootstrap.node');
let addon: BootstrapAddon | null | undefined;

/** The native kernel (native/src/tgsage_bootstrap.c), or null when it is not built (the TypeScript loop runs then). */
export function bootstrapAddon(): BootstrapAddon | null {
  if (addon === undefined) {
    try {
      addon = existsSync(ADDON_PATH) ? (createRequire(import.meta.url)(ADDON_PATH) as BootstrapAddon) : null;
    } catch {
      addon = null;
    }
  }
  return addon;
}

/** Resamples per native call: between calls progress is reported and an abort is seen. */
const NATIVE_BATCH = 64;

/**
 * Row-major resamples x rows x cols similarities, one resample per draw: in the native kernel on every core when it
 * is built (`native: 'off'` forces the TypeScript loop, which computes the same numbers), else in TypeScript.
 */
export async function bootstrapSimilarities(input: BootstrapInput & { native?: 'auto' | 'off' }): Promise<Float64Array> {
  const native = input.native === 'off' ? null : bootstrapAddon();
  return native ? bootstrapNative(native, input) : bootstrapTs(input);
}

async function bootstrapNative(native: BootstrapAddon, input: BootstrapInput): Promise<Float64Array> {
  const { n, comparator, resamples, candidates, teachers } = input;
  const rows = candidates.length;
  const cols = teachers.length;
  const m = (n * (n - 1)) / 2;
  const { pairI, pairJ } = pairIndex(n);
  const boot = [...candidates, ...teachers].map((r) => prepareBoot(r, n, comparator, pairI, pairJ));
  const L = boot.length;
  let arrays: ArrayBufferView[];
  let mode: number;
  if (comparator === 'spearman') {
    mode = 0;
    const group = new Int32Array(L * m);
    const sortedI = new Uint32Array(L * m);
    const sortedJ = new Uint32Array(L * m);
    const groupOff = new Uint32Array(L + 1);
    boot.forEach((b, l) => (groupOff[l + 1] = groupOff[l]! + b.groupEnd!.length));
    const groupEnd = new Uint32Array(groupOff[L]!);
    boot.forEach((b, l) => {
      group.set(b.group!, l * m);
      sortedI.set(b.sortedI!, l * m);
      sortedJ.set(b.sortedJ!, l * m);
      groupEnd.set(b.groupEnd!, groupOff[l]!);
    });
    arrays = [group, sortedI, sortedJ, groupEnd, groupOff];
  } else {
    mode = comparator === 'pearson' ? 1 : 2;
    const values = new Float64Array(L * m);
    boot.forEach((b, l) => values.set(b.values!, l * m));
    arrays = [values];
  }
  const out = new Float64Array(resamples * rows * cols);
  const threads = Math.max(1, Math.min(availableParallelism(), 16));
  const draws = resampleDraws(n, resamples, input.seed);
  for (let r0 = 0; r0 < resamples; r0 += NATIVE_BATCH) {
    input.signal?.throwIfAborted();
    const batch = Math.min(NATIVE_BATCH, resamples - r0);
    const counts = new Float64Array(batch * n);
    for (let b = 0; b < batch; b++) {
      const draw = draws.next().value as Uint32Array;
      for (let a = 0; a < n; a++) counts[b * n + draw[a]!]++;
    }
    await native.bootstrap(mode, n, rows, cols, threads, counts, out.subarray(r0 * rows * cols, (r0 + batch) * rows * cols), ...arrays);
    input.onProgress?.(r0 + batch, resamples);
  }
  input.signal?.throwIfAborted();
  return out;
}

function pairIndex(n: number): { pairI: Uint32Array; pairJ: Uint32Array } {
  const m = (n * (n - 1)) / 2;
  const pairI = new Uint32Array(m);
  const pairJ = new Uint32Array(m);
  for (let i = 0, k = 0; i < n; i++) for (let j = i + 1; j < n; j++, k++) (pairI[k] = i), (pairJ[k] = j);
  return { pairI, pairJ };
}

async function bootstrapTs(input: BootstrapInput): Promise<Float64Array> {
  const { n, comparator, resamples, candidates, teachers } = input;
  const rows = candidates.length;
  const cols = teachers.length;
  const L = rows + cols;
  const m = (n * (n - 1)) / 2;
  const { pairI, pairJ } = pairIndex(n);
  const boot = [...candidates, ...teachers].map((r) => prepareBoot(r, n, comparator, pairI, pairJ));
  const spearman = comparator === 'spearman';
  const cosine = comparator === 'cosine';
  const out = new Float64Array(resamples * rows * cols);
  const c = new Float64Array(n);
  const s1 = new Float64Array(L);
  const s2 = new Float64Array(L);
  const sab = new Float64Array(rows * cols);
  // per resample, every layer's value at every entry, interleaved: x[k * L + l]
  const x = new Float64Array(m * L);
  if (!spearman) boot.forEach((b, l) => interleave(x, b.values!, l, L));
  const present = new Uint32Array(n);
  let r = 0;
  let sliceStart = performance.now();
  for (const draw of resampleDraws(n, resamples, input.seed)) {
    c.fill(0);
    for (let a = 0; a < n; a++) c[draw[a]!]++;
    let sumC2 = 0;
    let np = 0;
    for (let i = 0; i < n; i++) {
      sumC2 += c[i]! * c[i]!;
      if (c[i]! > 0) present[np++] = i;
    }
    const M = (n * n - sumC2) / 2;
    if (spearman) {
      boot.forEach((b, l) => {
        weightedRanks(b, c, M);
        gatherRanks(x, b.rank!, b.group!, l, L);
      });
    }
    weightedSums(x, L, rows, cols, n, c, present, np, s1, s2, sab);
    const base = r * rows * cols;
    for (let a = 0; a < rows; a++) {
      for (let b = 0; b < cols; b++) {
        const t = rows + b;
        out[base + a * cols + b] = cosine
          ? sab[a * cols + b]! / Math.sqrt(s2[a]! * s2[t]!)
          : (M * sab[a * cols + b]! - s1[a]! * s1[t]!) / Math.sqrt((M * s2[a]! - s1[a]! ** 2) * (M * s2[t]! - s1[t]! ** 2));
      }
    }
    r++;
    if (performance.now() - sliceStart > 50) {
      input.onProgress?.(r, resamples);
      await yieldToEventLoop();
      input.signal?.throwIfAborted();
      sliceStart = performance.now();
    }
  }
  input.onProgress?.(resamples, resamples);
  return out;
}

/** Intervals, TG intervals and p(best) from the resampled similarities. */
export function summariseBootstrap(
  sims: Float64Array,
  rows: number,
  cols: number,
  input: Pick<BootstrapInput, 'resamples' | 'seed' | 'ceilings'>,
  bestRows: readonly number[],
): BootstrapSummary {
  const K = input.resamples;
  const cell = new Float64Array(K);
  const similarityLow: number[] = [];
  const similarityHigh: number[] = [];
  for (let q = 0; q < rows * cols; q++) {
    for (let r = 0; r < K; r++) cell[r] = sims[r * rows * cols + q]!;
    const [lo, hi] = interval(cell);
    similarityLow.push(lo);
    similarityHigh.push(hi);
  }
  const tg = new Float64Array(K);
  const tgn = new Float64Array(K);
  const wins = new Array<number>(cols).fill(0);
  const ceilings = input.ceilings;
  for (let r = 0; r < K; r++) {
    let sum = 0;
    let sumN = 0;
    for (let b = 0; b < cols; b++) {
      let bi = 0;
      for (let a = 1; a < rows; a++) if (sims[r * rows * cols + a * cols + b]! > sims[r * rows * cols + bi * cols + b]!) bi = a;
      const best = sims[r * rows * cols + bi * cols + b]!;
      if (bi === bestRows[b]) wins[b]++;
      sum += best;
      sumN += ceilings && ceilings[b]! > 0 ? best / ceilings[b]! : Number.NaN;
    }
    tg[r] = sum / cols;
    tgn[r] = sumN / cols;
  }
  const [tgLow, tgHigh] = interval(tg);
  const [tgNormalizedLow, tgNormalizedHigh] = ceilings ? interval(tgn) : [Number.NaN, Number.NaN];
  return {
    resamples: K,
    seed: input.seed,
    confidence: BOOTSTRAP_CONFIDENCE,
    similarityLow,
    similarityHigh,
    tgLow,
    tgHigh,
    tgNormalizedLow,
    tgNormalizedHigh,
    pBest: wins.map((w) => w / K),
  };
}
