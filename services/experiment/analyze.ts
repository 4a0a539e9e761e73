// `tgsage experiment analyze`: how well early scores predict the final accuracy, from a benchmark table alone.
//
// For each evaluation budget b, over the architectures that have a final P and a point at b:
//   predictors: early P; TG over all teacher layers and each teacher layer alone, per comparator in the table;
//   P+TG = (1 - alpha) P + alpha TG over an alpha grid, on raw values and on values z-scored within the budget.
//   statistics: Spearman and Kendall tau-b with final P, each with a 95% percentile bootstrap interval over
//   architectures (paired: one set of resamples for all predictors of a budget), and the paired difference of each
//   predictor's Spearman from early P's, with its interval (a difference whose interval excludes 0 is a real one).
// The same over the better half of the architectures (final P at or above the median); the noise floor of "final"
// (Spearman between the final P of two training seeds of one architecture); the teacher-layer subset and alpha
// chosen by k-fold cross-validation over architectures (see crossValidate); and what a search gets from a predictor:
// the regret of random search of n architectures that keeps the best by the predictor (see pickRegrets).

import { InvalidArgumentError } from '../common/errors.ts';
import { yieldToEventLoop } from '../common/event-loop.ts';
import { pTg } from '../controller/score.ts';
import { createRng } from '../controller/strategies/rng.ts';
import { DEFAULT_ALPHA } from '../controller/score.ts';
import { bootstrap, expectedPick, finitePairs, kendallTauB, mean, spearman, weightedRankPair, weightsOf, zscore, type Interval } from './stats.ts';
import { architectures, pointAt, tgOf, type Architecture, type BenchmarkTable, type TableComparator } from './table.ts';

export const ANALYSIS_FORMAT = 'tgsage-analysis/1';

/** Alphas of the P+TG grid (0 = P alone, 1 = TG alone, which are reported as P and TG). */
export const ALPHA_GRID: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** Sizes n of the pick statistics: random search of n architectures that keeps the best by an early score. */
export const PICK_SIZES: readonly number[] = [10, 30];

/** Teacher-layer subsets tried by cross-validation: all of them up to this many layers, else a smaller family. */
const MAX_LAYERS_ALL_SUBSETS = 6;

export interface AnalyzeOptions {
  /** Bootstrap resamples (>= 1; use >= 1000 for a report). */
  resamples?: number;
  seed?: number;
  alphas?: readonly number[];
  /** Cross-validation folds (>= 2). */
  folds?: number;
  /** Cross-validation repeats with different fold assignments (>= 1). */
  repeats?: number;
  /** Sizes n of the pick statistics (default PICK_SIZES; sizes above the number of architectures are left out). */
  pickSizes?: readonly number[];
  /** Comparator for P+TG and cross-validation (default: the table's first). */
  comparator?: TableComparator;
  /** Budget of the scatter plot (default: the budget closest to a tenth of the final one). */
  scatterBudget?: number;
  /** Called after each budget (progress). */
  onBudget?: (done: number, total: number) => void;
  /** Checked between budgets (the analysis yields to the event loop there, so a SIGINT gets through). */
  signal?: AbortSignal;
}

export type PredictorKind = 'p' | 'tg' | 'layer' | 'ptg';

export interface PredictorSpec {
  id: string;
  kind: PredictorKind;
  comparator?: TableComparator;
  layer?: string;
  alpha?: number;
  mode?: 'raw' | 'z';
}

export interface Correlation extends PredictorSpec {
  /** Architectures with a finite value. */
  n: number;
  spearman: number;
  spearmanCI: Interval;
  kendall: number;
  kendallCI: Interval;
  /** Spearman minus early P's Spearman (paired, same architectures' resamples). */
  deltaVsP: number;
  deltaVsPCI: Interval;
}

export interface CvChoice {
  /** Teacher layers in the TG of the choice ([] when alpha = 0). */
  layers: string[];
  alpha: number;
  mode: 'raw' | 'z';
}

