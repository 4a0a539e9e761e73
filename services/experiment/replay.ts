// Search-efficiency replays on a benchmark table: search strategies (through the same Strategy interface and registry
// the controller uses, so a new strategy replays by adding a definition) and successive halving run against the
// table instead of trainers. No training: a query's answer is looked up.
//
// The table is the space. Each finished architecture (final P, and a point at every budget the setting needs) is an
// arm, with its canonical decision vector (encode(genome)). A proposal d is answered by the arm not yet queried in
// this replay that is nearest to canonical(d) in Hamming distance, ties broken uniformly by the replay's RNG; so
// every query evaluates a new architecture and costs its training, and random search is sampling the table without
// replacement. The strategy learns (update) from the vector it proposed with the arm's score, as the controller
// reports a trial with the vector that was proposed.
//
// Cost is training steps: a query at budget b costs b steps; in successive halving a promoted architecture continues
// from its checkpoint, so rung r costs b_r - b_(r-1) more steps. The score that guides a search is, at budget b:
// P; TG (over all teacher layers or a chosen subset, one comparator); or P+TG = (1 - alpha) P + alpha TG (raw values:
// a search has no population to z-score against). What counts is the FINAL accuracy (the table's final P, mean over
// training seeds) of the search's pick: for a strategy, the architecture with the best guidance score so far; for
// halving, the best final-rung architecture by P (its P is then the final accuracy). A replay stops when its step
// budget is spent or the table has no unqueried arm left.

