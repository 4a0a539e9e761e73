import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradients
import { createAdam } from '../../services/controller/strategies/adam.ts';

before(async () => {
  assert.ok(await tf.setBackend('cpu'));
  await tf.ready();
});

describe('adam', () => {
  it('matches a float64 reference on a weighted quadratic', () => {
    const c = [0.5, -1.25, 3, 0.01];
    const w = [1, 4, 0.25, 10];
    const x0 = [0, 0.3, -2, 1];
    const lr = 0.05;
    // Reference: Adam in float64 with the analytic gradient 2 w (x - c).
    const x = [...x0];
    const m = [0, 0, 0, 0];
    const v = [0, 0, 0, 0];
    for (let t = 1; t <= 25; t++) {
      for (let i = 0; i < 4; i++) {
        const g = 2 * w[i]! * (x[i]! - c[i]!);
        m[i] = 0.9 * m[i]! + 0.1 * g;
        v[i] = 0.999 * v[i]! + 0.001 * g * g;
        x[i] = x[i]! - (lr * (m[i]! / (1 - 0.9 ** t))) / (Math.sqrt(v[i]! / (1 - 0.999 ** t)) + 1e-8);
      }
    }
    const start = tf.memory().numTensors;
    const init = tf.tensor1d(x0);
    const xv = tf.variable(init);
    init.dispose();
    const [cT, wT] = [tf.tensor1d(c), tf.tensor1d(w)];
    const adam = createAdam([xv], { learningRate: lr });
    for (let t = 0; t < 25; t++) {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(wT, tf.square(tf.sub(xv, cT)))) as tf.Scalar, [xv]);
      adam.apply([grads[xv.name]!]);
      value.dispose();
      tf.dispose(grads);
    }
    assert.equal(adam.step, 25);
    const got = [...xv.dataSync()];
    got.forEach((g, i) => assert.ok(Math.abs(g - x[i]!) < 1e-5 * (1 + Math.abs(x[i]!)), `x[${i}] ${g} vs ${x[i]}`));
    adam.dispose();
    tf.dispose([xv, cT, wT]);
    assert.equal(tf.memory().numTensors, start);
  });
});
