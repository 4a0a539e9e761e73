// The controller process may have the wasm backend active (the trainer's); the REINFORCE strategy must train there
// too (its loss avoids ops whose gradients wasm lacks, e.g. gather -> UnsortedSegmentSum).
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import { CONVNET_SPACE, checkDecisions } from '../../services/spaces/decisions.ts';
import { matchObjective } from './helpers.ts';

before(async () => {
  assert.ok(await tf.setBackend('wasm'));
  await tf.ready();
});

describe('REINFORCE on the wasm backend', () => {
  it('samples, updates, saves and restores without leaking tensors', () => {
    const start = tf.memory().numTensors;
    const registry = createStrategyRegistry();
    const s = registry.create('reinforce', { hiddenUnits: 16, learningRate: 0.05 }, CONVNET_SPACE, 4);
    const obj = matchObjective(CONVNET_SPACE, 4);
    const held = tf.memory().numTensors;
    for (let round = 0; round < 3; round++) {
      const ps = s.suggest(4);
      for (const p of ps) checkDecisions(CONVNET_SPACE, p.decisions);
      s.update(ps.map((p) => ({ decisions: p.decisions, score: obj(p.decisions) })));
      assert.equal(tf.memory().numTensors, held);
    }
    const saved = JSON.parse(JSON.stringify(s.state()));
    const next = s.suggest(4);
    const r = registry.create('reinforce', { hiddenUnits: 16, learningRate: 0.05 }, CONVNET_SPACE, 99);
    r.restore(saved);
    assert.deepEqual(r.suggest(4), next);
    s.dispose();
    r.dispose();
    assert.equal(tf.memory().numTensors, start);
    assert.equal(tf.getBackend(), 'wasm');
  });
});
