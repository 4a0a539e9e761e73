import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import type { Strategy } from '../../services/controller/strategies/strategy.ts';
import { bestOf, convnetLikeSpace, matchObjective, mean, runSearch } from './helpers.ts';

const registry = createStrategyRegistry();
const space = convnetLikeSpace();
// Small and quick for the tests (the proto defaults are 64 units, lr 0.005, for real studies of a few hundred trials).
const quick = { hiddenUnits: 16, learningRate: 0.05 };

before(async () => {
  assert.ok(await tf.setBackend('cpu'));
  await tf.ready();
});

function withStrategy<T>(settings: object, seed: number, f: (s: Strategy) => T): T {
  const s = registry.create('reinforce', settings, space, seed);
  try {
    return f(s);
  } finally {
    s.dispose();
  }
}

describe('REINFORCE controller', () => {
  it('beats random search at equal budget on a synthetic objective, without leaking tensors', () => {
    const budget = 120;
    const start = tf.memory().numTensors;
    const rl: number[] = [];
    const rnd: number[] = [];
    for (const seed of [1, 2, 3]) {
      rl.push(withStrategy(quick, seed, (s) => bestOf(runSearch(s, matchObjective(space, seed), budget, 8))));
      rnd.push(bestOf(runSearch(registry.create('random', {}, space, seed), matchObjective(space, seed), budget, 8)));
    }
    assert.equal(tf.memory().numTensors, start);
    // Random's best of 120 matches ~0.43 of the positions; the controller learns the target (~0.7 here).
    assert.ok(mean(rl) > mean(rnd) + 0.1, `reinforce ${rl} vs random ${rnd}`);
    assert.ok(Math.min(...rl) > mean(rnd), `every seed: ${rl} vs ${rnd}`);
  });

  it('holds a fixed number of tensors across suggest/update and frees them all on dispose', () => {
    const start = tf.memory().numTensors;
    const s = registry.create('reinforce', {}, space, 5); // defaults: 64 units
    const held = tf.memory().numTensors;
    assert.equal(held - start, 6 * 3 + 1); // 6 parameters, their two Adam moments, the mask
    const obj = matchObjective(space, 5);
    for (let i = 0; i < 2; i++) {
      const ps = s.suggest(3);
      s.update(ps.map((p) => ({ decisions: p.decisions, score: obj(p.decisions) })));
      assert.equal(tf.memory().numTensors, held);
    }
    s.state();
    assert.equal(tf.memory().numTensors, held);
    s.dispose();
    s.dispose();
    assert.equal(tf.memory().numTensors, start);
  });

  it('is deterministic for a seed, and state/restore continues bit for bit', () => {
    const obj = () => matchObjective(space, 3);
    const run = (restoreAfter?: number): number[][] => {
      const o = obj();
      let s = registry.create('reinforce', quick, space, 3);
      const out: number[][] = [];
      try {
        for (let round = 0; round < 4; round++) {
          if (round === restoreAfter) {
            const saved = JSON.parse(JSON.stringify(s.state()));
            s.dispose();
            s = registry.create('reinforce', quick, space, 77);
            s.restore(saved);
          }
          const ps = s.suggest(4);
          out.push(...ps.map((p) => p.decisions));
          s.update(ps.map((p) => ({ decisions: p.decisions, score: o(p.decisions) })));
        }
        return out;
      } finally {
        s.dispose();
      }
    };
    const a = run();
    assert.deepEqual(run(), a);
    assert.deepEqual(run(2), a);
    const other = withStrategy(quick, 4, (s) => s.suggest(4).map((p) => p.decisions));
    assert.notDeepEqual(other, a.slice(0, 4));
  });

  it('skips failed results and learns nothing from an empty batch', () => {
    withStrategy(quick, 8, (s) => {
      const before = JSON.stringify(s.state());
      const ps = s.suggest(2);
      const afterSuggest = JSON.stringify(s.state());
      assert.notEqual(afterSuggest, before); // the RNG moved
      s.update(ps.map((p) => ({ decisions: p.decisions, score: Number.NaN })));
      s.update([]);
      assert.equal(JSON.stringify(s.state()), afterSuggest);
    });
  });

  it('refuses a state saved with other settings', () => {
    const saved = withStrategy(quick, 1, (s) => s.state());
    withStrategy({ hiddenUnits: 8 }, 1, (s) => assert.throws(() => s.restore(saved), /other settings/));
  });

  it('fills the proto defaults and rejects bad settings naming the field', () => {
    assert.deepEqual(registry.resolve('reinforce', {}), { hiddenUnits: 64, learningRate: 0.005, baselineDecay: 0.8, entropyWeight: 0.01 });
    for (const [settings, field] of [
      [{ learningRate: -1 }, 'strategy.reinforce.learning_rate'],
      [{ baselineDecay: 1 }, 'strategy.reinforce.baseline_decay'],
      [{ hiddenUnits: 2.5 }, 'strategy.reinforce.hidden_units'],
      [{ entropyWeight: Number.NaN }, 'strategy.reinforce.entropy_weight'],
    ] as const) {
      const n = tf.memory().numTensors;
      assert.throws(
        () => registry.create('reinforce', settings, space, 1),
        (e: unknown) => e instanceof InvalidArgumentError && e.field === field,
        field,
      );
      assert.equal(tf.memory().numTensors, n);
    }
  });
});
