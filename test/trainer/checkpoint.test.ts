// Checkpoints in domain terms: the batch order's fast-forward, the byte format (round trip, corruption, limits),
// the match check, and the point of it all: a run continued from a checkpoint equals the uninterrupted run, bit for
// bit, on the same backend (cpu here), for SGD with momentum and for Adam, with batch norm, across epoch boundaries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError } from '../../services/common/errors.ts';
import { resolveDatasetSpec } from '../../services/data/dataset.ts';
import { buildModel } from '../../services/spaces/build.ts';
import { batchOrder } from '../../services/trainer/batch-order.ts';
import { checkCheckpointMatches, checkpointPlan, type CheckpointContext } from '../../services/trainer/checkpoint.ts';
import {
  checkpointChunks,
  collectCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  verifyCheckpoint,
} from '../../services/trainer/checkpoint-format.ts';
import { learningRateAt, scheduleSpan } from '../../services/trainer/schedule.ts';
import { trainCandidate } from '../../services/trainer/train.ts';
import { DEFAULT_TRAINING, type TrainingConfig, type TrainingData } from '../../services/trainer/types.ts';
import { disposeData, smallMnist, useCpu } from './fixtures.ts';

/** Digits pooled to 7x7 (4x4 average): real images, and convolutions ~16x cheaper than at 28x28. */
function smallDigits(trainPerClass: number, valPerClass: number): TrainingData {
  const full = smallMnist(trainPerClass, valPerClass);
  const pool = (s: TrainingData['train']) => ({ ...s, images: tf.avgPool(s.images, 4, 4, 'valid') as tf.Tensor4D });
  const data = { train: pool(full.train), validation: pool(full.validation), numClasses: 10 };
  tf.dispose([full.train.images, full.validation.images]);
  return data;
}
const INPUT: [number, number, number] = [7, 7, 1];

const genome: Genome = {
  space: {
    $case: 'convnet',
    value: {
      layers: [
        { filters: 16, kernelSize: 3, downsample: 1, batchNorm: true, activation: 0 },
        { filters: 16, kernelSize: 3, downsample: 1, batchNorm: false, activation: 1 },
      ],
      head: 0,
    },
  },
};
const dataset = resolveDatasetSpec({ name: 'mnist', numStimuli: 100 });

const training = (over: Partial<TrainingConfig> = {}): TrainingConfig => ({
  ...DEFAULT_TRAINING,
  steps: 30,
  batchSize: 16,
  readLossEvery: 5,
  evalBatchSize: 100,
  seed: 3,
  ...over,
});

test('batch order: skipping n batches continues exactly where drawing n batches left off', () => {
  for (const [count, size, drawn] of [[10, 3, 0], [10, 3, 1], [10, 3, 3], [10, 3, 4], [10, 5, 2], [7, 7, 5], [100, 16, 37], [5, 8, 3]]) {
    const full = batchOrder(count!, size!, 'seed', 0);
    for (let i = 0; i < drawn!; i++) full();
    const skipped = batchOrder(count!, size!, 'seed', drawn);
    for (let i = 0; i < 12; i++) assert.deepEqual([...skipped()], [...full()], `count ${count} size ${size} drawn ${drawn} batch ${i}`);
  }
  assert.throws(() => batchOrder(10, 3, 1, -1), RangeError);
});

test('schedule span: a run under a longer span is the prefix of the longer run', () => {
  assert.equal(scheduleSpan({ steps: 10 }), 10);
  assert.equal(scheduleSpan({ steps: 10, scheduleSteps: 90 }), 90);
  for (let s = 0; s < 10; s++) {
    assert.equal(learningRateAt('cosine', 0.1, s, scheduleSpan({ steps: 10, scheduleSteps: 90 })), learningRateAt('cosine', 0.1, s, 90));
  }
});

const header = () => ({
  genome: { convnet: {} },
  training: { batchSize: 16, optimizer: 'sgd_momentum' as const, learningRate: 0.05, momentum: 0.9, schedule: 'cosine', scheduleSteps: 30, seed: 3, clipNorm: 5 },
  dataset: { ...dataset },
  step: 7,
  backend: 'cpu',
  optimizerScalars: { iterations: 7 },
  tensors: [{ name: 'weights/0', shape: [2, 3] }, { name: 'weights/1', shape: [] }],
  weightNames: ['a/kernel', 'a/bias'],
  createdAt: '2026-12-01T00:00:00.000Z',
});

test('format: round trip keeps every float32 bit (NaN payloads aside, extremes included)', () => {
  const a = new Float32Array([0, -0, 1.5, -3.4028234663852886e38, 1.401298464324817e-45, 1 / 3]);
  const b = new Float32Array([Math.PI]);
  const bytes = encodeCheckpoint(header(), [a, b]);
  const back = decodeCheckpoint(bytes);
  assert.deepEqual(back.header, header());
  assert.deepEqual([...back.tensors[0]!].map((x) => Object.is(x, -0) ? '-0' : x), [...a].map((x) => Object.is(x, -0) ? '-0' : x));
  assert.equal(back.tensors[1]![0], Math.fround(Math.PI));
  assert.equal(back.bytes, bytes.byteLength);
  assert.equal(verifyCheckpoint(bytes).step, 7);
});