export interface CrossValidation {
  comparator: TableComparator;
  folds: number;
  repeats: number;
  /** Candidate (subset, alpha, mode) configurations searched on each training fold. */
  candidates: number;
  /** Held-out predictions pooled over the folds of repeat 0 (each fold's standardised over every architecture's score). */
  heldOut: { n: number; spearman: number; spearmanCI: Interval; kendall: number; kendallCI: Interval; deltaVsP: number; deltaVsPCI: Interval };
  /** Mean over folds (all repeats) of the held-out Spearman within a fold. */
  meanFoldSpearman: number;
  /** Pooled held-out Spearman of each repeat. */
  repeatSpearman: number[];
  /** How often each configuration was chosen (over folds x repeats), most frequent first. */
  chosen: { choice: CvChoice; count: number }[];
  /** The configuration the whole set would choose: a default to set, never scored (it saw every architecture). */
  fullData: CvChoice & { spearman: number };
}

/**
 * What a search gets from a predictor at one budget: n architectures drawn at random (without replacement), the one
 * with the best early score kept. regret = expected final P of the best of the n minus expected final P of the one
 * kept (0: the predictor always keeps the best of what was drawn), exact over all draws (stats.expectedPick).
 */
export interface PickRegret {
  id: string;
  kind: PredictorKind | 'cv';
  comparator?: TableComparator;
  alpha?: number;
  /** Accuracy (a fraction: 0.01 is one point). */
  regret: number;
  regretCI: Interval;
  /** Early P's regret minus this one's (paired; > 0: this predictor keeps better architectures than early P). */
  gainVsP: number;
  gainVsPCI: Interval;
}

export interface PickAnalysis {
  /** Architectures drawn. */
  n: number;
  /** Expected final P of the best of the n (what full training of the n would keep). */
  best: number;
  predictors: PickRegret[];
}

export interface BudgetAnalysis {
  step: number;
  n: number;
  predictors: Correlation[];
  betterHalf: { n: number; threshold: number; predictors: Correlation[] };
  cv?: CrossValidation;
  /** Random search of n, best by an early score: P, TG and P+TG at the default alpha per comparator, CV held-out. */
  picks?: PickAnalysis[];
}

export interface ScatterPoint {
  architecture: number;
  final: number;
  p: number;
  tg: number;
  ptg: number;
}

export interface Analysis {
  format: typeof ANALYSIS_FORMAT;
  table: {
    space: string;
    dataset: string;
    teacher: string;
    teacherLayers: string[];
    comparators: TableComparator[];
    finalSteps: number;
    evalSteps: number[];
    rows: number;
    architectures: number;
    /** Architectures with a final P. */
    finished: number;
    /** Architectures with two or more finished training seeds. */
    multiSeed: number;
  };
  method: {
    correlations: string;
    interval: string;
    resamples: number;
    level: number;
    seed: number;
    alphas: number[];
    early: string;
    picks: string;
    pickSizes: number[];
  };
  noiseFloor?: { n: number; spearman: number; spearmanCI: Interval; kendall: number; kendallCI: Interval };
  budgets: BudgetAnalysis[];
  /** Early scores vs final P at one budget (P+TG at alpha 0.5, raw). */
  scatter?: { step: number; comparator: TableComparator; alpha: number; points: ScatterPoint[] };
}

interface Resolved {
  resamples: number;
  seed: number;
  alphas: number[];
  pickSizes: number[];
  folds: number;
  repeats: number;
  comparator?: TableComparator;
}

