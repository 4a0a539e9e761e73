import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createDatasetLoader, loadDataset, resolveDatasetSpec, splitSource, type Dataset, type Split } from '../../services/data/dataset.ts';
import { FASHION_MNIST_DIR, loadMnistPackage, type RawPool, type RawSource } from '../../services/data/sources.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../../services/common/errors.ts';

/** A pool of `count` 2x2 images whose pixels encode their index (so rows can be traced) and labels i % k. */
function syntheticPool(count: number, k: number, offset = 0): RawPool {
  const images = new Uint8Array(count * 4);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    images.set([(i + offset) & 255, (i + offset) >> 8, 7, 255], i * 4);
    labels[i] = (i * 7 + (i >> 3)) % k; // classes interleaved irregularly
  }
  return { images, labels, count, height: 2, width: 2 };
}

function checkStimuli(d: Dataset, n: number) {
  const k = d.numClasses;
  assert.equal(d.stimuli.count, n);
  // ordered by class, class-balanced (sizes differ by at most one, the extra ones in the first classes)
  const labels = [...d.stimuli.labels];
  assert.deepEqual(labels, [...labels].sort((a, b) => a - b));
  for (let c = 0; c < k; c++) {
    assert.equal(labels.filter((l) => l === c).length, Math.floor(n / k) + (c < n % k ? 1 : 0), `class ${c}`);
  }
}

function indexSet(s: Split): Set<string> {
  return new Set([...s.from.indices].map((i) => `${s.from.pool}:${i}`));
}

function assertDisjoint(d: Dataset) {
  const tr = indexSet(d.train);
  const va = indexSet(d.validation);
  const st = indexSet(d.stimuli);
  for (const x of va) assert.ok(!tr.has(x), `validation ${x} in train`);
  for (const x of st) assert.ok(!tr.has(x) && !va.has(x), `stimulus ${x} in train or validation`);
  assert.equal(tr.size, d.train.count);
  assert.equal(va.size, d.validation.count);
  assert.equal(st.size, d.stimuli.count);
}

test('spec defaults and validation', () => {
  assert.deepEqual(resolveDatasetSpec({}), { name: 'mnist', directory: '', numStimuli: 1000, numValidation: 1000, splitSeed: 0 });
  assert.deepEqual(resolveDatasetSpec({ name: 'fashion-mnist' }), {
    name: 'fashion-mnist',
    directory: FASHION_MNIST_DIR,
    numStimuli: 1000,
    numValidation: 2000,
    splitSeed: 0,
  });
  assert.throws(() => resolveDatasetSpec({ name: 'cifar' }), /dataset.name: must be one of mnist, fashion-mnist, idx/);
  assert.throws(() => resolveDatasetSpec({ name: 'idx' }), /dataset.directory: dataset idx needs/);
  assert.throws(() => resolveDatasetSpec({ numStimuli: 2 }), /dataset.num_stimuli: must be 3 to 10000/);
});

test('single-pool split: balanced, class-ordered stimuli disjoint from train and validation; normalised once', () => {
  const source: RawSource = { description: 'synthetic', train: syntheticPool(600, 10) };
  const spec = resolveDatasetSpec({ numStimuli: 103, numValidation: 50, splitSeed: 4 });
  const d = splitSource(source, spec);
  checkStimuli(d, 103);
  assertDisjoint(d);
  assert.equal(d.train.count + d.validation.count + d.stimuli.count, 600);
  assert.equal(d.validation.count, 50);
  // each row is the source image / 255 and keeps its label
  for (const s of [d.train, d.validation, d.stimuli]) {
    s.from.indices.forEach((src, row) => {
      assert.equal(s.labels[row], source.train.labels[src]);
      for (let k = 0; k < 4; k++) assert.equal(s.images[row * 4 + k], Math.fround(source.train.images[src * 4 + k]! / 255));
    });
  }
  // identical across calls; the stimuli do not depend on num_validation; another seed gives another split
  assert.deepEqual(splitSource(source, spec), d);
  assert.deepEqual(splitSource(source, { ...spec, numValidation: 70 }).stimuli, d.stimuli);
  assert.notDeepEqual(splitSource(source, { ...spec, splitSeed: 5 }).stimuli.from.indices, d.stimuli.from.indices);
  assert.throws(() => splitSource(source, { ...spec, numValidation: 497 }), /dataset.num_validation: 497 leaves no training images/);
  assert.throws(() => splitSource(source, { ...spec, numStimuli: 700 }), /dataset.num_stimuli: 700 stimuli need 70 held-out images of class 0, but there are \d+/);
});

