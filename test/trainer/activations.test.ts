import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { groupByBytes, layerActivations, nextBatchSize, type LayerActivations } from '../../services/trainer/activations.ts';
import { previewIndices, previewRows, smallRdm } from '../../services/trainer/previews.ts';
import { encodeLayerChunks } from '../../services/common/chunks.ts';
import { loadLayersModel, saveLayersModel } from '../../services/teachers/model-files.ts';
import { teacherLayerNames, METADATA_KEY } from '../../services/teachers/layers.ts';
import { buildResNetTeacher } from '../../services/teachers/resnet.ts';
import { imageSet, tinyCnn, useCpu } from './fixtures.ts';

async function collect(it: AsyncIterable<LayerActivations>): Promise<LayerActivations[]> {
  const out: LayerActivations[] = [];
  for await (const l of it) out.push(l);
  return out;
}

/** Float64 reference: 1 - Pearson correlation between rows i and j. */
function corrDist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = a.length;
  let ma = 0;
  let mb = 0;
  for (let k = 0; k < d; k++) {
    ma += a[k]!;
    mb += b[k]!;
  }
  ma /= d;
  mb /= d;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let k = 0; k < d; k++) {
    sab += (a[k]! - ma) * (b[k]! - mb);
    saa += (a[k]! - ma) ** 2;
    sbb += (b[k]! - mb) ** 2;
  }
  return 1 - sab / Math.sqrt(saa * sbb);
}

test('layer activations: batched multi-output passes equal per-layer predictions, in groups, no leaks', async () => {
  await useCpu();
  const stimuli = imageSet(7); // 70 images
  const { model, representationLayers } = tinyCnn(3);
  const before = tf.memory().numTensors;
  // conv1 is 14*14*8 floats = 6272 B per image, conv2 7*7*16 = 3136 B: a 500 kB budget splits them.
  const layers = await collect(layerActivations(model, representationLayers, stimuli.images, { batchSize: 32, maxGroupBytes: 500_000 }));
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(layers.map((l) => l.name), ['conv1', 'conv2']);
  assert.deepEqual(layers[0]!.shape, [70, 14, 14, 8]);
  for (const layer of layers) {
    const single = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layer.name).output as tfl.SymbolicTensor });
    const expected = tf.tidy(() => (single.predict(stimuli.images) as tf.Tensor).dataSync());
    assert.equal(layer.data.length, expected.length);
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) maxDiff = Math.max(maxDiff, Math.abs(expected[i]! - layer.data[i]!));
    assert.ok(maxDiff < 1e-5, `${layer.name}: max diff ${maxDiff}`);
  }
  assert.deepEqual(groupByBytes([3, 3, 5, 1], (x) => x, 6), [[3, 3], [5, 1]]);
  model.dispose();
  tf.dispose([stimuli.images, stimuli.labels]);
});

test('layer chunks: at most 1 MiB each, shape on the first only, bytes concatenate to the layer', () => {
  const data = new Float32Array(700_000).map((_, i) => i * 0.5);
  const chunks = [...encodeLayerChunks('conv1', [1000, 700], data)];
  assert.equal(chunks.length, 3);
  assert.deepEqual(chunks[0]!.shape, [1000, 700]);
  assert.deepEqual(chunks[1]!.shape, []);
  for (const c of chunks) assert.ok(c.data.byteLength <= 1 << 20 && c.data.byteLength % 4 === 0);
  const joined = Buffer.concat(chunks.map((c) => c.data));
  assert.deepEqual(new Float32Array(joined.buffer, joined.byteOffset, joined.byteLength / 4), data);
});

test('RDM previews: rows k*N/64, entries equal the full RDM at those rows (float64 reference)', () => {
  const n = 200;
  const d = 37;
  const data = new Float32Array(n * d).map((_, i) => Math.sin(i * 0.37) + ((i * 7919) % 13) / 13);
  const idx = previewIndices(n);
  assert.equal(idx.length, 64);
  assert.deepEqual(idx.slice(0, 4), [0, 3, 6, 9]);
  assert.equal(idx[63], Math.floor((63 * 200) / 64));
  const { rows, m } = previewRows(data, n);
  const rdm = smallRdm(rows, m, 'correlation');
  let maxDiff = 0;
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < m; b++) {
      const ra = data.subarray(idx[a]! * d, (idx[a]! + 1) * d);
      const rb = data.subarray(idx[b]! * d, (idx[b]! + 1) * d);
      const ref = a === b ? 0 : corrDist(ra, rb);
      maxDiff = Math.max(maxDiff, Math.abs(ref - rdm[a * m + b]!));
    }
  }
  assert.ok(maxDiff < 1e-5, `max diff ${maxDiff}`);
});