function resolve(o: AnalyzeOptions, table: BenchmarkTable): Resolved {
  const resamples = o.resamples ?? 1000;
  if (!Number.isInteger(resamples) || resamples < 1 || resamples > 1_000_000) throw new InvalidArgumentError('resamples', `must be an integer in [1, 1000000], got ${resamples}`);
  const seed = o.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError('seed', `must be a non-negative integer, got ${seed}`);
  const alphas = [...(o.alphas ?? ALPHA_GRID)];
  alphas.forEach((a, i) => {
    if (!(a > 0 && a < 1)) throw new InvalidArgumentError(`alphas[${i}]`, `must be in (0, 1), got ${a}`);
  });
  const pickSizes = [...(o.pickSizes ?? PICK_SIZES)];
  pickSizes.forEach((n, i) => {
    if (!(Number.isInteger(n) && n >= 2 && n <= 100_000)) throw new InvalidArgumentError(`pick_sizes[${i}]`, `must be an integer in [2, 100000], got ${n}`);
  });
  const folds = o.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2 || folds > 100) throw new InvalidArgumentError('folds', `must be an integer in [2, 100], got ${folds}`);
  const repeats = o.repeats ?? 1;
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100) throw new InvalidArgumentError('repeats', `must be an integer in [1, 100], got ${repeats}`);
  const comparator = o.comparator ?? table.comparators[0];
  if (o.comparator !== undefined && !table.comparators.includes(o.comparator)) {
    throw new InvalidArgumentError('comparator', `"${o.comparator}" is not in the table (it has ${table.comparators.join(', ') || 'none'})`);
  }
  return { resamples, seed, alphas, pickSizes, folds, repeats, ...(comparator ? { comparator } : {}) };
}

const NO_INTERVAL: Interval = { lo: Number.NaN, hi: Number.NaN, valid: 0 };

/** Values of every predictor for the given architectures at `step` (NaN where missing). */
function predictorValues(
  table: BenchmarkTable,
  archs: readonly Architecture[],
  step: number,
  alphas: readonly number[],
): { specs: PredictorSpec[]; values: Float64Array[] } {
  const specs: PredictorSpec[] = [];
  const values: Float64Array[] = [];
  const points = archs.map((a) => pointAt(a, step));
  const p = Float64Array.from(points, (pt) => (pt && Number.isFinite(pt.p) ? pt.p : Number.NaN));
  specs.push({ id: 'P', kind: 'p' });
  values.push(p);
  const layers = table.teacher.layers;
  for (const c of table.comparators) {
    const sims = points.map((pt) => pt?.similarity[c]);
    const tg = Float64Array.from(sims, (s) => (s ? tgOf(s) : Number.NaN));
    specs.push({ id: `TG[${c}]`, kind: 'tg', comparator: c });
    values.push(tg);
    layers.forEach((layer, j) => {
      specs.push({ id: `TG[${c}:${layer}]`, kind: 'layer', comparator: c, layer });
      values.push(Float64Array.from(sims, (s) => (s ? tgOf(s, [j]) : Number.NaN)));
    });
    const zp = zscore(p);
    const zt = zscore(tg);
    for (const mode of ['raw', 'z'] as const) {
      for (const alpha of alphas) {
        specs.push({ id: `P+TG[${c}] a=${alpha} ${mode}`, kind: 'ptg', comparator: c, alpha, mode });
        values.push(
          Float64Array.from(p, (_, i) => (mode === 'raw' ? (pTg(alpha, p[i], tg[i]) ?? Number.NaN) : (1 - alpha) * zp[i]! + alpha * zt[i]!)),
        );
      }
    }
  }
  return { specs, values };
}

/** Spearman, Kendall and the paired difference from predictor 0 (P), with bootstrap intervals. */
function correlate(specs: PredictorSpec[], values: Float64Array[], final: Float64Array, o: Resolved, seed: number): Correlation[] {
  const n = final.length;
  const point = values.map((v) => {
    const [x, y] = finitePairs(v, final);
    return { n: x.length, s: spearman(x, y), k: kendallTauB(x, y) };
  });
  const pairs = values.map((v) => weightedRankPair(v, final));
  const w = new Float64Array(n);
  const intervals =
    n >= 3
      ? bootstrap(
          n,
          (idx) => {
            weightsOf(idx, n, w);
            const out: number[] = [];
            let sp = Number.NaN;
            pairs.forEach((pair, k) => {
              const s = pair.spearman(w);
              if (k === 0) sp = s;
              out.push(s, pair.kendall(w), s - sp);
            });
            return out;
          },
          { resamples: o.resamples, seed },
        )
      : [];
  return specs.map((spec, k) => ({
    ...spec,
    n: point[k]!.n,
    spearman: point[k]!.s,
    spearmanCI: intervals[3 * k] ?? NO_INTERVAL,
    kendall: point[k]!.k,
    kendallCI: intervals[3 * k + 1] ?? NO_INTERVAL,
    deltaVsP: point[k]!.s - point[0]!.s,
    deltaVsPCI: k === 0 ? { lo: 0, hi: 0, valid: intervals[2]?.valid ?? 0 } : (intervals[3 * k + 2] ?? NO_INTERVAL),
  }));
}

