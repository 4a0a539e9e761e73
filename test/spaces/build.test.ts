import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildModel, representations } from '../../services/spaces/build.ts';
import { sampleGenome } from '../../services/spaces/decisions.ts';
import { createRng } from '../../services/spaces/rng.ts';
import { genomeFromJson } from '../../services/spaces/json.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';

before(async () => {
  assert.ok(await tf.setBackend('cpu'));
  await tf.ready();
});

// conv0: 16 x 3x3, bias, relu (28x28). conv1: 32 x 1x1, bn, elu, max pool -> 14x14, + skip from conv0 through a
// 1x1 stride-2 projection 16 -> 32. Head: gap -> dense 128 relu -> dense 10.
const SMALL_CONVNET = genomeFromJson({
  convnet: {
    layers: [
      { filters: 16, kernelSize: 3 },
      { filters: 32, kernelSize: 1, downsample: 'max_pool', skipFrom: 0, batchNorm: true, activation: 'elu' },
    ],
    head: 'global_avg_pool_hidden',
  },
});

// Normal cell: block 0 = sep3x3(h0) + identity(h1); blocks 1..4 = max_pool(prev block) + avg_pool(prev block).
// Reduction cell: block 0 = identity(h0) (stride 2: factorised reduction) + dil_conv(h1) (stride 2); rest the same.
// N = 1, F = 8, R = 1; stem stride 2: cells normal (C 8, 14x14), reduction (C 16, 7x7), normal (C 16, 7x7).
const chain = [1, 2, 3, 4].map((j) => ({ inputA: j + 1, inputB: j + 1, opA: 'max_pool_3x3', opB: 'avg_pool_3x3' }));
const SMALL_NASNET = genomeFromJson({
  nasnet: {
    normalCell: { blocks: [{ inputA: 0, inputB: 1, opA: 'sep_conv_3x3', opB: 'identity' }, ...chain] },
    reductionCell: { blocks: [{ inputA: 0, inputB: 1, opA: 'identity', opB: 'dil_conv_3x3' }, ...chain] },
    numNormalCells: 1,
    initialFilters: 8,
    numReductions: 1,
  },
});

// Independent float64 hand computations. conv(k, cin, cout, bias) params; flops = 2 * H * W * multiply-adds.
const convParams = (k: number, cin: number, cout: number, bias = false) => k * k * cin * cout + (bias ? cout : 0);
const convFlops = (hw: number, k: number, cin: number, cout: number) => 2 * hw * hw * k * k * cin * cout;
const bnParams = (c: number) => 2 * c; // gamma, beta (moving mean / variance are not trainable)

