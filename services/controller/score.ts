// The study's ranking score and leaderboard. P = validation accuracy, TG = similarity to the teacher,
// P+TG = (1 - alpha) P + alpha TG (alpha default 0.5). Ranking: higher score first, ties broken by the lower trial
// number (the earlier proposal), so a leaderboard never depends on completion order.
//
// The default score is P. The Fashion-MNIST benchmark (docs/science/fashion-convnet.json, README "Experiments")
// found no budget at which TG or P+TG ranks architectures clearly better than early P, and P+TG at alpha 0.5 ranks worse
// than P once training is long (where a study's final rung is): teacher guidance is something to ask for (score
// P_TG or TG) and to measure on one's own task with `tgsage experiment`, not the default.

import { InvalidArgumentError } from '../common/errors.ts';
import { ScoreKind, TrialOrigin, TrialState, type LeaderboardEntry, type Trial } from '../../gen/tgsage/v1/search_controller.ts';

export const DEFAULT_ALPHA = 0.5;

/** What SCORE_KIND_UNSPECIFIED means: P (P+TG until the benchmark above). */
export const DEFAULT_SCORE = ScoreKind.SCORE_KIND_P;

export interface ScoreRule {
  /** P, TG or P_TG (never UNSPECIFIED once resolved). */
  kind: ScoreKind.SCORE_KIND_P | ScoreKind.SCORE_KIND_TG | ScoreKind.SCORE_KIND_P_TG;
  /** Weight of TG in P+TG, in [0, 1]. */
  alpha: number;
}

/** Fills defaults (UNSPECIFIED -> DEFAULT_SCORE, alpha DEFAULT_ALPHA) and validates, naming `${field}.score` / `${field}.alpha`. */
export function resolveScoreRule(kind: ScoreKind | undefined, alpha: number | undefined, field = 'config'): ScoreRule {
  const k = kind === undefined || kind === ScoreKind.SCORE_KIND_UNSPECIFIED ? DEFAULT_SCORE : kind;
  if (k !== ScoreKind.SCORE_KIND_P && k !== ScoreKind.SCORE_KIND_TG && k !== ScoreKind.SCORE_KIND_P_TG) {
    throw new InvalidArgumentError(`${field}.score`, `unknown score kind ${kind}`);
  }
  const a = alpha ?? DEFAULT_ALPHA;
  if (!Number.isFinite(a) || a < 0 || a > 1) throw new InvalidArgumentError(`${field}.alpha`, `must be in [0, 1], got ${alpha}`);
  return { kind: k, alpha: a };
}

/** The study's score from P and TG, or undefined when a value it needs is missing or not finite. */
export function studyScore(rule: ScoreRule, values: { p?: number | undefined; tg?: number | undefined }): number | undefined {
  const ok = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);
  switch (rule.kind) {
    case ScoreKind.SCORE_KIND_P:
      return ok(values.p) ? values.p : undefined;
    case ScoreKind.SCORE_KIND_TG:
      return ok(values.tg) ? values.tg : undefined;
    case ScoreKind.SCORE_KIND_P_TG:
      return ok(values.p) && ok(values.tg) ? (1 - rule.alpha) * values.p + rule.alpha * values.tg : undefined;
  }
}

/** P+TG regardless of the rule's kind (reports plot it for every study), with the rule's alpha. */
export function pTg(alpha: number, p: number | undefined, tg: number | undefined): number | undefined {
  return studyScore({ kind: ScoreKind.SCORE_KIND_P_TG, alpha }, { p, tg });
}

export type RankableTrial = Pick<Trial, 'id' | 'number' | 'state' | 'p' | 'tg' | 'score'> & Partial<Pick<Trial, 'origin' | 'source' | 'rung'>>;

/**
 * Orders by successive-halving rung descending (a trial that survived to a later rung trained longer, and its rung
 * may rank by another score: multi_fidelity.last_rung_by_p; without halving every trial is at rung 0), then score
 * descending, then trial number ascending.
 */
export function compareRanked(
  a: { score: number; number: number; rung?: number | undefined },
  b: { score: number; number: number; rung?: number | undefined },
): number {
  return (b.rung ?? 0) - (a.rung ?? 0) || b.score - a.score || a.number - b.number;
}

/** Completed trials with a finite score, best first. */
export function rankTrials<T extends RankableTrial>(trials: readonly T[]): Array<T & { score: number }> {
  return trials
    .filter((t): t is T & { score: number } => t.state === TrialState.TRIAL_STATE_COMPLETED && t.score !== undefined && Number.isFinite(t.score))
    .sort(compareRanked);
}

/** The leaderboard (default top 10; `limit` Infinity for all). Missing P or TG show as NaN. */
export function leaderboard(trials: readonly RankableTrial[], limit = 10): LeaderboardEntry[] {
  return rankTrials(trials)
    .slice(0, limit)
    .map((t, i) => ({
      rank: i + 1,
      trialId: t.id,
      number: t.number,
      score: t.score,
      p: t.p ?? Number.NaN,
      tg: t.tg ?? Number.NaN,
      origin: t.origin ?? TrialOrigin.TRIAL_ORIGIN_UNSPECIFIED,
      source: t.source ?? '',
    }));
}

/** The best completed trial, or undefined. */
export function bestTrial<T extends RankableTrial>(trials: readonly T[]): T | undefined {
  return rankTrials(trials)[0];
}