/** The alpha of "P+TG" in figures and pick statistics: the shipped default if the grid has it, else 0.5, else the grid's middle. */
export function referenceAlpha(alphas: readonly number[]): number {
  if (alphas.includes(DEFAULT_ALPHA)) return DEFAULT_ALPHA;
  return alphas.includes(0.5) ? 0.5 : alphas[Math.floor(alphas.length / 2)]!;
}

type PickSpec = Omit<PickRegret, 'regret' | 'regretCI' | 'gainVsP' | 'gainVsPCI'>;

/**
 * Regret of random search of n that keeps the best by each predictor (the first must be early P), for each size n
 * below the number of architectures, with paired percentile bootstrap intervals over architectures.
 */
function pickRegrets(items: readonly { spec: PickSpec; values: Float64Array }[], final: Float64Array, o: Resolved, seed: number): PickAnalysis[] {
  const N = final.length;
  const sizes = o.pickSizes.filter((n) => n < N);
  if (sizes.length === 0 || N < 3) return [];
  const pickers = sizes.map((n) => ({ best: expectedPick(final, final, n), by: items.map((it) => expectedPick(it.values, final, n)) }));
  const stats = (w?: Float64Array): number[] => {
    const out: number[] = [];
    for (const { best, by } of pickers) {
      const b = best.value(w);
      const regretP = b - by[0]!.value(w);
      for (const pick of by) {
        const regret = b - pick.value(w);
        out.push(regret, regretP - regret);
      }
    }
    return out;
  };
  const point = stats();
  const w = new Float64Array(N);
  const intervals = bootstrap(N, (idx) => stats(weightsOf(idx, N, w)), { resamples: o.resamples, seed });
  const K = items.length;
  return sizes.map((n, s) => ({
    n,
    best: pickers[s]!.best.value(),
    predictors: items.map((it, k) => {
      const at = 2 * (s * K + k);
      return {
        ...it.spec,
        regret: point[at]!,
        regretCI: intervals[at] ?? NO_INTERVAL,
        gainVsP: point[at + 1]!,
        gainVsPCI: k === 0 ? { lo: 0, hi: 0, valid: intervals[at + 1]?.valid ?? 0 } : (intervals[at + 1] ?? NO_INTERVAL),
      };
    }),
  }));
}

/** Non-empty subsets of teacher-layer columns tried by cross-validation. */
export function layerSubsets(numLayers: number): number[][] {
  const all = Array.from({ length: numLayers }, (_, j) => j);
  if (numLayers <= MAX_LAYERS_ALL_SUBSETS) {
    const out: number[][] = [];
    for (let mask = 1; mask < 1 << numLayers; mask++) out.push(all.filter((j) => mask & (1 << j)));
    return out.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join())); // simplest first: ties go to fewer layers
  }
  return [all, ...all.map((k) => all.filter((j) => j !== k)), ...all.map((j) => [j])];
}

interface Candidate {
  subset: number[];
  /** Index of the subset's TG values in crossValidate's precomputed arrays. */
  tgIndex: number;
  alpha: number;
  mode: 'raw' | 'z';
}

/** Candidates in preference order (the first of equal training scores wins): P alone, then TG-using ones. */
function cvCandidates(subsets: readonly number[][], alphas: readonly number[]): Candidate[] {
  const out: Candidate[] = [{ subset: [], tgIndex: -1, alpha: 0, mode: 'raw' }];
  subsets.forEach((subset, tgIndex) => {
    for (const mode of ['raw', 'z'] as const) for (const alpha of alphas) out.push({ subset, tgIndex, alpha, mode });
    out.push({ subset, tgIndex, alpha: 1, mode: 'raw' });
  });
  return out;
}

