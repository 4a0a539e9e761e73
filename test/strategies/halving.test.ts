// The successive-halving schedule (budgets and rung sizes); the runner's promotions are tested in
// test/controller/runner.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { plannedRungSizes, resolveHalvingConfig } from '../../services/controller/halving.ts';

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
