// The successive-halving schedule (budgets and rung sizes) and its rung rule (promotedFrom), the one rule the
// controller's runner (test/controller/runner.test.ts runs it through whole studies) and the table replays
// (test/experiment/replay.test.ts) promote by.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScoreKind, StudyConfig, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { halvingPlan, plannedRungSizes, promotedFrom, resolveHalvingConfig, rungScoreKind } from '../../services/controller/halving.ts';
import { rankTrials } from '../../services/controller/score.ts';

const mf = (x: object = {}) => ({ enabled: true, minSteps: 0, eta: 0, rungs: 0, ...x });

describe('successive halving config', () => {
  it('fills the proto defaults', () => {
    assert.equal(resolveHalvingConfig({ ...mf(), enabled: false }, 900, 27), undefined);
    assert.equal(resolveHalvingConfig(undefined, 900, 27), undefined);
    const c = resolveHalvingConfig(mf(), 900, 27)!;
    assert.deepEqual(c, { numTrials: 27, eta: 3, rungs: 3, budgets: [100, 300, 900] });
    assert.deepEqual(plannedRungSizes(c), [27, 9, 3]);
    assert.deepEqual(resolveHalvingConfig(mf({ minSteps: 50, eta: 2, rungs: 4 }), 1000, 16)!.budgets, [50, 100, 200, 1000]);
    assert.deepEqual(resolveHalvingConfig(mf({ rungs: 1 }), 500, 5)!.budgets, [500]);
  });

  it('rejects bad settings naming the field', () => {
    const field = (f: () => unknown, name: string) =>
      assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && e.field === name, name);
    field(() => resolveHalvingConfig(mf({ eta: 1 }), 900, 27), 'config.multi_fidelity.eta');
    field(() => resolveHalvingConfig(mf({ rungs: 11 }), 900, 27), 'config.multi_fidelity.rungs');
    field(() => resolveHalvingConfig(mf({ minSteps: 400 }), 900, 27), 'config.multi_fidelity.min_steps'); // 400, 1200, 900
    field(() => resolveHalvingConfig(mf(), 0, 27), 'config.steps_per_trial');
    field(() => resolveHalvingConfig(mf(), 900, 0, 'multi_fidelity'), 'num_trials');
    field(() => resolveHalvingConfig(mf({ eta: 1 }), 900, 27, 'multi_fidelity'), 'multi_fidelity.eta');
  });
});

describe('the rung rule (promotedFrom)', () => {
  const { COMPLETED, FAILED, RUNNING } = {
    COMPLETED: TrialState.TRIAL_STATE_COMPLETED,
    FAILED: TrialState.TRIAL_STATE_FAILED,
    RUNNING: TrialState.TRIAL_STATE_RUNNING,
  };
  const trial = (number: number, score: number | undefined, state = COMPLETED) =>
    ({ id: `t${number}`, number, state, score, p: undefined, tg: undefined });
  // 9 trials, eta 2, 4 rungs: planned sizes 9, 4, 2, 1
  const plan = halvingPlan({ numTrials: 9, eta: 2, rungs: 4, budgets: [10, 30, 100, 300] });

  it('takes the planned count of the next rung, best first, ties to the lower trial number', () => {
    assert.deepEqual(plan, [{ steps: 10, count: 9 }, { steps: 30, count: 4 }, { steps: 100, count: 2 }, { steps: 300, count: 1 }]);
    const rung = [trial(0, 0.5), trial(1, 0.9), trial(2, 0.7), trial(3, 0.9), trial(4, 0.1), trial(5, 0.7), trial(6, 0.2),
      trial(7, 0.3), trial(8, 0.6)];
    assert.deepEqual(promotedFrom(plan, 0, rung).map((t) => t.number), [1, 3, 2, 5]);
    assert.deepEqual(promotedFrom(plan, 1, rung).map((t) => t.number), [1, 3]);
  });

  it('never promotes a failed, unscored or unfinished trial; a short rung keeps the planned count of the next', () => {
    const rung = [trial(0, 0.9, FAILED), trial(1, undefined), trial(2, Number.NaN), trial(3, 0.4), trial(4, 0.8, RUNNING),
      trial(5, 0.2), trial(6, 0.3)];
    assert.deepEqual(promotedFrom(plan, 0, rung).map((t) => t.number), [3, 6, 5]);
    // 3 reached rung 1; rung 2 is planned for 2 (not floor(3 / 2) = 1)
    assert.deepEqual(promotedFrom(plan, 1, [trial(9, 0.1), trial(10, 0.5), trial(11, 0.3)]).map((t) => t.number), [10, 11]);
  });

  it('nobody goes on from the last rung, or from a rung where every trial failed', () => {
    assert.deepEqual(promotedFrom(plan, 3, [trial(0, 0.9)]), []);
    assert.deepEqual(promotedFrom(plan, 0, [trial(0, 0.9, FAILED), trial(1, Number.NaN)]), []);
    assert.deepEqual(promotedFrom(halvingPlan({ numTrials: 5, eta: 3, rungs: 1, budgets: [500] }), 0, [trial(0, 1)]), []);
  });
});

describe('the score each rung ranks by, and the leaderboard order', () => {
  const study = (multiFidelity: object | undefined, score = ScoreKind.SCORE_KIND_P_TG) =>
    StudyConfig.fromPartial({ score, stepsPerTrial: 900, numTrials: 27, ...(multiFidelity ? { multiFidelity } : {}) });

  it('P on the last rung with last_rung_by_p, the study score elsewhere; studies stored without it keep their score', () => {
    const on = study(mf({ lastRungByP: true }));
    assert.deepEqual([0, 1, 2].map((r) => rungScoreKind(on, r)), [ScoreKind.SCORE_KIND_P_TG, ScoreKind.SCORE_KIND_P_TG, ScoreKind.SCORE_KIND_P]);
    const before = study(mf()); // the field absent, as in a study created before it
    assert.deepEqual([0, 1, 2].map((r) => rungScoreKind(before, r)), [ScoreKind.SCORE_KIND_P_TG, ScoreKind.SCORE_KIND_P_TG, ScoreKind.SCORE_KIND_P_TG]);
    assert.equal(rungScoreKind(study(mf({ lastRungByP: false })), 2), ScoreKind.SCORE_KIND_P_TG);
    // one rung, or no halving: the study's score ranks every trial
    assert.equal(rungScoreKind(study(mf({ lastRungByP: true, rungs: 1 })), 0), ScoreKind.SCORE_KIND_P_TG);
    assert.equal(rungScoreKind(study(undefined), 0), ScoreKind.SCORE_KIND_P_TG);
    assert.equal(rungScoreKind(study(mf({ lastRungByP: true }), ScoreKind.SCORE_KIND_TG), 1), ScoreKind.SCORE_KIND_TG);
  });

  it('ranks later rungs first, then by score, ties to the lower number; rankless trials are rung 0', () => {
    const t = (number: number, score: number, rung?: number) => ({ id: `t${number}`, number, state: TrialState.TRIAL_STATE_COMPLETED, score, ...(rung === undefined ? {} : { rung }) });
    const order = rankTrials([t(0, 0.9, 0), t(1, 0.5, 1), t(2, 0.95), t(3, 0.6, 1), t(4, 0.1, 2), t(5, 0.6, 1)]).map((x) => x.number);
    assert.deepEqual(order, [4, 3, 5, 1, 2, 0]);
  });
});