/** Scores of a candidate for the architectures `idx`, with z-scoring fitted on `fit` (indices). */
function candidateScores(c: Candidate, p: Float64Array, tg: Float64Array[], idx: readonly number[], fit: readonly number[]): Float64Array {
  if (c.alpha === 0) return Float64Array.from(idx, (i) => p[i]!);
  const t = tg[c.tgIndex]!;
  if (c.alpha === 1) return Float64Array.from(idx, (i) => t[i]!);
  if (c.mode === 'raw') return Float64Array.from(idx, (i) => (1 - c.alpha) * p[i]! + c.alpha * t[i]!);
  const stat = (v: Float64Array) => {
    const xs = fit.map((i) => v[i]!).filter(Number.isFinite);
    const m = mean(xs);
    const sd = Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
    return (x: number) => (sd > 0 ? (x - m) / sd : 0);
  };
  const zp = stat(p);
  const zt = stat(t);
  return Float64Array.from(idx, (i) => (1 - c.alpha) * zp(p[i]!) + c.alpha * zt(t[i]!));
}

function choose(cands: Candidate[], p: Float64Array, tg: Float64Array[], final: Float64Array, train: readonly number[]): { c: Candidate; s: number } {
  const f = Float64Array.from(train, (i) => final[i]!);
  let best = { c: cands[0]!, s: -Infinity };
  for (const c of cands) {
    const [x, y] = finitePairs(candidateScores(c, p, tg, train, train), f);
    const s = spearman(x, y);
    if (s > best.s) best = { c, s };
  }
  return best;
}

/**
 * k-fold cross-validation over architectures: on each training fold, the (teacher-layer subset, alpha, raw/z)
 * configuration with the best Spearman to final P is chosen; it then scores the held-out fold only. Held-out scores
 * are standardised with the mean and sd of the chosen score over every architecture (scores only: no final P of the
 * held-out fold is used, as a search sees every candidate's early score; a z-scored candidate keeps its training-fold
 * fit), so the folds pool into one prediction per architecture on a common scale — when every fold chooses the same
 * candidate, exactly that candidate's ranking. Correlated with final P (interval: percentile bootstrap over the pooled
 * architectures; it does not include the choice's own variability, which the repeats and the per-fold mean show).
 */
