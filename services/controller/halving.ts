// Successive halving over training-step budgets (Jamieson & Talwalkar 2016; Li et al. 2017): the schedule and the
// rung rule (promotedFrom). The runner (runner.ts, runStudyLoop and promote) runs them; the replays on a benchmark
// table (experiment/replay.ts) use the same two.
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

import { InvalidArgumentError } from '../common/errors.ts';
import { type MultiFidelityConfig, ScoreKind, type StudyConfig } from '../../gen/tgsage/v1/search_controller.ts';
import { rankTrials, type RankableTrial } from './score.ts';

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

/** The rungs of a schedule: budgets grow by eta, counts shrink by eta, the last is full. */
export function halvingPlan(h: HalvingConfig): Rung[] {
  const sizes = plannedRungSizes(h);
  return h.budgets.map((steps, r) => ({ steps, count: sizes[r]! }));
}

/** The rung plan of a normalized config (the runner's schedule; one rung without multi-fidelity). */
export function rungPlan(c: StudyConfig): Rung[] {
  const h = resolveHalvingConfig(c.multiFidelity, c.stepsPerTrial, c.numTrials, 'multi_fidelity');
  return h ? halvingPlan(h) : [{ steps: c.stepsPerTrial, count: c.numTrials }];
}

/**
 * The score a trial of `rung` ranks by: P on the last rung of a halving study with `last_rung_by_p` (one with more
 * than one rung), the study's score everywhere else.
 */
export function rungScoreKind(c: StudyConfig, rung: number): ScoreKind {
  if (c.multiFidelity?.lastRungByP !== true) return c.score;
  const rungs = rungPlan(c).length;
  return rungs > 1 && rung === rungs - 1 ? ScoreKind.SCORE_KIND_P : c.score;
}

/**
 * The rung rule of successive halving, the one the controller runs (runner.ts runStudyLoop) and the replays on a
 * benchmark table use (experiment/replay.ts): once every trial of rung `rung` has ended, the best
 * `plan[rung + 1].count` of its completed trials with a finite score (rankTrials: higher score first, ties to the
 * lower trial number) go on to rung + 1, best first; failed trials never do. Nobody goes on from the last rung, or
 * when no trial of the rung completed (the search ends there).
 */
export function promotedFrom<T extends RankableTrial>(plan: readonly Rung[], rung: number, inRung: readonly T[]): Array<T & { score: number }> {
  const next = plan[rung + 1];
  return next ? rankTrials(inRung).slice(0, next.count) : [];
}
