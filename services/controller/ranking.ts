// The controller's view of ranking, on score.ts (the study's score P, TG or P+TG = (1 - alpha) P + alpha TG, and the
// leaderboard: higher score first, ties to the lower trial number).
import { TgKind, type LeaderboardEntry, type StudyConfig, type Trial } from '../../gen/tgsage/v1/search_controller.ts';
import type { SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import { rungScoreKind } from './halving.ts';
import { leaderboard as board, rankTrials, resolveScoreRule, studyScore } from './score.ts';

/**
 * The study's score of a trial of `rung` (rungScoreKind: P on a halving study's last rung when the study asks for
 * it), or undefined when a part it needs (P or TG) is unknown.
 */
export function scoreOf(config: StudyConfig, p: number | undefined, tg: number | undefined, rung = 0): number | undefined {
  return studyScore(resolveScoreRule(rungScoreKind(config, rung), config.alpha), { p, tg });
}

/**
 * A trial's TG as the study scores it (raw, or ceiling-normalised when config.tg_kind says so), and both kinds.
 * A normalised TG that is not finite (no ceilings, or one not positive) counts as unknown.
 */
export function trialTg(
  config: StudyConfig,
  similarity: SimilarityResult | undefined,
): { tg: number | undefined; tgRaw: number | undefined; tgNormalized: number | undefined } {
  const tgRaw = similarity?.tg;
  const normalized = similarity && similarity.ceilings.length > 0 ? similarity.tgNormalized : undefined;
  const tgNormalized = normalized !== undefined && Number.isFinite(normalized) ? normalized : undefined;
  return { tg: config.tgKind === TgKind.TG_KIND_CEILING_NORMALIZED ? tgNormalized : tgRaw, tgRaw, tgNormalized };
}

/** The reward a strategy learns from: the score, else whatever part is known, else 0. */
export function rewardOf(t: Trial): number {
  return t.score ?? t.p ?? t.tg ?? 0;
}

/** Completed trials with a score, best first (ties: lower number first). */
export function ranked(trials: readonly Trial[]): Trial[] {
  return rankTrials(trials);
}

export function leaderboard(trials: readonly Trial[], top = 10): LeaderboardEntry[] {
  return board(trials, top);
}