function crossValidate(
  table: BenchmarkTable,
  archs: readonly Architecture[],
  step: number,
  final: Float64Array,
  comparator: TableComparator,
  o: Resolved,
  seed: number,
): { cv: CrossValidation; heldOutScores: Float64Array } | undefined {
  const n = archs.length;
  if (n < 2 * o.folds) return undefined;
  const points = archs.map((a) => pointAt(a, step));
  const p = Float64Array.from(points, (pt) => pt?.p ?? Number.NaN);
  const sims = points.map((pt) => pt?.similarity[comparator]);
  if (sims.some((s) => !s)) return undefined;
  const L = table.teacher.layers.length;
  const subsets = layerSubsets(L);
  const tg = subsets.map((cols) => Float64Array.from(sims, (s) => tgOf(s!, cols)));
  const cands = cvCandidates(subsets, o.alphas);
  const counts = new Map<string, { choice: CvChoice; count: number }>();
  const repeatSpearman: number[] = [];
  const foldSpearman: number[] = [];
  let pooled0: Float64Array | undefined;
  const all = Array.from({ length: n }, (_, i) => i);
  for (let rep = 0; rep < o.repeats; rep++) {
    const rng = createRng(seed + 7919 * rep);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const pooled = new Float64Array(n).fill(Number.NaN);
    for (let f = 0; f < o.folds; f++) {
      const test = order.filter((_, k) => k % o.folds === f);
      const train = order.filter((_, k) => k % o.folds !== f);
      const { c } = choose(cands, p, tg, final, train);
      const everyScore = candidateScores(c, p, tg, all, train);
      const fin = [...everyScore].filter(Number.isFinite);
      const m = mean(fin);
      const sd = Math.sqrt(mean(fin.map((x) => (x - m) ** 2))) || 1;
      const testScores = candidateScores(c, p, tg, test, train);
      test.forEach((i, k) => (pooled[i] = (testScores[k]! - m) / sd));
      const [x, y] = finitePairs(testScores, Float64Array.from(test, (i) => final[i]!));
      foldSpearman.push(spearman(x, y));
      const choice: CvChoice = { layers: c.alpha === 0 ? [] : c.subset.map((j) => table.teacher.layers[j]!), alpha: c.alpha, mode: c.mode };
      const key = JSON.stringify(choice);
      const e = counts.get(key);
      if (e) e.count++;
      else counts.set(key, { choice, count: 1 });
    }
    const [x, y] = finitePairs(pooled, final);
    repeatSpearman.push(spearman(x, y));
    if (rep === 0) pooled0 = pooled;
  }
  const [held] = correlate([{ id: 'P', kind: 'p' }, { id: 'CV', kind: 'ptg' }], [p, pooled0!], final, o, seed + 1).slice(1);
  const full = choose(cands, p, tg, final, all);
  const finite = foldSpearman.filter(Number.isFinite);
  const cv: CrossValidation = {
    comparator,
    folds: o.folds,
    repeats: o.repeats,
    candidates: cands.length,
    heldOut: {
      n: held!.n,
      spearman: held!.spearman,
      spearmanCI: held!.spearmanCI,
      kendall: held!.kendall,
      kendallCI: held!.kendallCI,
      deltaVsP: held!.deltaVsP,
      deltaVsPCI: held!.deltaVsPCI,
    },
    meanFoldSpearman: finite.length ? mean(finite) : Number.NaN,
    repeatSpearman,
    chosen: [...counts.values()].sort((a, b) => b.count - a.count),
    fullData: {
      layers: full.c.alpha === 0 ? [] : full.c.subset.map((j) => table.teacher.layers[j]!),
      alpha: full.c.alpha,
      mode: full.c.mode,
      spearman: full.s,
    },
  };
  return { cv, heldOutScores: pooled0! };
}

/** The budget closest (in log steps) to a tenth of the final budget, not the final budget itself when others exist. */
export function defaultScatterBudget(evalSteps: readonly number[]): number {
  const final = evalSteps[evalSteps.length - 1]!;
  const early = evalSteps.length > 1 ? evalSteps.slice(0, -1) : evalSteps;
  return early.reduce((best, s) => (Math.abs(Math.log(s / (final / 10))) < Math.abs(Math.log(best / (final / 10))) ? s : best));
}