import { InvalidArgumentError } from '../common/errors.ts';
import { yieldToEventLoop } from '../common/event-loop.ts';
import { TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import { halvingPlan, promotedFrom } from '../controller/halving.ts';
import { pTg } from '../controller/score.ts';
import { createStrategyRegistry, type StrategyRegistry } from '../controller/strategies/registry.ts';
import { createRng, type Rng } from '../controller/strategies/rng.ts';
import type { DecisionSpace } from '../controller/strategies/space.ts';
import { decisionSpace, decode, encode } from '../spaces/decisions.ts';
import { genomeFromJson } from '../spaces/json.ts';
import { quantileSorted } from './stats.ts';
import { architectures, pointAt, tgOf, type Architecture, type BenchmarkTable, type TableComparator } from './table.ts';

export const REPLAY_FORMAT = 'tgsage-replay/1';

export interface Guidance {
  kind: 'p' | 'tg' | 'ptg';
  /** P+TG weight (kind 'ptg'). */
  alpha?: number;
  /** Teacher layers in TG (default: all). */
  layers?: readonly string[];
  /** Comparator of TG (default: the table's first). */
  comparator?: TableComparator;
}

export interface ReplaySetting {
  /** Label in reports, e.g. "evolution / P+TG a=0.5 @ 25". */
  name: string;
  /** Registry name of the strategy that proposes (also the proposer of halving's rung-0 trials). */
  strategy: string;
  /** Strategy settings (as the proto's, defaults filled by the registry). */
  settings?: unknown;
  guidance: Guidance;
  /** Query budget of a strategy search (ignored with halving). */
  budget?: number;
  /** Successive halving (proposals from `strategy`). */
  halving?: HalvingSetting;
}

export interface HalvingSetting {
  /** Rung budgets: increasing table budgets, the last the final one. */
  budgets: readonly number[];
  eta: number;
  /** Architectures per bracket (rung 0). */
  trials: number;
}

export interface ReplayOptions {
  /** Seeded replays per setting. */
  replays?: number;
  seed?: number;
  /** Steps each replay may spend (default: half of training every arm to the final budget). */
  maxSteps?: number;
  /** Proposals per strategy round (suggest/update batch), like a study's parallelism. */
  batch?: number;
  registry?: StrategyRegistry;
  /** Progress after each replay. */
  onReplay?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** One replay's history: after each query (or completed final rung), steps spent and the pick's final P. */
export interface Trace {
  steps: number[];
  final: number[];
}

export interface SettingResult {
  setting: ReplaySetting;
  /** Step grid (log-spaced) and the median / quartiles across replays of the pick's final P at each point. */
  grid: number[];
  median: number[];
  q25: number[];
  q75: number[];
  /** Median over replays of the final P of the pick when the replay ended, and steps it spent. */
  endMedian: number;
  endSteps: number;
  /** Compute to match the P-guided setting of the same strategy and budget (or halving rungs). */
  vsP?: Match;
  /** Compute to match the same strategy guided by P after full training (each query at the final budget). */
  vsFull?: Match;
}

/** Steps this setting's median needs to reach the best median of a reference setting, against the reference's own. */
export interface Match {
  reference: string;
  /** The best median final P the reference reaches. */
  target: number;
  referenceSteps: number;
  /** Infinity: never reached within the replay budget. */
  steps: number;
  ratio: number;
}

export interface ReplayReport {
  format: typeof REPLAY_FORMAT;
  arms: number;
  /** Best final P in the table (what an oracle would pick) and the median arm's. */
  oracle: number;
  medianArm: number;
  maxSteps: number;
  replays: number;
  seed: number;
  batch: number;
  mapping: string;
  results: SettingResult[];
}

/** An architecture's run at one rung of a halving replay, as the rung rule sees a trial; k: its arm. */
interface RungRun {
  id: string;
  number: number;
  state: TrialState;
  score: number;
  k: number;
}

interface Arm {
  arch: Architecture;
  vector: number[];
  final: number;
}

/** The guidance score of an arm at `step` (NaN when missing). */
export function guidanceScore(table: BenchmarkTable, arch: Architecture, step: number, g: Guidance): number {
  const pt = pointAt(arch, step);
  if (!pt) return Number.NaN;
  if (g.kind === 'p') return pt.p;
  const comparator = g.comparator ?? table.comparators[0];
  const sim = comparator ? pt.similarity[comparator] : undefined;
  if (!sim) return Number.NaN;
  const cols = g.layers?.map((l) => table.teacher.layers.indexOf(l));
  const tg = tgOf(sim, cols);
  return g.kind === 'tg' ? tg : (pTg(g.alpha ?? 0.5, pt.p, tg) ?? Number.NaN);
}

function checkSetting(table: BenchmarkTable, s: ReplaySetting, registry: StrategyRegistry, field: string): number[] {
  if (!registry.has(s.strategy)) throw new InvalidArgumentError(`${field}.strategy`, `unknown strategy "${s.strategy}" (known: ${registry.names().join(', ')})`);
  const g = s.guidance;
  if (g.kind === 'ptg' && !(g.alpha !== undefined && g.alpha >= 0 && g.alpha <= 1)) throw new InvalidArgumentError(`${field}.guidance.alpha`, `must be in [0, 1], got ${g.alpha}`);
  if (g.kind !== 'p' && table.comparators.length === 0) throw new InvalidArgumentError(`${field}.guidance`, 'the table has no similarities (no comparator)');
  if (g.comparator && !table.comparators.includes(g.comparator)) throw new InvalidArgumentError(`${field}.guidance.comparator`, `"${g.comparator}" is not in the table`);
  g.layers?.forEach((l, i) => {
    if (!table.teacher.layers.includes(l)) throw new InvalidArgumentError(`${field}.guidance.layers[${i}]`, `"${l}" is not a teacher layer (${table.teacher.layers.join(', ')})`);
  });
  const steps = table.training.evalSteps;
  if (s.halving) {
    const h = s.halving;
    if (!Number.isInteger(h.eta) || h.eta < 2) throw new InvalidArgumentError(`${field}.halving.eta`, `must be an integer >= 2, got ${h.eta}`);
    if (!Number.isInteger(h.trials) || h.trials < 1) throw new InvalidArgumentError(`${field}.halving.trials`, `must be >= 1, got ${h.trials}`);
    h.budgets.forEach((b, i) => {
      if (!steps.includes(b)) throw new InvalidArgumentError(`${field}.halving.budgets[${i}]`, `${b} is not one of the table's budgets (${steps.join(', ')})`);
      if (i > 0 && !(b > h.budgets[i - 1]!)) throw new InvalidArgumentError(`${field}.halving.budgets[${i}]`, 'must increase');
    });
    if (h.budgets[h.budgets.length - 1] !== table.training.finalSteps) throw new InvalidArgumentError(`${field}.halving.budgets`, `must end at the final budget ${table.training.finalSteps}`);
    return [...h.budgets];
  }
  if (s.budget === undefined || !steps.includes(s.budget)) throw new InvalidArgumentError(`${field}.budget`, `${s.budget} is not one of the table's budgets (${steps.join(', ')})`);
  return [s.budget];
}

/** The strategies' view of the table's space: its decisions, canonicalised as the controller does. */
export function tableSpace(table: BenchmarkTable): DecisionSpace {
  const space = decisionSpace(table.space as 'convnet' | 'nasnet');
  return { name: space.name, sizes: [...space.sizes], labels: [...space.labels], canonical: (d) => encode(decode(space, d)) };
}

function arms(table: BenchmarkTable, budgets: readonly number[]): Arm[] {
  return architectures(table)
    .filter((a) => Number.isFinite(a.finalP) && budgets.every((b) => Number.isFinite(pointAt(a, b)?.p ?? Number.NaN)))
    .map((a, i) => ({ arch: a, vector: encode(genomeFromJson(a.genome, `table.runs[architecture ${a.index}].genome`)), final: a.finalP }));
}

/** The nearest unqueried arm to `decisions` (Hamming), ties broken by `rng`. */
function nearest(list: Arm[], used: Uint8Array, canonical: number[], rng: Rng): number {
  let best = Infinity;
  let ties: number[] = [];
  list.forEach((arm, k) => {
    if (used[k]) return;
    let d = 0;
    for (let i = 0; i < canonical.length; i++) if (arm.vector[i] !== canonical[i]) d++;
    if (d < best) {
      best = d;
      ties = [k];
    } else if (d === best) ties.push(k);
  });
  return ties.length === 0 ? -1 : ties[ties.length === 1 ? 0 : rng.int(ties.length)]!;
}

function replayOnce(
  table: BenchmarkTable,
  list: Arm[],
  s: ReplaySetting,
  space: DecisionSpace,
  registry: StrategyRegistry,
  seed: number,
  maxSteps: number,
  batch: number,
): Trace {
  const rng = createRng(seed ^ 0x5eed);
  const strategy = registry.create(s.strategy, s.settings ?? {}, space, seed);
  const used = new Uint8Array(list.length);
  let remaining = list.length;
  const trace: Trace = { steps: [], final: [] };
  let spent = 0;
  let bestScore = -Infinity;
  let pick = Number.NaN;
  const propose = (count: number) =>
    strategy.suggest(count).map((p) => {
      const k = nearest(list, used, space.canonical!(p.decisions), rng);
      used[k] = 1;
      remaining--;
      return { proposal: p, k };
    });
  try {
    if (!s.halving) {
      const b = s.budget!;
      while (spent + b <= maxSteps && remaining > 0) {
        const n = Math.min(batch, remaining, Math.floor((maxSteps - spent) / b));
        const got = propose(n);
        const results = got.map(({ proposal, k }) => {
          const score = guidanceScore(table, list[k]!.arch, b, s.guidance);
          spent += b;
          if (score > bestScore) {
            bestScore = score;
            pick = list[k]!.final;
          }
          trace.steps.push(spent);
          trace.final.push(pick);
          return proposal.meta === undefined ? { decisions: proposal.decisions, score } : { decisions: proposal.decisions, score, meta: proposal.meta };
        });
        strategy.update(results);
      }
      return trace;
    }
    // Successive halving by the controller's own rung rule (controller/halving.ts promotedFrom): rung r + 1 takes the
    // best plan[r + 1].count of rung r's architectures with a finite score, best first; they run in that order (as
    // the runner numbers and runs promoted trials), so a step budget that runs out mid-rung keeps the most promising.
    const { budgets, eta, trials } = s.halving;
    const last = budgets.length - 1;
    const rungScore = (k: number, r: number) =>
      r === last ? list[k]!.final : guidanceScore(table, list[k]!.arch, budgets[r]!, s.guidance);
    const improves = (k: number) => {
      if (!(list[k]!.final > bestScore)) return false;
      bestScore = pick = list[k]!.final;
      return true;
    };
    while (remaining > 0 && spent + budgets[0]! <= maxSteps) {
      const n = Math.min(trials, remaining);
      const plan = halvingPlan({ numTrials: n, eta, rungs: budgets.length, budgets: [...budgets] });
      let number = 0;
      const run = (k: number, r: number): RungRun => {
        const score = rungScore(k, r);
        const state = Number.isFinite(score) ? TrialState.TRIAL_STATE_COMPLETED : TrialState.TRIAL_STATE_FAILED;
        return { id: String(number), number: number++, state, score, k };
      };
      const got = propose(n);
      let inRung = got.map(({ k }) => {
        spent += budgets[0]!;
        return run(k, 0);
      });
      strategy.update(got.map(({ proposal }, t) => {
        const score = inRung[t]!.score;
        return proposal.meta === undefined ? { decisions: proposal.decisions, score } : { decisions: proposal.decisions, score, meta: proposal.meta };
      }));
      if (last === 0) inRung.forEach((t) => improves(t.k));
      let stop = false;
      for (let r = 0; r < last && !stop; r++) {
        const next: RungRun[] = [];
        for (const t of promotedFrom(plan, r, inRung)) {
          const extra = budgets[r + 1]! - budgets[r]!;
          if (spent + extra > maxSteps) {
            stop = true;
            break;
          }
          spent += extra;
          next.push(run(t.k, r + 1));
          if (r + 1 === last && improves(t.k)) {
            trace.steps.push(spent);
            trace.final.push(pick);
          }
        }
        inRung = next;
      }
      if (stop) break;
      if (trace.steps[trace.steps.length - 1] !== spent) {
        trace.steps.push(spent);
        trace.final.push(pick);
      }
    }
    return trace;
  } finally {
    strategy.dispose();
  }
}

/** The pick's final P after `steps` (NaN before the first pick). */
function valueAt(t: Trace, steps: number): number {
  let lo = 0;
  let hi = t.steps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t.steps[mid]! <= steps) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? Number.NaN : t.final[lo - 1]!;
}

/** Median across traces at `steps`; NaN unless at least half of them have a pick. */
function medianAt(traces: Trace[], steps: number, q = 0.5): number {
  const v = traces.map((t) => valueAt(t, steps)).filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length * 2 < traces.length) return Number.NaN;
  // replays without a pick yet count as below every pick
  const all = [...Array.from({ length: traces.length - v.length }, () => -Infinity), ...v];
  const v2 = quantileSorted(all, q);
  return Number.isFinite(v2) ? v2 : Number.NaN;
}