test('two-pool split: stimuli from the test pool, validation from train', () => {
  const source: RawSource = { description: 'synthetic', train: syntheticPool(300, 3), test: syntheticPool(90, 3, 1000) };
  const d = splitSource(source, resolveDatasetSpec({ name: 'idx', directory: '/x', numStimuli: 30, numValidation: 40 }));
  checkStimuli(d, 30);
  assertDisjoint(d);
  assert.equal(d.stimuli.from.pool, 'test');
  assert.equal(d.train.count, 260);
  assert.equal(d.numClasses, 3);
});

test('the loader caches, shares concurrent loads, and forgets failures', async () => {
  let loads = 0;
  const loader = createDatasetLoader(async () => {
    loads++;
    if (loads === 1) throw new FailedPreconditionError('not yet');
    return { description: 's', train: syntheticPool(200, 2) };
  });
  await assert.rejects(loader.load({ numStimuli: 10, numValidation: 10 }), /not yet/);
  const [a, b] = await Promise.all([loader.load({ numStimuli: 10, numValidation: 10 }), loader.load({ numStimuli: 10, numValidation: 10 })]);
  assert.equal(a, b);
  const c = await loader.load({ numStimuli: 10, numValidation: 20 });
  assert.notEqual(c, a);
  assert.equal(loads, 2); // one source load for both specs
});

test('mnist package: 10,000 digits decoded exactly, default split', async () => {
  const source = await loadMnistPackage();
  assert.equal(source.train.count, 10000);
  // independent reference: JSON.parse of one digit file
  const require = createRequire(import.meta.url);
  const path = require.resolve('mnist/src/digits/3.json');
  const ref = JSON.parse(readFileSync(path, 'utf8')).data as number[];
  const start = [...source.train.labels].indexOf(3);
  assert.equal([...source.train.labels].filter((l) => l === 3).length, ref.length / 784);
  for (let k = 0; k < 784 * 20; k++) assert.equal(source.train.images[start * 784 + k], Math.round(ref[k]! * 255));
  const d = await loadDataset({});
  assert.equal(d.train.count, 8000);
  assert.equal(d.validation.count, 1000);
  checkStimuli(d, 1000);
  assertDisjoint(d);
  assert.equal(d.height, 28);
  assert.equal(d.train.images.length, 8000 * 784);
  assert.ok(d.train.images.every((v) => v >= 0 && v <= 1));
});

test('fashion-mnist loads when installed', { skip: existsSync(FASHION_MNIST_DIR) ? false : `${FASHION_MNIST_DIR} not found (apt-get install dataset-fashion-mnist)` }, async () => {
  const d = await loadDataset({ name: 'fashion-mnist' });
  assert.equal(d.train.count, 58000);
  assert.equal(d.validation.count, 2000);
  assert.equal(d.numClasses, 10);
  checkStimuli(d, 1000);
  assertDisjoint(d);
  assert.equal(d.stimuli.from.pool, 'test');
});

test('missing datasets say how to get them', async () => {
  await assert.rejects(loadDataset({ name: 'fashion-mnist', directory: '/nonexistent/fmnist' }), (e: unknown) => {
    assert.ok(e instanceof FailedPreconditionError);
    assert.match(e.message, /apt-get install dataset-fashion-mnist/);
    assert.match(e.message, /--data-dir/);
    return true;
  });
  await assert.rejects(loadDataset({ name: 'idx', directory: '/nonexistent/idx' }), /train-images-idx3-ubyte\[.gz\].*--data-dir/);
  await assert.rejects(loadDataset({ name: 'nope' }), InvalidArgumentError);
});
