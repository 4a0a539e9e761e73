import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailedPreconditionError, InvalidArgumentError } from '../../services/common/errors.ts';
import { createHalving, plannedRungSizes, resolveHalvingConfig, type HalvingRecord } from '../../services/controller/halving.ts';
import { createRng } from '../../services/controller/strategies/rng.ts';

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

describe('successive halving scheduler', () => {
  const config = resolveHalvingConfig(mf(), 900, 27)!;
  const scores = (() => {
    const rng = createRng(5);
    return Array.from({ length: 27 }, () => Array.from({ length: 3 }, () => Math.round(rng.next() * 1000) / 1000));
  })();
  /** Independent reference: the top k of `trials` by score at rung r, ties to the lower trial number. */
  const top = (trials: number[], r: number, k: number) =>
    [...trials].sort((a, b) => scores[b]![r]! - scores[a]![r]! || a - b).slice(0, k);

  it('promotes exactly the top 1/eta at each rung, only once a rung is complete', () => {
    const h = createHalving(config);
    const all = Array.from({ length: 27 }, (_, i) => i);
    for (const t of all.slice(0, 26)) assert.deepEqual(h.record(t, 0, scores[t]![0]!), { promoted: [], pruned: [] });
    assert.deepEqual(h.pending(), []);
    assert.equal(h.status(3)?.stage, 'waiting');
    const d0 = h.record(26, 0, scores[26]![0]!);
    const rung1 = top(all, 0, 9);
    assert.equal(d0.closedRung, 0);
    assert.deepEqual(d0.promoted, rung1);
    assert.deepEqual(new Set(d0.pruned), new Set(all.filter((t) => !rung1.includes(t))));
    assert.deepEqual(h.pending(), [...rung1].sort((a, b) => a - b).map((trial) => ({ trial, rung: 1, steps: 300 })));
    assert.deepEqual(h.status(rung1[0]!), { rung: 1, stage: 'running' });
    assert.deepEqual(h.status(d0.pruned[0]!), { rung: 0, stage: 'pruned' });

    let d1;
    for (const t of rung1) d1 = h.record(t, 1, scores[t]![1]!);
    const rung2 = top(rung1, 1, 3);
    assert.deepEqual(d1!.promoted, rung2);
    assert.deepEqual(h.pending().map((j) => [j.trial, j.steps]), [...rung2].sort((a, b) => a - b).map((t) => [t, 900]));
    for (const t of rung2) h.record(t, 2, scores[t]![2]!);
    assert.ok(h.finished());
    assert.deepEqual(h.pending(), []);
    assert.deepEqual(h.status(rung2[0]!), { rung: 2, stage: 'done' });
  });

  it('breaks ties by trial number and never promotes failed runs', () => {
    const h = createHalving({ numTrials: 6, eta: 2, rungs: 2, budgets: [10, 20] });
    h.record(5, 0, 0.5);
    h.record(0, 0, null);
    h.record(3, 0, 0.5);
    h.record(1, 0, Number.NaN);
    h.record(2, 0, 0.4);
    const d = h.record(4, 0, 0.5);
    assert.deepEqual(d.promoted, [3, 4, 5]);
    assert.deepEqual(d.pruned, [2]);
    assert.equal(h.status(0)?.stage, 'failed');
    const allFailed = createHalving({ numTrials: 2, eta: 2, rungs: 3, budgets: [1, 2, 4] });
    allFailed.record(0, 0, null);
    allFailed.record(1, 0, null);
    assert.ok(allFailed.finished());
  });

  it('refuses runs the schedule did not ask for', () => {
    const h = createHalving({ numTrials: 2, eta: 2, rungs: 2, budgets: [10, 20] });
    h.record(0, 0, 1);
    assert.throws(() => h.record(0, 0, 1), FailedPreconditionError);
    assert.throws(() => h.record(0, 1, 1), FailedPreconditionError); // rung 0 not complete yet
    h.record(1, 0, 0);
    assert.throws(() => h.record(1, 1, 1), FailedPreconditionError); // pruned
    assert.throws(() => h.record(2, 0, 1), FailedPreconditionError); // beyond num_trials
    assert.throws(() => h.record(0, 2, 1), FailedPreconditionError);
  });

  it('restores from the completed records, in any order, to the same schedule', () => {
    const live = createHalving(config);
    const done: HalvingRecord[] = [];
    const rec = (trial: number, rung: number) => {
      done.push({ trial, rung, score: scores[trial]![rung]! });
      live.record(trial, rung, scores[trial]![rung]!);
    };
    for (let t = 0; t < 27; t++) rec(t, 0);
    for (const j of live.pending().slice(0, 4)) rec(j.trial, j.rung);
    const shuffled = [...done].reverse();
    const restored = createHalving(config, shuffled);
    assert.deepEqual(restored.pending(), live.pending());
    assert.equal(restored.pending().length, 5);
    assert.equal(restored.closedRungs(), 1);
    for (let t = 0; t < 27; t++) assert.deepEqual(restored.status(t), live.status(t));
    // And both finish the same way.
    for (const h of [live, restored]) for (const j of h.pending()) h.record(j.trial, j.rung, scores[j.trial]![j.rung]!);
    assert.deepEqual(restored.pending(), live.pending());
    assert.deepEqual(restored.records().map((m) => [...m.keys()].sort()), live.records().map((m) => [...m.keys()].sort()));
  });
});