test('convnet: parameter count and FLOPs match a hand computation; representation layers', () => {
  const before = tf.memory().numTensors;
  const built = buildModel(SMALL_CONVNET, { seed: 1 });
  const params =
    convParams(3, 1, 16, true) + // conv0
    convParams(1, 16, 32) + bnParams(32) + // conv1 (no bias with bn)
    convParams(1, 16, 32) + // skip projection
    (32 * 128 + 128) + (128 * 10 + 10); // head
  assert.equal(params, 6762);
  assert.equal(built.parameterCount, params);
  const flops =
    convFlops(28, 3, 1, 16) + convFlops(28, 1, 16, 32) /* pooling comes after the conv */ + convFlops(14, 1, 16, 32) + 2 * 32 * 128 + 2 * 128 * 10;
  assert.equal(built.flops, flops);
  assert.deepEqual(built.representationLayers, ['conv0', 'conv1']);
  assert.deepEqual(built.model.getLayer('conv0').outputShape, [null, 28, 28, 16]);
  assert.deepEqual(built.model.getLayer('conv1').outputShape, [null, 14, 14, 32]);
  assert.equal(built.model.getLayer('conv1').getClassName(), 'Add');
  built.model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('nasnet: parameter count and FLOPs match a hand computation; representation layers', () => {
  const before = tf.memory().numTensors;
  const built = buildModel(SMALL_NASNET, { seed: 1 });
  const project = (cin: number, c: number) => convParams(1, cin, c) + bnParams(c); // relu-1x1-bn
  const fr = (cin: number, c: number) => convParams(1, cin, c / 2) * 2 + bnParams(c); // factorised reduction
  const sep3 = (c: number) => 9 * c + c * c + bnParams(c);
  const stem = convParams(3, 1, 8) + bnParams(8);
  const cell0 = project(8, 8) + project(8, 8) + sep3(8); // identity at stride 1 has no weights
  const cell1 = project(8, 16) + project(8, 16) + fr(16, 16) + convParams(3, 16, 16) + bnParams(16);
  const cell2 = fr(8, 16) /* h0 = cell0 is 14x14 */ + project(16, 16) + sep3(16);
  const head = 16 * 10 + 10;
  assert.equal(built.parameterCount, stem + cell0 + cell1 + cell2 + head);
  assert.equal(built.parameterCount, 4394);

  // the stem has stride 2: cells run at 14x14 (cell0) and 7x7 (cell1, cell2)
  const flops =
    convFlops(14, 3, 1, 8) +
    // cell0 at 14x14, C 8: two projections, separable 3x3 (depthwise + pointwise)
    2 * convFlops(14, 1, 8, 8) + 2 * 14 * 14 * 8 * 9 + convFlops(14, 1, 8, 8) +
    // cell1: projections at 14x14 to 16; factorised reduction: two 1x1 convs 16 -> 8 at 7x7; dilated 3x3 (9 taps)
    // with stride 2 -> 7x7
    2 * convFlops(14, 1, 8, 16) + 2 * convFlops(7, 1, 16, 8) + convFlops(7, 3, 16, 16) +
    // cell2 at 7x7, C 16: factorised reduction of cell0 (8 -> 2 x 8), projection, separable 3x3
    2 * convFlops(7, 1, 8, 8) + convFlops(7, 1, 16, 16) + 2 * 7 * 7 * 16 * 9 + convFlops(7, 1, 16, 16) +
    2 * 16 * 10;
  assert.equal(built.flops, flops);
  assert.deepEqual(built.representationLayers, ['cell0', 'cell1', 'cell2']);
  assert.deepEqual(built.model.getLayer('cell0').outputShape, [null, 14, 14, 8]);
  assert.deepEqual(built.model.getLayer('cell1').outputShape, [null, 7, 7, 16]);
  assert.deepEqual(built.model.getLayer('cell2').outputShape, [null, 7, 7, 16]);
  built.model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

function weightsOf(model: { getWeights(): tf.Tensor[] }): Float32Array[] {
  return model.getWeights().map((w) => w.dataSync() as Float32Array);
}

test('same seed gives identical weights, another seed different ones', () => {
  for (const genome of [SMALL_CONVNET, SMALL_NASNET]) {
    const a = buildModel(genome, { seed: 7 });
    const b = buildModel(genome, { seed: 7 });
    const c = buildModel(genome, { seed: 8 });
    const wa = weightsOf(a.model);
    assert.deepEqual(wa, weightsOf(b.model));
    const wc = weightsOf(c.model);
    // every randomly initialised kernel differs
    const kernels = a.model.weights.map((w, i) => [w.name, i] as const).filter(([n]) => /kernel/.test(n));
    assert.ok(kernels.length >= 3);
    for (const [name, i] of kernels) assert.notDeepEqual(wa[i], wc[i], name);
    for (const m of [a, b, c]) m.model.dispose();
  }
});

test('random genomes of both spaces build, run forward, and train two steps without leaks', () => {
  const rng = createRng(5);
  for (const space of ['convnet', 'nasnet'] as const) {
    for (let t = 0; t < 8; t++) {
      // every topology and op, at the narrowest widths: the pure-JS cpu backend is slow on wide layers
      const genome = sampleGenome(space, rng);
      if (genome.space?.$case === 'convnet') for (const l of genome.space.value.layers) l.filters = 16;
      if (genome.space?.$case === 'nasnet') Object.assign(genome.space.value, { initialFilters: 8, numNormalCells: 1 });
      const before = tf.memory().numTensors;
      // tiny inputs keep the cpu backend fast; 8x8 still leaves >= 1x1 after every downsampling
      const built = buildModel(genome, { inputShape: [8, 8, 1], numClasses: 3, seed: t });
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 1);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3));
      const p = built.model.predict(x) as tf.Tensor;
      assert.deepEqual(p.shape, [4, 3]);
      const sums = tf.tidy(() => tf.sum(p, 1).dataSync());
      for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-5);
      const optimizer = tf.train.sgd(0.01);
      const losses: number[] = [];
      for (let step = 0; step < 2; step++) {
        const loss = optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(y, tf.log(tf.add(built.model.apply(x, { training: true }) as tf.Tensor, 1e-7))),
          true,
        )!;
        losses.push(loss.dataSync()[0]!);
        loss.dispose();
      }
      assert.ok(losses.every(Number.isFinite), `${space} ${t}: ${losses}`);
      const acts = representations(built.model, built.representationLayers, x);
      assert.equal(acts.length, built.representationLayers.length);
      acts.forEach((a, i) => assert.deepEqual(a.shape.slice(1), built.model.getLayer(built.representationLayers[i]!).outputShape.slice(1)));
      tf.dispose([p, x, y, ...acts]);
      optimizer.dispose();
      built.model.dispose();
      assert.equal(tf.memory().numTensors, before, `${space} ${t} leaked`);
    }
  }
});

test('buildModel rejects an invalid genome naming the gene', () => {
  assert.throws(() => buildModel({}), InvalidArgumentError);
  assert.throws(() => buildModel({ space: { $case: 'convnet', value: { layers: [], head: 0 } } }), /genome.convnet.layers/);
});

