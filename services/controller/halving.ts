// Successive halving over training-step budgets (Jamieson & Talwalkar 2016; Li et al. 2017): the schedule. The
// runner (runner.ts, runStudyLoop and promote) runs it.
//
// Rungs r = 0 .. R-1 train for min_steps * eta^r steps (the last rung for exactly steps_per_trial). All num_trials
// proposals run at rung 0; n_{r+1} = max(1, floor(n_r / eta)). When every trial of rung r has ended, the runner
// promotes the best n_{r+1} completed ones by the study's score (ties to the lower trial number; failed trials are
// never promoted) as new trials of rung r + 1. The halving is synchronous: rung r + 1 starts when rung r is complete,
// so each cut compares every candidate of the rung. It is a pure function of the stored trials, so it resumes after
// a restart.
//
// Teacher guidance: the runner ranks each rung by the study's score, so with P+TG the early, cheap rungs are ranked
// by (1 - alpha) P + alpha TG. After a few hundred steps P is close to chance and noisy, while a candidate's
// representational similarity to the teacher (TG) already separates architectures (the TG-SAGE paper's point), so
// TG keeps promising candidates alive through the low-budget cuts where P alone would prune them at random. The
// strategy learns from rung-0 scores, the only budget every trial is evaluated at.

import { FailedPreconditionError } from '../common/errors.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import type { MultiFidelityConfig, StudyConfig } from '../../gen/tgsage/v1/search_controller.ts';

export interface HalvingConfig {
  /** Trials at rung 0. */
  numTrials: number;
  /** Reduction factor (>= 2). */
  eta: number;
  /** Number of rungs R (>= 1). */
  rungs: number;
  /** Step budget of each rung, increasing; the last is steps_per_trial. */
  budgets: number[];
}

export const HALVING_DEFAULTS = { eta: 3, rungs: 3 } as const;

/**
 * The schedule of a study, or undefined without multi-fidelity. Zero (unset) fields take the proto defaults:
 * eta 3, 3 rungs, min_steps = steps_per_trial / eta^(rungs - 1) (at least 1).
 */
export function resolveHalvingConfig(
  mf: MultiFidelityConfig | undefined,
  stepsPerTrial: number,
  numTrials: number,
  field = 'config.multi_fidelity',
): HalvingConfig | undefined {
  if (!mf?.enabled) return undefined;
  const eta = mf.eta || HALVING_DEFAULTS.eta;
  const rungs = mf.rungs || HALVING_DEFAULTS.rungs;
  if (!Number.isInteger(eta) || eta < 2 || eta > 100) throw new InvalidArgumentError(`${field}.eta`, `must be an integer in [2, 100], got ${eta}`);
  if (!Number.isInteger(rungs) || rungs < 1 || rungs > 10) throw new InvalidArgumentError(`${field}.rungs`, `must be an integer in [1, 10], got ${rungs}`);
  // Sibling fields of the config: "config.multi_fidelity" -> "config.steps_per_trial", "multi_fidelity" -> "steps_per_trial".
  const root = field.replace(/\.?multi_fidelity$/, '');
  const sibling = (name: string) => (root ? `${root}.${name}` : name);
  if (!Number.isInteger(stepsPerTrial) || stepsPerTrial < 1) throw new InvalidArgumentError(sibling('steps_per_trial'), `must be >= 1, got ${stepsPerTrial}`);
  if (!Number.isInteger(numTrials) || numTrials < 1) throw new InvalidArgumentError(sibling('num_trials'), `must be >= 1, got ${numTrials}`);
  const minSteps = mf.minSteps || Math.max(1, Math.floor(stepsPerTrial / eta ** (rungs - 1)));
  const budgets = Array.from({ length: rungs }, (_, r) => (r === rungs - 1 ? stepsPerTrial : minSteps * eta ** r));
  for (let r = 1; r < rungs; r++) {
    if (!(budgets[r]! > budgets[r - 1]!)) {
      throw new InvalidArgumentError(`${field}.min_steps`, `rung budgets ${budgets.join(', ')} must increase up to steps_per_trial ${stepsPerTrial}`);
    }
  }
  return { numTrials, eta, rungs, budgets };
}

// The scheduler of successive halving over abstract trials, for replays on a benchmark table (services/experiment/
// replay.ts); the controller's runner promotes through storage (runner.ts promote) with the same rung plan.
export interface HalvingRecord {
  trial: number;
  rung: number;
  /** The study's score at that rung; null (or not finite) when the run failed. */
  score: number | null;
}

export interface HalvingJob {
  trial: number;
  rung: number;
  steps: number;
}

/** What a `record` call decided: when it completed a rung, who moves up and who is pruned. */
export interface HalvingDecision {
  /** The rung this record completed, if it did. */
  closedRung?: number;
  /** Trials promoted to closedRung + 1, best first. */
  promoted: number[];
  /** Trials of closedRung with a score that were not promoted (failed ones are not listed). */
  pruned: number[];
}

export type TrialStage = 'running' | 'waiting' | 'promoted' | 'pruned' | 'failed' | 'done';