test('format: corruption, truncation, another format or version answer INVALID_ARGUMENT on "checkpoint"', () => {
  const bytes = encodeCheckpoint(header(), [new Float32Array(6), new Float32Array(1)]);
  const flipped = Uint8Array.from(bytes);
  flipped[bytes.byteLength - 40]! ^= 1;
  const cases: Array<[Uint8Array, RegExp]> = [
    [flipped, /SHA-256 mismatch/],
    [bytes.subarray(0, bytes.byteLength - 1), /SHA-256 mismatch/],
    [bytes.subarray(0, 20), /truncated/],
    [Buffer.concat([Buffer.from('NOTACKPT'), bytes.subarray(8)]), /bad magic/],
  ];
  const v2 = Buffer.from(bytes);
  v2.writeUInt32LE(2, 8);
  cases.push([v2, /version 2 is not supported/]);
  for (const [b, re] of cases) {
    for (const f of [decodeCheckpoint, verifyCheckpoint]) {
      assert.throws(() => f(b), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'checkpoint' && re.test(e.message));
    }
  }
});

test('collect: chunks over the limit are refused before they are buffered (RESOURCE_EXHAUSTED naming the limit)', async () => {
  async function* chunks(n: number, size: number) {
    for (let i = 0; i < n; i++) yield { data: new Uint8Array(size) };
  }
  assert.equal((await collectCheckpoint(chunks(3, 100), 300)).byteLength, 300);
  await assert.rejects(collectCheckpoint(chunks(4, 100), 300), (e: unknown) => e instanceof ResourceExhaustedError && /0\.000 MiB|limit of/.test(e.message));
  await assert.rejects(collectCheckpoint(chunks(1, 2 << 20), 64 << 20), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'chunk[0].data');
  await assert.rejects(collectCheckpoint(chunks(0, 1), 300), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'chunk');
});

test('chunks: a multi-MiB checkpoint travels in pieces of at most 1 MiB and reassembles to the same bytes', async () => {
  const n = 800_000; // 3.05 MiB of float32
  const big = new Float32Array(n).map((_, i) => Math.fround(Math.sin(i)));
  const bytes = encodeCheckpoint({ ...header(), tensors: [{ name: 'weights/0', shape: [n] }], weightNames: ['a'] }, [big]);
  const pieces = [...checkpointChunks(bytes)];
  assert.deepEqual(pieces.map((p) => p.byteLength <= 1 << 20), [true, true, true, true]);
  assert.equal(pieces.length, 4);
  const back = await collectCheckpoint((async function* () {
    for (const data of pieces) yield { data };
  })(), 64 << 20);
  assert.ok(Buffer.from(back).equals(Buffer.from(bytes)));
  assert.deepEqual(decodeCheckpoint(back).tensors[0], big);
});

/** Trains `config` from scratch or from `from`; returns the final weights, P, and the checkpoint if asked. */
async function run(
  data: TrainingData,
  config: TrainingConfig,
  options: { capture?: boolean; from?: Uint8Array } = {},
): Promise<{ weights: Float32Array[]; p: number; checkpoint?: Uint8Array; steps: number; losses: readonly number[] }> {
  const built = buildModel(genome, { seed: 11, inputShape: INPUT });
  const context: CheckpointContext = { genome, training: config, dataset, backend: 'cpu' };
  try {
    const resume = options.from ? decodeCheckpoint(options.from) : undefined;
    if (resume) checkCheckpointMatches(resume.header, context);
    const plan = checkpointPlan(built.model, { checkpoint: options.capture ? { mode: 'required', maxBytes: 0 } : undefined, resume }, context, 64 << 20);
    const outcome = await trainCandidate({ model: built.model, data, config, resume: plan.resume, onTrained: plan.onTrained });
    const weights = await Promise.all(built.model.weights.map(async (w) => (await w.read().data()) as Float32Array));
    return { weights, p: outcome.validationAccuracy, checkpoint: plan.bytes(), steps: outcome.steps, losses: outcome.lossHistory };
  } finally {
    built.model.dispose();
  }
}

