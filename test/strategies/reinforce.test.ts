import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import type { ReinforceStrategy } from '../../services/controller/strategies/reinforce.ts';
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

  it('samples from the same distribution its loss scores (teacher-forced log-probabilities)', () => {
    const tiny = { name: 'tiny', sizes: [3, 2, 4], labels: ['a', 'b', 'c'] };
    const s = registry.create('reinforce', { hiddenUnits: 8, learningRate: 0.1, entropyWeight: 1e-9 }, tiny, 6) as ReinforceStrategy;
    try {
      // Shape the policy so later choices depend on earlier ones (rewarding c == 2*b agreement and a == 1).
      for (let i = 0; i < 15; i++) {
        const ps = s.suggest(8);
        s.update(ps.map((p) => ({ decisions: p.decisions, score: Number(p.decisions[0] === 1) + Number(p.decisions[2] === 2 * p.decisions[1]!) })));
      }
      const all: number[][] = [];
      for (let a = 0; a < 3; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 4; c++) all.push([a, b, c]);
      const probs = s.logProbs(all).map(Math.exp);
      assert.ok(Math.abs(probs.reduce((x, y) => x + y, 0) - 1) < 1e-5);
      assert.ok(Math.max(...probs) > 0.15, `policy still near uniform: ${Math.max(...probs)}`);
      const N = 3000;
      const counts = new Map<string, number>();
      for (const p of s.suggest(N)) counts.set(p.decisions.join(), (counts.get(p.decisions.join()) ?? 0) + 1);
      all.forEach((d, i) => {
        const f = (counts.get(d.join()) ?? 0) / N;
        const sd = Math.sqrt((probs[i]! * (1 - probs[i]!)) / N);
        assert.ok(Math.abs(f - probs[i]!) < 5 * sd + 1e-3, `${d}: sampled ${f}, policy ${probs[i]}`);
      });
    } finally {
      s.dispose();
    }
  });

  it('an update raises the log-probability of above-baseline results and lowers the others', () => {
    withStrategy({ hiddenUnits: 8, entropyWeight: 1e-9 }, 2, (strategy) => {
      const s = strategy as ReinforceStrategy;
      const [a, b] = s.suggest(2).map((p) => p.decisions);
      const before = s.logProbs([a!, b!]);
      s.update([{ decisions: a!, score: 1 }, { decisions: b!, score: 0 }]);
      const after = s.logProbs([a!, b!]);
      assert.ok(after[0]! > before[0]!, `${before} -> ${after}`);
      assert.ok(after[1]! < before[1]!, `${before} -> ${after}`);
    });
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