export interface Halving {
  readonly config: HalvingConfig;
  /** Records a finished run. Throws FailedPreconditionError on a run the schedule did not ask for. */
  record(trial: number, rung: number, score: number | null): HalvingDecision;
  /** Promoted runs not yet recorded (rung >= 1), by rung then trial. Rung-0 runs are the controller's proposals. */
  pending(): HalvingJob[];
  /** Where a trial stands: highest rung reached, and its stage there. */
  status(trial: number): { rung: number; stage: TrialStage } | undefined;
  /** Trials at each rung: [rung][trial] = score (null = failed). */
  records(): Array<Map<number, number | null>>;
  /** Rungs whose cut has been made (or, for the last, that are complete). */
  closedRungs(): number;
  /** All rungs complete. */
  finished(): boolean;
}

export function createHalving(config: HalvingConfig, completed: Iterable<HalvingRecord> = []): Halving {
  const { numTrials, eta, rungs, budgets } = config;
  const scores: Array<Map<number, number | null>> = Array.from({ length: rungs }, () => new Map());
  const entrants: Array<Set<number> | undefined> = Array.from({ length: rungs }, () => undefined); // rung >= 1
  let closed = 0;

  const expected = (r: number): number => (r === 0 ? numTrials : entrants[r]!.size);
  const complete = (r: number): boolean => (r === 0 || entrants[r] !== undefined) && scores[r]!.size === expected(r);

  const closeRung = (r: number): HalvingDecision => {
    closed = r + 1;
    if (r === rungs - 1) return { closedRung: r, promoted: [], pruned: [] };
    const ranked = [...scores[r]!.entries()]
      .filter((e): e is [number, number] => e[1] !== null && Number.isFinite(e[1]))
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .map(([trial]) => trial);
    const keep = Math.max(1, Math.floor(scores[r]!.size / eta));
    const promoted = ranked.slice(0, keep);
    entrants[r + 1] = new Set(promoted);
    const decision: HalvingDecision = { closedRung: r, promoted, pruned: ranked.slice(keep) };
    // Everyone failed: the next rung is empty, hence already complete.
    if (promoted.length === 0) closeRung(r + 1);
    return decision;
  };

  const halving: Halving = {
    config,
    record(trial, rung, score) {
      if (!Number.isInteger(rung) || rung < 0 || rung >= rungs) throw new FailedPreconditionError(`halving: no rung ${rung}`);
      const at = scores[rung]!;
      if (at.has(trial)) throw new FailedPreconditionError(`halving: trial ${trial} already recorded at rung ${rung}`);
      if (rung === 0 ? at.size >= numTrials : !entrants[rung]?.has(trial)) {
        throw new FailedPreconditionError(`halving: trial ${trial} was not scheduled at rung ${rung}`);
      }
      at.set(trial, score !== null && Number.isFinite(score) ? score : null);
      return rung === closed && complete(rung) ? closeRung(rung) : { promoted: [], pruned: [] };
    },
    pending() {
      const jobs: HalvingJob[] = [];
      for (let r = 1; r < rungs; r++) {
        for (const trial of [...(entrants[r] ?? [])].sort((a, b) => a - b)) {
          if (!scores[r]!.has(trial)) jobs.push({ trial, rung: r, steps: budgets[r]! });
        }
      }
      return jobs;
    },
    status(trial) {
      for (let r = rungs - 1; r >= 0; r--) {
        const inRung = r === 0 ? scores[0]!.has(trial) : entrants[r]?.has(trial);
        if (!inRung) continue;
        if (!scores[r]!.has(trial)) return { rung: r, stage: 'running' };
        const s = scores[r]!.get(trial);
        if (s === null) return { rung: r, stage: 'failed' };
        if (r === rungs - 1) return { rung: r, stage: 'done' };
        if (closed <= r) return { rung: r, stage: 'waiting' };
        return { rung: r, stage: entrants[r + 1]!.has(trial) ? 'promoted' : 'pruned' };
      }
      return undefined;
    },
    records: () => scores.map((m) => new Map(m)),
    closedRungs: () => closed,
    finished: () => closed === rungs,
  };

  const replay = [...completed].sort((a, b) => a.rung - b.rung || a.trial - b.trial);
  for (const rec of replay) halving.record(rec.trial, rec.rung, rec.score);
  return halving;
}

/** Rung sizes when no trial fails: n_0 = num_trials, n_{r+1} = max(1, floor(n_r / eta)). */

/** Rung sizes when no trial fails: n_0 = num_trials, n_{r+1} = max(1, floor(n_r / eta)). */
export function plannedRungSizes(config: HalvingConfig): number[] {
  const sizes = [config.numTrials];
  for (let r = 1; r < config.rungs; r++) sizes.push(Math.max(1, Math.floor(sizes[r - 1]! / config.eta)));
  return sizes;
}

/** One rung of successive halving (a single rung without multi-fidelity). */
export interface Rung {
  steps: number;
  /** Trials in this rung. */
  count: number;
}

/** The rung plan of a normalized config (the runner's schedule): budgets grow by eta, counts shrink by eta, the last is full. */
export function rungPlan(c: StudyConfig): Rung[] {
  const h = resolveHalvingConfig(c.multiFidelity, c.stepsPerTrial, c.numTrials, 'multi_fidelity');
  if (!h) return [{ steps: c.stepsPerTrial, count: c.numTrials }];
  const sizes = plannedRungSizes(h);
  return h.budgets.map((steps, r) => ({ steps, count: sizes[r]! }));
}