for (const optimizer of ['sgd_momentum', 'adam'] as const) {
  test(`exact continuation (${optimizer}): 7 steps + checkpoint + 13 steps == 20 uninterrupted steps, bit for bit`, async () => {
    await useCpu();
    const data = smallDigits(15, 10); // 150 training images: 9 batches of 16 per epoch, so the run crosses two epochs
    const before = tf.memory().numTensors;
    const lr = optimizer === 'adam' ? 0.003 : 0.05;
    const full = await run(data, training({ optimizer, learningRate: lr, steps: 20 }));
    const first = await run(data, training({ optimizer, learningRate: lr, steps: 7, scheduleSteps: 20 }), { capture: true });
    assert.ok(first.checkpoint && first.checkpoint.byteLength > 0);
    const cont = await run(data, training({ optimizer, learningRate: lr, steps: 20 }), { from: first.checkpoint });
    assert.equal(cont.steps, 20);
    assert.equal(full.weights.length, cont.weights.length);
    for (const [i, w] of full.weights.entries()) {
      assert.deepEqual(Buffer.from(cont.weights[i]!.buffer, cont.weights[i]!.byteOffset, w.byteLength), Buffer.from(w.buffer, w.byteOffset, w.byteLength), `weight ${i} identical`);
    }
    assert.equal(cont.p, full.p, 'same P');
    // and the comparison can fail: a continuation that forgets the optimizer state is not the same run
    const header = decodeCheckpoint(first.checkpoint).header;
    const noMoments = encodeCheckpoint({ ...header, tensors: header.tensors.filter((t) => t.name.startsWith('weights/')) },
      decodeCheckpoint(first.checkpoint).tensors.slice(0, header.weightNames.length));
    const forgetful = await run(data, training({ optimizer, learningRate: lr, steps: 20 }), { from: noMoments });
    assert.ok(forgetful.weights.some((w, i) => w.some((x, k) => x !== full.weights[i]![k])), 'without optimizer state the run differs');
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
    disposeData(data);
  });
}

test('a checkpoint continues only its own run: FAILED_PRECONDITION naming the field', async () => {
  await useCpu();
  const data = smallDigits(5, 2);
  const cfg = training({ steps: 4, scheduleSteps: 12, batchSize: 8 });
  const { checkpoint } = await run(data, cfg, { capture: true });
  disposeData(data);
  const h = decodeCheckpoint(checkpoint!).header;
  const ctx = (over: Partial<CheckpointContext> = {}, t: Partial<TrainingConfig> = {}): CheckpointContext => ({
    genome,
    training: { ...cfg, steps: 12, ...t },
    dataset,
    backend: 'cpu',
    ...over,
  });
  checkCheckpointMatches(h, ctx());
  const other: Genome = structuredClone(genome);
  (other.space as { value: { layers: { filters: number }[] } }).value.layers[0]!.filters = 32;
  const cases: Array<[CheckpointContext, RegExp]> = [
    [ctx({ genome: other }), /^genome:/],
    [ctx({}, { learningRate: 0.1 }), /^training\.learning_rate:/],
    [ctx({}, { optimizer: 'adam' }), /^training\.optimizer:/],
    [ctx({}, { seed: 4 }), /^training\.seed:/],
    [ctx({}, { batchSize: 16 }), /^training\.batch_size:/],
    [ctx({}, { scheduleSteps: 24 }), /^training\.schedule_steps:.*set training\.schedule_steps to 12/],
    [ctx({ dataset: { ...dataset, splitSeed: 9 } }), /^training\.dataset\.split_seed:/],
    [ctx({ dataset: { ...dataset, name: 'fashion-mnist' } }), /^training\.dataset\.name:/],
    [ctx({}, { steps: 3 }), /^training\.steps: 3 is below the checkpoint's step 4/],
  ];
  for (const [c, re] of cases) {
    assert.throws(() => checkCheckpointMatches(h, c), (e: unknown) => e instanceof FailedPreconditionError && re.test(e.message), String(re));
  }
  // a constant rate does not depend on the span
  const constant = await (async () => {
    const d = smallDigits(5, 2);
    try {
      return (await run(d, training({ steps: 4, batchSize: 8, schedule: 'constant' }), { capture: true })).checkpoint!;
    } finally {
      disposeData(d);
    }
  })();
  checkCheckpointMatches(decodeCheckpoint(constant).header, ctx({}, { schedule: 'constant', scheduleSteps: 0 }));
});

test('size limit: a required checkpoint over the limit is refused before training, "if it fits" trains without one', async () => {
  await useCpu();
  const built = buildModel(genome, { seed: 1, inputShape: INPUT });
  try {
    const context: CheckpointContext = { genome, training: training(), dataset, backend: 'cpu' };
    assert.throws(
      () => checkpointPlan(built.model, { checkpoint: { mode: 'required', maxBytes: 1000 } }, context, 64 << 20),
      (e: unknown) => e instanceof ResourceExhaustedError && /exceeds the checkpoint size limit of 0\.001 MiB/.test(e.message),
    );
    assert.throws(
      () => checkpointPlan(built.model, { checkpoint: { mode: 'required', maxBytes: 0 } }, context, 2000),
      (e: unknown) => e instanceof ResourceExhaustedError && /limit of 0\.002 MiB/.test(e.message),
    );
    const plan = checkpointPlan(built.model, { checkpoint: { mode: 'if_fits', maxBytes: 1000 } }, context, 64 << 20);
    assert.equal(plan.onTrained, undefined);
    assert.match(plan.omitted(), /exceeds the checkpoint size limit/);
  } finally {
    built.model.dispose();
  }
});
