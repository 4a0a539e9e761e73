import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { trainCandidate } from '../../services/trainer/train.ts';
import { learningRateAt } from '../../services/trainer/schedule.ts';
import { batchOrder } from '../../services/trainer/batch-order.ts';
import { DEFAULT_TRAINING, type TrainingConfig } from '../../services/trainer/types.ts';
import { disposeData, smallMnist, tinyMlp, useCpu } from './fixtures.ts';

const config = (over: Partial<TrainingConfig> = {}): TrainingConfig => ({
  ...DEFAULT_TRAINING,
  steps: 60,
  batchSize: 32,
  learningRate: 0.05,
  readLossEvery: 10,
  evalBatchSize: 100,
  ...over,
});

test('schedules: cosine decays to ~0, constant stays, warmup ramps then decays', () => {
  assert.equal(learningRateAt('constant', 0.1, 57, 100), 0.1);
  assert.equal(learningRateAt('cosine', 0.1, 0, 100), 0.1);
  assert.ok(Math.abs(learningRateAt('cosine', 0.1, 50, 100) - 0.05) < 1e-12);
  assert.ok(learningRateAt('cosine', 0.1, 99, 100) < 0.001);
  assert.ok(Math.abs(learningRateAt('warmup_cosine', 0.1, 0, 100) - 0.01) < 1e-12);
  assert.ok(Math.abs(learningRateAt('warmup_cosine', 0.1, 9, 100) - 0.1) < 1e-12);
  assert.ok(learningRateAt('warmup_cosine', 0.1, 60, 100) < 0.1);
});

test('batch order: seeded, each epoch a permutation', () => {
  const a = batchOrder(10, 5, 7);
  const b = batchOrder(10, 5, 7);
  const epoch = [...a(), ...a()];
  assert.deepEqual([...b(), ...b()], epoch);
  assert.deepEqual([...epoch].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual([...batchOrder(10, 5, 8)()], epoch.slice(0, 5));
});

test('short real training: loss decreases, P well above chance, no leaks, deterministic', async () => {
  await useCpu();
  const data = smallMnist();
  const before = tf.memory().numTensors;
  const runs = [];
  for (const optimizer of ['sgd_momentum', 'sgd_momentum', 'adam'] as const) {
    const { model } = tinyMlp(1);
    const events: number[] = [];
    const outcome = await trainCandidate({
      model,
      data,
      config: config({ optimizer, learningRate: optimizer === 'adam' ? 0.003 : 0.05 }),
      onProgress: (e) => events.push(e.step),
    });
    model.dispose();
    runs.push(outcome);
    assert.deepEqual(events, [10, 20, 30, 40, 50, 60]);
  }
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  disposeData(data);
  for (const run of runs) {
    assert.ok(run.lossHistory.at(-1)! < run.lossHistory[0]! * 0.7, `loss fell: ${run.lossHistory.join(', ')}`);
    assert.ok(run.validationAccuracy > 0.5, `P = ${run.validationAccuracy}`);
    assert.equal(run.steps, 60);
  }
  assert.deepEqual(runs[1]!.lossHistory, runs[0]!.lossHistory, 'same seed, same losses');
  assert.equal(runs[1]!.validationAccuracy, runs[0]!.validationAccuracy);
});

test('abort stops within a step and leaks nothing', async () => {
  await useCpu();
  const data = smallMnist(20, 10);
  const before = tf.memory().numTensors;
  const { model } = tinyMlp(2);
  const controller = new AbortController();
  let lastStep = 0;
  const run = trainCandidate({
    model,
    data,
    config: config({ steps: 10_000, readLossEvery: 1 }),
    signal: controller.signal,
    onProgress: (e) => {
      lastStep = e.step;
      if (e.step === 5) controller.abort(new Error('stop'));
    },
  });
  await assert.rejects(run, /stop/);
  assert.equal(lastStep, 5, 'no step after the abort');
  model.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  disposeData(data);
});

test('clipByGlobalNorm scales every gradient by min(1, max / joint norm)', async () => {
  await useCpu();
  const { clipByGlobalNorm } = await import('../../services/trainer/train.ts');
  const before = tf.memory().numTensors;
  const a = [3, 0, 0];
  const b = [0, 4];
  const grads = { a: tf.tensor1d(a), b: tf.tensor1d(b) }; // joint norm 5
  const clipped = tf.tidy(() => clipByGlobalNorm(grads, 2.5));
  const close = (got: ArrayLike<number>, want: number[]) => want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-5, `${got[i]} vs ${w}`));
  close(clipped['a']!.dataSync(), [1.5, 0, 0]);
  close(clipped['b']!.dataSync(), [0, 2]);
  const same = tf.tidy(() => clipByGlobalNorm(grads, 10));
  assert.ok(Math.abs(same['b']!.dataSync()[1]! - 4) < 1e-5);
  tf.dispose([grads.a, grads.b, ...Object.values(clipped), ...Object.values(same)]);
  assert.equal(tf.memory().numTensors, before);
});