/** First step count at which the median across traces reaches `target` (Infinity: never). */
function stepsToReach(traces: Trace[], target: number): number {
  const points = [...new Set(traces.flatMap((t) => t.steps))].sort((a, b) => a - b);
  for (const s of points) if (medianAt(traces, s) >= target - 1e-12) return s;
  return Infinity;
}

/** Default settings: every strategy guided by P, TG and P+TG (alphas) at `budget`, P at the final budget, and halving. */
export function defaultSettings(
  table: BenchmarkTable,
  o: {
    budget: number;
    strategies: readonly string[];
    alphas: readonly number[];
    layers?: readonly string[];
    /** One halving schedule, or several to compare (e.g. candidate default rung budgets). */
    halving?: HalvingSetting | readonly HalvingSetting[];
    /** An extra P+TG guidance (e.g. the analysis' cross-validated choice, see chosenGuidance), with its label. */
    extra?: { guidance: Guidance; label: string };
  },
): ReplaySetting[] {
  const hasTg = table.comparators.length > 0;
  const guidances: { g: Guidance; label: string }[] = [{ g: { kind: 'p' }, label: 'P' }];
  if (hasTg) {
    const layers = o.layers ? { layers: o.layers } : {};
    guidances.push({ g: { kind: 'tg', ...layers }, label: 'TG' });
    for (const alpha of o.alphas) guidances.push({ g: { kind: 'ptg', alpha, ...layers }, label: `P+TG a=${alpha}` });
  }
  if (o.extra) guidances.push({ g: o.extra.guidance, label: o.extra.label });
  const out: ReplaySetting[] = [];
  const final = table.training.finalSteps;
  for (const strategy of o.strategies) {
    out.push({ name: `${strategy} / P @ ${final} (full training)`, strategy, guidance: { kind: 'p' }, budget: final });
    for (const { g, label } of guidances) out.push({ name: `${strategy} / ${label} @ ${o.budget}`, strategy, guidance: g, budget: o.budget });
  }
  const schedules = o.halving === undefined ? [] : 'budgets' in o.halving ? [o.halving] : o.halving;
  for (const h of schedules) {
    if (h.budgets.length < 2) continue;
    for (const { g, label } of guidances) out.push({ name: `halving ${h.budgets.join('/')} / ${label}`, strategy: 'random', guidance: g, halving: h });
  }
  return out;
}