test('saved teacher model round-trips (model.json + weights.bin) with its representation layers', async () => {
  await useCpu();
  const dir = await mkdtemp(join(tmpdir(), 'tgsage-model-'));
  try {
    const net = buildResNetTeacher({ inputShape: [28, 28, 1], numClasses: 10, widths: [4, 8, 8], seed: 1 });
    net.model.setUserDefinedMetadata({ [METADATA_KEY]: { representationLayers: net.representationLayers } });
    const { modelPath } = await saveLayersModel(net.model, dir);
    const loaded = await loadLayersModel(modelPath);
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 5);
    const a = tf.tidy(() => (net.model.predict(x) as tf.Tensor).dataSync());
    const b = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync());
    assert.deepEqual(b, a);
    assert.deepEqual(teacherLayerNames(loaded), net.representationLayers);
    assert.deepEqual(teacherLayerNames(loaded, ['stem', 'pool']), ['stem', 'pool']);
    assert.throws(() => teacherLayerNames(loaded, ['nope']), /layers\[0\]: model has no layer nope/);
    const plain = tinyCnn(1).model;
    assert.deepEqual(teacherLayerNames(plain), ['conv1', 'conv2']); // softmax output left out
    await assert.rejects(loadLayersModel(join(dir, 'missing.json')), /does not exist/);
    tf.dispose(x);
    net.model.dispose();
    loaded.dispose();
    plain.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('layer activations let I/O through between batches (a teacher forward pass must not starve health checks)', async () => {
  await useCpu();
  const stimuli = imageSet(7); // 70 images: 10 batches of 7
  const { model, representationLayers } = tinyCnn(3);
  let batches = 0;
  const batchesWhenTimerRan: number[] = [];
  // a macrotask scheduled now, as an incoming health check would be: it must run before the last batch, not after
  const timer = new Promise<void>((resolve) => setTimeout(() => {
    batchesWhenTimerRan.push(batches);
    resolve();
  }, 0));
  await collect(layerActivations(model, representationLayers, stimuli.images, { batchSize: 7, onBatch: () => void batches++ }));
  await timer;
  assert.ok(batches >= 10, `batches ${batches}`);
  assert.ok(batchesWhenTimerRan[0]! < batches, `the timer ran only after every batch (${batchesWhenTimerRan[0]} of ${batches})`);
});

test('timed batches (maxBatchMs): every stimulus once, the same activations as fixed batches, batches within bounds', async () => {
  await useCpu();
  const stimuli = imageSet(9); // 90 images
  const { model, representationLayers } = tinyCnn(5);
  const fixed = await collect(layerActivations(model, representationLayers, stimuli.images, { batchSize: 32 }));
  for (const maxBatchMs of [1e-6, 1e6]) {
    const sizes: number[] = [];
    let done = 0;
    const timed = await collect(layerActivations(model, representationLayers, stimuli.images, {
      batchSize: 32,
      maxBatchMs,
      onBatch: (d, total, group) => {
        if (group === 0) sizes.push(d - done);
        done = d === total ? 0 : d;
      },
    }));
    assert.equal(sizes.reduce((s, v) => s + v, 0), 90, `${maxBatchMs}: every stimulus once (${sizes})`);
    assert.ok(sizes.every((s) => s >= 1 && s <= 32));
    if (maxBatchMs < 1) assert.deepEqual(sizes, [4, ...new Array(86).fill(1)], 'a tiny budget: one image at a time after the first');
    else assert.deepEqual(sizes, [4, 32, 32, 22], 'an ample budget: full batches after the first');
    for (const [i, l] of timed.entries()) {
      const f = fixed[i]!.data;
      let worst = 0;
      for (let k = 0; k < f.length; k++) worst = Math.max(worst, Math.abs(l.data[k]! - f[k]!));
      assert.ok(worst < 1e-5, `${l.name}: differs by ${worst} from fixed batches`);
    }
  }
  model.dispose();
  stimuli.images.dispose();
  stimuli.labels.dispose();
});

test('nextBatchSize: the size that fits the time budget, from 1 to the maximum', () => {
  assert.equal(nextBatchSize(100, 2, 250), 100);
  assert.equal(nextBatchSize(100, 10, 250), 25);
  assert.equal(nextBatchSize(100, 1000, 250), 1);
  assert.equal(nextBatchSize(100, 0, 250), 100, 'too fast to measure');
});
