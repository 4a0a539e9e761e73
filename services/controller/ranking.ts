// Ranking of trials by the study's score (P, TG or P+TG = (1 - alpha) P + alpha TG) and the leaderboard.
import type { LeaderboardEntry, StudyConfig, Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { ScoreKind, TrialState } from '../../gen/tgsage/v1/search_controller.ts';

/** The study's score of a trial, or undefined when a part it needs (P or TG) is unknown. */
export function scoreOf(config: StudyConfig, p: number | undefined, tg: number | undefined): number | undefined {
  const alpha = config.alpha ?? 0.5;
  switch (config.score) {
    case ScoreKind.SCORE_KIND_P:
      return p;
    case ScoreKind.SCORE_KIND_TG:
      return tg;
    default:
      return p === undefined || tg === undefined ? undefined : (1 - alpha) * p + alpha * tg;
  }
}

/** The reward a strategy learns from: the score, else whatever part is known, else 0. */
export function rewardOf(t: Trial): number {
  return t.score ?? t.p ?? t.tg ?? 0;
}

/** Completed trials with a score, best first (ties: lower number first). */
export function ranked(trials: readonly Trial[]): Trial[] {
  return trials
    .filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETED && t.score !== undefined)
    .sort((a, b) => b.score! - a.score! || a.number - b.number);
}

export function leaderboard(trials: readonly Trial[], top = 10): LeaderboardEntry[] {
  return ranked(trials).slice(0, top).map((t, i) => ({
    rank: i + 1,
    trialId: t.id,
    number: t.number,
    score: t.score!,
    p: t.p ?? 0,
    tg: t.tg ?? 0,
  }));
}
