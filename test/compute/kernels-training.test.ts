// Whole training steps on wasm with our kernels: gradients of a model using every op the search spaces need match the
// cpu backend; SGD-momentum and Adam steps run without leaks; a seeded run is deterministic.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { DilatedConv2D } from '../../services/compute/kernels/dilated-conv2d.ts';
import { assertClose, randomArray, rng } from './kernels-helpers.ts';

const BATCH = 4;

/** A small net with every op of the convnet and NASNet spaces (seeded initialisers). */
function buildModel(): tfl.LayersModel {
  let seed = 1;
  const init = () => tfl.initializers.glorotUniform({ seed: seed++ });
  const conv = (filters: number, kernelSize: number | [number, number], strides = 1, activation?: string) =>
    tfl.layers.conv2d({ filters, kernelSize, strides, padding: 'same', kernelInitializer: init(),
      ...(activation ? { activation: activation as 'relu' } : {}) });
  const input = tfl.input({ shape: [12, 12, 3] });
  let x = conv(8, 3).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.batchNormalization().apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.activation({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
  x = conv(8, 5, 2, 'elu').apply(x) as tfl.SymbolicTensor; // 6x6
  const a = conv(8, [7, 1], 1, 'tanh').apply(conv(8, [1, 7]).apply(x)) as tfl.SymbolicTensor;
  const b = tfl.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'swish',
    depthwiseInitializer: init(), pointwiseInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  const c = new DilatedConv2D({ filters: 8, kernelSize: 3, dilationRate: 2, seed: seed++ }).apply(x) as
    tfl.SymbolicTensor;
  const d = tfl.layers.separableConv2d({ filters: 8, kernelSize: 3, padding: 'same', dilationRate: 2,
    depthwiseInitializer: init(), pointwiseInitializer: init() }).apply(x) as tfl.SymbolicTensor;
  const e = tfl.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }).apply(x) as tfl.SymbolicTensor;
  // tfjs's cpu avgPool gradient is inexact at 'same' borders (kernels.test.ts checks ours against float64 there), so
  // the comparison with cpu pads explicitly and pools 'valid'.
  const f = tfl.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'valid' })
    .apply(tfl.layers.zeroPadding2d({ padding: 1 }).apply(x)) as tfl.SymbolicTensor;
  const g = conv(8, 7).apply(conv(8, 1).apply(x)) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
  let y = tfl.layers.concatenate().apply([sum, c, d, e, f, g]) as tfl.SymbolicTensor;
  y = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.averagePooling2d({ poolSize: 2, padding: 'valid' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.globalAveragePooling2d({}).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.dense({ units: 10, kernelInitializer: init() }).apply(y) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: y });
}

const rand = rng(7);
const X = randomArray(BATCH * 12 * 12 * 3, rand);
const LABELS = Array.from({ length: BATCH }, (_, i) => (i * 3) % 10);
let initialWeights: Float32Array[] | null = null;

/** Gradient of the mean softmax cross-entropy w.r.t. every trainable weight, on one backend. */
async function gradients(backend: 'cpu' | 'wasm'): Promise<{ loss: number; grads: Float32Array[] }> {
  assert.ok(await tf.setBackend(backend));
  const model = buildModel();
  if (!initialWeights) initialWeights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  else model.setWeights(initialWeights.map((w, i) => tf.tensor(w, model.getWeights()[i]!.shape)));
  const x = tf.tensor4d(X, [BATCH, 12, 12, 3]);
  const labels = tf.oneHot(tf.tensor1d(LABELS, 'int32'), 10);
  tf.tidy(() => model.predict(x)); // tfjs-layers caches a few constants on first use
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() =>
    tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
  const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
  const out = { loss: value.dataSync()[0]!, grads: names.map((n) => grads[n]!.dataSync() as Float32Array) };
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  tf.dispose([x, labels]);
  model.dispose();
  return out;
}

async function trainLosses(optimizer: () => tf.Optimizer, steps: number): Promise<number[]> {
  assert.ok(await tf.setBackend('wasm'));
  const model = buildModel();
  const opt = optimizer();
  const x = tf.tensor4d(X, [BATCH, 12, 12, 3]);
  const labels = tf.oneHot(tf.tensor1d(LABELS, 'int32'), 10);
  const before = tf.memory().numTensors;
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = opt.minimize(() =>
      tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
    if (i === 0) assert.ok(tf.memory().numTensors >= before); // optimizer slots appear on the first step
  }
  const afterSteps = tf.memory().numTensors;
  const loss = opt.minimize(() =>
    tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
  loss.dispose();
  assert.equal(tf.memory().numTensors, afterSteps, 'a training step leaked tensors');
  tf.dispose([x, labels]);
  opt.dispose();
  model.dispose();
  return losses;
}

describe('training steps on wasm', () => {
  it('gradients of every weight match the cpu backend', async () => {
    const cpu = await gradients('cpu');
    const wasm = await gradients('wasm');
    assert.ok(Math.abs(cpu.loss - wasm.loss) < 1e-4 * Math.max(1, Math.abs(cpu.loss)), `loss ${wasm.loss} vs ${cpu.loss}`);
    assert.equal(wasm.grads.length, cpu.grads.length);
    wasm.grads.forEach((g, i) => assertClose(g, cpu.grads[i]!, `gradient ${i}`, 1e-4));
  });

  it('SGD with momentum and Adam train (loss falls) without leaking', async () => {
    for (const make of [() => tf.train.momentum(0.05, 0.9), () => tf.train.adam(0.01)]) {
      const losses = await trainLosses(make, 6);
      assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
      assert.ok(losses[losses.length - 1]! < losses[0]!, `loss falls: ${losses}`);
    }
  });

  it('is deterministic for a seed: the same loss sequence twice', async () => {
    const a = await trainLosses(() => tf.train.adam(0.01), 4);
    const b = await trainLosses(() => tf.train.adam(0.01), 4);
    assert.deepEqual(a, b);
  });
});