test('evaluation budgets: one curve point per budget, the final budget last, training unchanged by them', async () => {
  await useCpu();
  const data = smallMnist();
  const before = tf.memory().numTensors;
  const run = async (evalSteps: number[]) => {
    const { model } = tinyMlp(3);
    const hooked: number[] = [];
    const phases: number[] = [];
    const t0 = performance.now();
    const outcome = await trainCandidate({
      model,
      data,
      config: config({ steps: 40, readLossEvery: 10, evalSteps }),
      onEvaluating: (step) => phases.push(step),
      onBudget: async (point) => {
        hooked.push(point.step);
        await new Promise((resolve) => setTimeout(resolve, 30)); // a slow scorer is not training time
      },
    });
    const wall = (performance.now() - t0) / 1000;
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return { outcome, hooked, phases, weights, wall };
  };
  const plain = await run([]);
  const curved = await run([5, 15, 40]);
  assert.deepEqual(plain.hooked, [40]);
  assert.deepEqual(curved.hooked, [5, 15, 40], 'the final budget once, listed or not');
  assert.deepEqual(curved.phases, [5, 15, 40]);
  assert.deepEqual(curved.outcome.curve.map((c) => c.step), [5, 15, 40]);
  assert.deepEqual(curved.weights, plain.weights, 'evaluating in between does not change training');
  assert.equal(curved.outcome.validationAccuracy, plain.outcome.validationAccuracy);
  assert.equal(curved.outcome.curve.at(-1)!.validationAccuracy, curved.outcome.validationAccuracy);
  for (const c of curved.outcome.curve) {
    assert.ok(c.validationAccuracy >= 0 && c.validationAccuracy <= 1);
    assert.ok(Number.isFinite(c.trainLoss) && c.trainLoss > 0, `loss at ${c.step}: ${c.trainLoss}`);
    assert.ok(c.evalSeconds > 0);
  }
  // the mean loss over steps 16..40 is below the mean over steps 1..5
  assert.ok(curved.outcome.curve[2]!.trainLoss < curved.outcome.curve[0]!.trainLoss);
  // hook time (3 x 30 ms) is not training time: training seconds grow by less than the wall time between points
  const t = curved.outcome.curve.map((c) => c.trainSeconds);
  assert.ok(t[0]! < t[1]! && t[1]! < t[2]!, `cumulative: ${t.join(', ')}`);
  assert.equal(curved.outcome.trainSeconds, t[2]);
  const evals = curved.outcome.curve.reduce((s, c) => s + c.evalSeconds, 0);
  assert.ok(curved.wall - curved.outcome.trainSeconds >= 0.09 + evals * 0.9, `wall ${curved.wall}, training ${curved.outcome.trainSeconds}`);
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  disposeData(data);
});