/**
 * The guidance of a choice made by `experiment analyze` (layers, alpha, raw or z) as a search can use it. A search
 * has no population to z-score against, so a z-scored choice becomes the raw alpha that ranks identically over the
 * table's architectures at `budget`: (1 - a) P / sd(P) + a TG / sd(TG) is proportional to (1 - a') P + a' TG with
 * a' = (a / sd(TG)) / ((1 - a) / sd(P) + a / sd(TG)).
 */
export function chosenGuidance(
  table: BenchmarkTable,
  budget: number,
  choice: { layers: readonly string[]; alpha: number; mode: 'raw' | 'z' },
  comparator?: TableComparator,
): Guidance {
  if (choice.alpha === 0) return { kind: 'p' };
  const base = { ...(comparator ? { comparator } : {}), ...(choice.layers.length ? { layers: choice.layers } : {}) };
  if (choice.alpha === 1) return { kind: 'tg', ...base };
  if (choice.mode === 'raw') return { kind: 'ptg', alpha: choice.alpha, ...base };
  const archs = architectures(table).filter((a) => Number.isFinite(a.finalP));
  const sd = (g: Guidance) => {
    const v = archs.map((a) => guidanceScore(table, a, budget, g)).filter(Number.isFinite);
    const m = v.reduce((x, y) => x + y, 0) / v.length;
    return Math.sqrt(v.reduce((x, y) => x + (y - m) ** 2, 0) / v.length);
  };
  const sp = sd({ kind: 'p' });
  const st = sd({ kind: 'tg', ...base });
  if (!(sp > 0 && st > 0)) return { kind: 'ptg', alpha: choice.alpha, ...base };
  const a = choice.alpha;
  return { kind: 'ptg', alpha: a / st / ((1 - a) / sp + a / st), ...base };
}

