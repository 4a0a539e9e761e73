import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createBatchSampler, splitTensors } from '../../services/data/batches.ts';
import type { Split } from '../../services/data/dataset.ts';

before(async () => {
  assert.ok(await tf.setBackend('cpu'));
});

/** 10 images of 2x2x1; image i's pixels are i + k / 10, label i % 3. */
function split(count = 10): Split {
  const images = new Float32Array(count * 4);
  for (let i = 0; i < count; i++) for (let k = 0; k < 4; k++) images[i * 4 + k] = i + k / 10;
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  return { images, labels, count, from: { pool: 'train', indices: Int32Array.from({ length: count }, (_, i) => i) } };
}

test('batches: seeded shuffled epochs cover every row once, rows and labels match, no leaks', () => {
  const s = split(10);
  const start = tf.memory().numTensors;
  const a = createBatchSampler(s, { batchSize: 3, seed: 1, imageShape: [2, 2, 1] });
  const b = createBatchSampler(s, { batchSize: 3, seed: 1, imageShape: [2, 2, 1] });
  const c = createBatchSampler(s, { batchSize: 3, seed: 2, imageShape: [2, 2, 1] });
  const seenA: number[] = [];
  const seenC: number[] = [];
  const held: tf.Tensor[] = [];
  for (let step = 0; step < 3; step++) {
    // one epoch = floor(10 / 3) = 3 batches of distinct rows
    const batch = a.next();
    const other = b.next();
    assert.deepEqual(batch.images.shape, [3, 2, 2, 1]);
    assert.deepEqual(batch.images.arraySync(), other.images.arraySync());
    const pixels = batch.images.dataSync();
    const labels = batch.labels.dataSync();
    assert.equal(batch.labels.dtype, 'int32');
    for (let r = 0; r < 3; r++) {
      const row = Math.round(pixels[r * 4]!);
      for (let k = 0; k < 4; k++) assert.ok(Math.abs(pixels[r * 4 + k]! - (row + k / 10)) < 1e-6);
      assert.equal(labels[r], row % 3);
      seenA.push(row);
    }
    held.push(batch.images, batch.labels); // earlier batches must stay intact while later ones are made
    tf.dispose([other.images, other.labels]);
    seenC.push(...c.nextIndices());
  }
  assert.equal(new Set(seenA).size, 9);
  assert.equal(new Set(seenC).size, 9);
  assert.notDeepEqual(seenA, seenC);
  assert.equal(Math.round((held[0]!.dataSync())[0]!), seenA[0]);
  // the next batch starts a new epoch
  assert.equal(a.epoch, 0);
  const extra = a.next();
  assert.equal(a.epoch, 1);
  tf.dispose([extra.images, extra.labels, ...held]);
  assert.equal(tf.memory().numTensors, start);
});

test('batches: one-hot labels and whole-split tensors', () => {
  const s = split(4);
  const start = tf.memory().numTensors;
  const sampler = createBatchSampler(s, { batchSize: 4, seed: 0, imageShape: [2, 2, 1], labels: 'onehot', numClasses: 3 });
  const { images, labels } = sampler.next();
  assert.deepEqual(labels.shape, [4, 3]);
  const rows = images.dataSync();
  const onehot = labels.arraySync() as number[][];
  for (let r = 0; r < 4; r++) assert.equal(onehot[r]![Math.round(rows[r * 4]!) % 3], 1);
  const all = splitTensors(s, [2, 2, 1]);
  assert.deepEqual(all.images.shape, [4, 2, 2, 1]);
  tf.dispose([images, labels, all.images, all.labels]);
  assert.equal(tf.memory().numTensors, start);
});