/** Independent reference for gradients: TensorFlow's atrous conv through space-to-batch (stride 1, rate 2, 3x3). */
function atrousReference(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [, h, wd] = x.shape;
  const eh = (h + 4) % 2;
  const ew = (wd + 4) % 2;
  const padded = tf.pad(x, [[0, 0], [2, 2 + eh], [2, 2 + ew], [0, 0]]);
  const blocks = tf.spaceToBatchND(padded, [2, 2], [[0, 0], [0, 0]]) as tf.Tensor4D;
  const y = tf.batchToSpaceND(tf.conv2d(blocks, w, 1, 'valid'), [2, 2], [[0, 0], [0, 0]]) as tf.Tensor4D;
  return tf.slice(y, [0, 0, 0, 0], [-1, h, wd, -1]);
}

function assertClose(got: tf.Tensor, want: tf.Tensor, what: string, tol = 1e-4) {
  assert.deepEqual(got.shape, want.shape, what);
  const g = got.dataSync();
  const w = want.dataSync();
  g.forEach((v, i) => assert.ok(Math.abs(v - w[i]!) < tol * (1 + Math.abs(w[i]!)), `${what} [${i}]: ${v} vs ${w[i]}`));
}

test('the dilated conv equals conv2d with dilation 2 (also strided) and has the right gradients', async () => {
  const { dilatedConv2d } = await import('../../services/spaces/dilated-conv.ts');
  const before = tf.memory().numTensors;
  for (const size of [7, 8, 5]) {
    tf.tidy(() => {
      const x = tf.randomNormal([2, size, size + 1, 3], 0, 1, 'float32', size) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 99) as tf.Tensor4D;
      const full = tf.conv2d(x, w, 1, 'same', 'NHWC', 2);
      assertClose(dilatedConv2d(x, w, 2), full, `forward ${size}`);
      // stride 2, 'same' (TF padding: the first window starts pad_top = floor(max(2(out-1) + 5 - n, 0) / 2) before
      // the edge) = the stride-1 result at rows / columns 2i + 2 - pad_top
      const offset = (n: number) => 2 - Math.floor(Math.max(2 * (Math.ceil(n / 2) - 1) + 5 - n, 0) / 2);
      const rows = Array.from({ length: Math.ceil(size / 2) }, (_, i) => 2 * i + offset(size));
      const cols = Array.from({ length: Math.ceil((size + 1) / 2) }, (_, i) => 2 * i + offset(size + 1));
      const strided = tf.gather(tf.gather(full, tf.tensor1d(rows, 'int32'), 1), tf.tensor1d(cols, 'int32'), 2);
      assertClose(dilatedConv2d(x, w, 2, 2), strided, `stride 2, ${size}`);
      // gradients against space-to-batch
      const r = tf.randomNormal([2, size, size + 1, 4], 0, 1, 'float32', 7);
      const [gx, gw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(dilatedConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2), r)))([x, w]);
      const [ex, ew] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(atrousReference(xx as tf.Tensor4D, ww as tf.Tensor4D), r)))([x, w]);
      assertClose(gx!, ex!, `dx ${size}`, 1e-3);
      assertClose(gw!, ew!, `dw ${size}`, 1e-3);
    });
  }
  assert.equal(tf.memory().numTensors, before);
});

test('nasnet: a cell that ignores its previous cell still leaves every cell connected', () => {
  const before = tf.memory().numTensors;
  const onlyH0 = [0, 1, 2, 3, 4].map(() => ({ inputA: 0, inputB: 0, opA: 'avg_pool_3x3', opB: 'identity' }));
  const genome = genomeFromJson({
    nasnet: { normalCell: { blocks: onlyH0 }, reductionCell: { blocks: onlyH0 }, numNormalCells: 1, initialFilters: 8, numReductions: 1 },
  });
  const built = buildModel(genome, { inputShape: [8, 8, 1], seed: 2 });
  assert.deepEqual(built.representationLayers, ['cell0', 'cell1', 'cell2']);
  // each cell's output is the concat of its 5 blocks and its unused input 1
  for (const name of built.representationLayers) assert.equal(built.model.getLayer(name).getClassName(), 'Concatenate');
  assert.deepEqual(built.model.getLayer('cell2').outputShape, [null, 2, 2, 6 * 16]);
  built.model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('describeGenome summarises a genome and frees its model', async () => {
  const { describeGenome } = await import('../../services/spaces/describe.ts');
  const { SearchSpace } = await import('../../gen/tgsage/v1/genome.ts');
  const before = tf.memory().numTensors;
  const s = describeGenome(SMALL_CONVNET);
  assert.equal(s.space, SearchSpace.SEARCH_SPACE_CONVNET);
  assert.equal(s.parameterCount, 6762);
  assert.deepEqual(s.representationLayers, ['conv0', 'conv1']);
  assert.deepEqual(genomeFromJson(s.genomeJson), SMALL_CONVNET);
  const n = describeGenome(SMALL_NASNET, { inputShape: [28, 28, 1], numClasses: 10 });
  assert.equal(n.space, SearchSpace.SEARCH_SPACE_NASNET);
  assert.equal(n.parameterCount, 4394);
  assert.equal(tf.memory().numTensors, before);
});