/** Halving rungs from the table's budgets: the final one and those nearest final / eta^k, k = 1 .. rungs - 1. */
export function defaultHalvingBudgets(evalSteps: readonly number[], eta = 3, rungs = 3): number[] {
  const final = evalSteps[evalSteps.length - 1]!;
  const out = new Set<number>([final]);
  for (let k = 1; k < rungs; k++) {
    const want = final / eta ** k;
    out.add(evalSteps.reduce((best, s) => (Math.abs(Math.log(s / want)) < Math.abs(Math.log(best / want)) ? s : best)));
  }
  return [...out].sort((a, b) => a - b);
}

/** Runs every setting `replays` times and summarises the best-final-accuracy-vs-steps curves. */
export async function replayTable(table: BenchmarkTable, settings: readonly ReplaySetting[], o: ReplayOptions = {}): Promise<ReplayReport> {
  const registry = o.registry ?? createStrategyRegistry();
  const replays = o.replays ?? 100;
  const seed = o.seed ?? 0;
  const batch = o.batch ?? 8;
  if (!Number.isInteger(replays) || replays < 1 || replays > 100000) throw new InvalidArgumentError('replays', `must be an integer in [1, 100000], got ${replays}`);
  if (!Number.isInteger(batch) || batch < 1 || batch > 1000) throw new InvalidArgumentError('batch', `must be an integer in [1, 1000], got ${batch}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError('seed', `must be a non-negative integer, got ${seed}`);
  if (settings.length === 0) throw new InvalidArgumentError('settings', 'is empty');
  const space = tableSpace(table);
  const needed = settings.map((s, i) => checkSetting(table, s, registry, `settings[${i}]`));
  const allArms = arms(table, [...new Set(needed.flat())]);
  if (allArms.length < 2) throw new InvalidArgumentError('table', `has ${allArms.length} finished architectures with every budget needed; a replay needs at least 2`);
  const maxSteps = o.maxSteps ?? Math.ceil((allArms.length * table.training.finalSteps) / 2);
  if (!(maxSteps >= 1)) throw new InvalidArgumentError('max_steps', `must be >= 1, got ${maxSteps}`);
  const finals = allArms.map((a) => a.final).sort((a, b) => a - b);
  const minBudget = Math.min(...needed.flat());
  const grid = Array.from({ length: 60 }, (_, i) => Math.round(minBudget * (maxSteps / minBudget) ** (i / 59)));
  const results: SettingResult[] = [];
  const tracesBy: Trace[][] = [];
  let done = 0;
  for (const s of settings) {
    const traces: Trace[] = [];
    for (let r = 0; r < replays; r++) {
      if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
      traces.push(replayOnce(table, allArms, s, space, registry, seed + r, maxSteps, batch));
      o.onReplay?.(++done, replays * settings.length);
      if (r % 10 === 9) await yieldToEventLoop(); // let a SIGINT through
    }
    tracesBy.push(traces);
    const ends = traces.map((t) => t.final[t.final.length - 1] ?? Number.NaN).filter(Number.isFinite).sort((a, b) => a - b);
    const endSteps = traces.map((t) => t.steps[t.steps.length - 1] ?? 0).sort((a, b) => a - b);
    results.push({
      setting: s,
      grid,
      median: grid.map((g) => medianAt(traces, g)),
      q25: grid.map((g) => medianAt(traces, g, 0.25)),
      q75: grid.map((g) => medianAt(traces, g, 0.75)),
      endMedian: quantileSorted(ends, 0.5),
      endSteps: quantileSorted(endSteps, 0.5),
    });
  }
  // Compute to match: the reference's target is the best median it reaches; the ratio is the steps this setting's
  // median needs to reach it over the steps the reference's needs (< 1: cheaper; Infinity: never reached).
  const match = (i: number, ref: number): Match | undefined => {
    if (ref < 0 || ref === i) return undefined;
    const points = [...new Set(tracesBy[ref]!.flatMap((t) => t.steps))].sort((a, b) => a - b);
    const target = Math.max(...points.map((p) => medianAt(tracesBy[ref]!, p)).filter(Number.isFinite));
    if (!Number.isFinite(target)) return undefined;
    const referenceSteps = stepsToReach(tracesBy[ref]!, target);
    const steps = stepsToReach(tracesBy[i]!, target);
    return { reference: settings[ref]!.name, target, referenceSteps, steps, ratio: steps / referenceSteps };
  };
  const same = (a: ReplaySetting, b: ReplaySetting) => JSON.stringify(a.halving) === JSON.stringify(b.halving) && a.budget === b.budget;
  settings.forEach((s, i) => {
    const vsP = match(i, settings.findIndex((t) => t.guidance.kind === 'p' && t.strategy === s.strategy && same(s, t)));
    const full = (t: ReplaySetting) => t.guidance.kind === 'p' && !t.halving && t.budget === table.training.finalSteps;
    let f = settings.findIndex((t) => full(t) && t.strategy === s.strategy);
    if (f < 0) f = settings.findIndex(full);
    const vsFull = match(i, f);
    if (vsP) results[i]!.vsP = vsP;
    if (vsFull) results[i]!.vsFull = vsFull;
  });
  return {
    format: REPLAY_FORMAT,
    arms: allArms.length,
    oracle: finals[finals.length - 1]!,
    medianArm: quantileSorted(finals, 0.5),
    maxSteps,
    replays,
    seed,
    batch,
    mapping: 'a proposal is answered by the nearest not-yet-queried table architecture in Hamming distance over canonical decision vectors, ties broken by the replay seed',
    results,
  };
}