export async function analyzeTable(table: BenchmarkTable, options: AnalyzeOptions = {}): Promise<Analysis> {
  const o = resolve(options, table);
  const archs = architectures(table);
  const finished = archs.filter((a) => Number.isFinite(a.finalP));
  const multi = finished.filter((a) => a.finalPs.length >= 2);
  const analysis: Analysis = {
    format: ANALYSIS_FORMAT,
    table: {
      space: table.space,
      dataset: table.dataset?.name ?? '',
      teacher: table.teacher.id,
      teacherLayers: [...table.teacher.layers],
      comparators: [...table.comparators],
      finalSteps: table.training.finalSteps,
      evalSteps: [...table.training.evalSteps],
      rows: table.runs.length,
      architectures: archs.length,
      finished: finished.length,
      multiSeed: multi.length,
    },
    method: {
      correlations: 'Spearman (average ranks) and Kendall tau-b with the final P (mean over finished training seeds)',
      interval: 'percentile bootstrap over architectures (paired across predictors of a budget)',
      resamples: o.resamples,
      level: 0.95,
      seed: o.seed,
      alphas: o.alphas,
      early: 'early scores from the row with the smallest training seed that reached the budget',
      picks:
        'random search of n architectures keeping the best by an early score: regret = expected final P of the best of the n minus that of the one kept, exact over all draws; intervals as above',
      pickSizes: o.pickSizes,
    },
    budgets: [],
  };
  if (multi.length >= 3) {
    const a = Float64Array.from(multi, (m) => m.finalPs[0]!);
    const b = Float64Array.from(multi, (m) => m.finalPs[1]!);
    const [c] = correlate([{ id: 'seed0', kind: 'p' }], [a], b, o, o.seed + 99);
    analysis.noiseFloor = { n: c!.n, spearman: c!.spearman, spearmanCI: c!.spearmanCI, kendall: c!.kendall, kendallCI: c!.kendallCI };
  }
  const sortedFinal = finished.map((a) => a.finalP).sort((x, y) => x - y);
  const threshold = sortedFinal.length ? sortedFinal[Math.floor((sortedFinal.length - 1) / 2)]! : Number.NaN;
  const steps = table.training.evalSteps;
  const sb = options.scatterBudget ?? defaultScatterBudget(steps);
  if (!steps.includes(sb)) throw new InvalidArgumentError('scatter_budget', `${sb} is not one of the table's budgets (${steps.join(', ')})`);
  for (const [k, step] of steps.entries()) {
    await yieldToEventLoop();
    options.signal?.throwIfAborted();
    const at = finished.filter((a) => Number.isFinite(pointAt(a, step)?.p ?? Number.NaN));
    const final = Float64Array.from(at, (a) => a.finalP);
    const { specs, values } = predictorValues(table, at, step, o.alphas);
    const budget: BudgetAnalysis = {
      step,
      n: at.length,
      predictors: correlate(specs, values, final, o, o.seed + 1000 * (k + 1)),
      betterHalf: { n: 0, threshold, predictors: [] },
    };
    // Predictor values are recomputed on the half: the z-scored P+TG is z-scored within the half.
    const top = at.filter((a) => a.finalP > threshold);
    const half = predictorValues(table, top, step, o.alphas);
    budget.betterHalf = {
      n: top.length,
      threshold,
      predictors: correlate(half.specs, half.values, Float64Array.from(top, (a) => a.finalP), o, o.seed + 1000 * (k + 1) + 500),
    };
    const picked: { spec: PickSpec; values: Float64Array }[] = [];
    const alpha = referenceAlpha(o.alphas);
    specs.forEach((spec, j) => {
      const wanted = spec.kind === 'p' || spec.kind === 'tg' || (spec.kind === 'ptg' && spec.mode === 'raw' && spec.alpha === alpha);
      if (!wanted) return;
      const { id, kind, comparator, alpha: a } = spec;
      picked.push({ spec: { id, kind, ...(comparator ? { comparator } : {}), ...(a !== undefined ? { alpha: a } : {}) }, values: values[j]! });
    });
    if (o.comparator) {
      const cv = crossValidate(table, at, step, final, o.comparator, o, o.seed + 1000 * (k + 1) + 700);
      if (cv) {
        budget.cv = cv.cv;
        picked.push({ spec: { id: `CV[${o.comparator}]`, kind: 'cv', comparator: o.comparator }, values: cv.heldOutScores });
      }
    }
    const picks = pickRegrets(picked, final, o, o.seed + 1000 * (k + 1) + 900);
    if (picks.length) budget.picks = picks;
    analysis.budgets.push(budget);
    options.onBudget?.(k + 1, steps.length);
  }
  if (o.comparator) {
    const comparator = o.comparator;
    const points: ScatterPoint[] = [];
    for (const a of finished) {
      const pt = pointAt(a, sb);
      const s = pt?.similarity[comparator];
      if (!pt || !s) continue;
      const tg = tgOf(s);
      points.push({ architecture: a.index, final: a.finalP, p: pt.p, tg, ptg: pTg(0.5, pt.p, tg) ?? Number.NaN });
    }
    analysis.scatter = { step: sb, comparator, alpha: 0.5, points };
  }
  return analysis;
}
