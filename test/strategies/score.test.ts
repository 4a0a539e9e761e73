import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { bestTrial, leaderboard, resolveScoreRule, studyScore } from '../../services/controller/score.ts';
import { ScoreKind, TrialState } from '../../gen/tgsage/v1/search_controller.ts';

describe('study score', () => {
  it('defaults to P (alpha 0.5 when P+TG is asked for) and computes each kind', () => {
    assert.deepEqual(resolveScoreRule(undefined, undefined), { kind: ScoreKind.SCORE_KIND_P, alpha: 0.5 });
    assert.deepEqual(resolveScoreRule(ScoreKind.SCORE_KIND_UNSPECIFIED, undefined), { kind: ScoreKind.SCORE_KIND_P, alpha: 0.5 });
    assert.equal(studyScore(resolveScoreRule(undefined, undefined), { p: 0.8, tg: 0.4 }), 0.8);
    const rule = resolveScoreRule(ScoreKind.SCORE_KIND_P_TG, undefined);
    assert.deepEqual(rule, { kind: ScoreKind.SCORE_KIND_P_TG, alpha: 0.5 });
    assert.equal(studyScore(rule, { p: 0.8, tg: 0.4 }), 0.6000000000000001); // 0.5*0.8 + 0.5*0.4 in float64
    assert.equal(studyScore(resolveScoreRule(ScoreKind.SCORE_KIND_P_TG, 0.25), { p: 0.8, tg: 0.4 }), 0.75 * 0.8 + 0.25 * 0.4);
    assert.equal(studyScore(resolveScoreRule(ScoreKind.SCORE_KIND_P_TG, 0), { p: 0.8, tg: 0.4 }), 0.8);
    assert.equal(studyScore(resolveScoreRule(ScoreKind.SCORE_KIND_P, undefined), { p: 0.7 }), 0.7);
    assert.equal(studyScore(resolveScoreRule(ScoreKind.SCORE_KIND_TG, undefined), { p: 0.7, tg: 0.3 }), 0.3);
    assert.equal(studyScore(rule, { p: 0.7 }), undefined);
    assert.equal(studyScore(rule, { p: 0.7, tg: Number.NaN }), undefined);
  });

  it('rejects bad alpha and unknown kinds naming the field', () => {
    for (const a of [-0.1, 1.5, Number.NaN]) {
      assert.throws(() => resolveScoreRule(ScoreKind.SCORE_KIND_P_TG, a), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'config.alpha');
    }
    assert.throws(() => resolveScoreRule(ScoreKind.UNRECOGNIZED, 0.5, 'study'), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'study.score');
  });
});

describe('leaderboard', () => {
  const t = (number: number, score: number | undefined, state = TrialState.TRIAL_STATE_COMPLETED) => ({
    id: `t${number}`, number, state, p: score, tg: 0.1, score,
  });
  it('ranks completed trials by score, ties by trial number, and skips the rest', () => {
    const trials = [t(0, 0.5), t(1, 0.7), t(2, 0.5), t(3, 0.9, TrialState.TRIAL_STATE_FAILED), t(4, undefined), t(5, 0.7)];
    const lb = leaderboard(trials);
    assert.deepEqual(lb.map((e) => [e.rank, e.number]), [[1, 1], [2, 5], [3, 0], [4, 2]]);
    assert.equal(leaderboard(trials, 2).length, 2);
    assert.equal(bestTrial(trials)?.id, 't1');
    assert.equal(bestTrial([]), undefined);
  });
});
