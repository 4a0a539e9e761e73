// Checkpoints over gRPC: two real trainers on 127.0.0.1:0. A checkpoint returned by trainer A is continued on
// trainer B and ends exactly where one uninterrupted run on A ends; corrupt, mismatched, oversized and malformed
// uploads answer the right status, and the trainer keeps serving.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Status } from 'nice-grpc';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import {
  CheckpointMode,
  type ContinueCandidateRequest,
  type TrainCandidateEvent,
  type TrainCandidateRequest,
  type TrainingResult,
} from '../../gen/tgsage/v1/trainer.ts';
import { validateGenome } from '../../services/spaces/validate.ts';
import { checkpointChunks, decodeCheckpoint } from '../../services/trainer/checkpoint-format.ts';
import type { LoadedDataset, PipelineDeps } from '../../services/trainer/pipeline.ts';
import { expectStatus } from '../support/grpc.ts';
import { disposeData, imageSet, smallMnist, tinyMlp } from './fixtures.ts';
import { startTrainer, type RunningTrainer } from './harness.ts';

const genome: Genome = {
  space: {
    $case: 'convnet',
    value: {
      layers: [
        { filters: 16, kernelSize: 3, downsample: 1, batchNorm: false, activation: 0 },
        { filters: 32, kernelSize: 3, downsample: 1, batchNorm: false, activation: 0 },
      ],
      head: 0,
    },
  },
};

let dataset: LoadedDataset;
const deps: Partial<PipelineDeps> = {
  loadDataset: async () => dataset,
  buildModel: (g, o) => {
    validateGenome(g);
    const { model, representationLayers } = tinyMlp(o.seed);
    return { model, representationLayers, parameterCount: model.countParams(), flops: 1000 };
  },
  getTeacher: async (id) => ({ id, numStimuli: 100, dataset: 'mnist', layerNames: [] }),
};

function request(steps: number, over: Partial<TrainCandidateRequest> = {}, seed = 1): TrainCandidateRequest {
  return {
    genome,
    training: {
      steps, batchSize: 32, optimizer: 0, learningRate: 0, momentum: 0, schedule: 0, seed, evalSteps: [], scheduleSteps: 24,
      dataset: { name: 'mnist', directory: '', numStimuli: 100, numValidation: 0, splitSeed: 0 },
    },
    teacherId: 'default',
    comparator: 0,
    skipScoring: true,
    trialId: 't',
    alsoComparators: [],
    teacherLayers: [],
    ...over,
  };
}

interface Outcome {
  result: TrainingResult;
  checkpoint: Buffer;
  chunks: number;
}

async function collect(events: AsyncIterable<TrainCandidateEvent>): Promise<Outcome> {
  const pieces: Buffer[] = [];
  for await (const e of events) {
    if (e.event?.$case === 'checkpointChunk') {
      assert.ok(e.event.value.data.byteLength <= 1 << 20, 'chunks of at most 1 MiB');
      pieces.push(e.event.value.data);
    } else if (e.event?.$case === 'result') {
      return { result: e.event.value, checkpoint: Buffer.concat(pieces), chunks: pieces.length };
    }
  }
  throw new Error('no result');
}

async function* upload(header: TrainCandidateRequest | undefined, checkpoint: Uint8Array, chunkSize = 1 << 20): AsyncGenerator<ContinueCandidateRequest> {
  if (header) yield { message: { $case: 'header', value: header } };
  for (const data of checkpointChunks(checkpoint, chunkSize)) yield { message: { $case: 'chunk', value: { data } } };
}

let a: RunningTrainer;
let b: RunningTrainer;
let small: RunningTrainer;
before(async () => {
  dataset = { name: 'mnist', inputShape: [28, 28, 1], numClasses: 10, training: smallMnist(20, 10), stimuli: imageSet(10, 70).images };
  a = await startTrainer(deps);
  b = await startTrainer(deps);
  small = await startTrainer({ ...deps, maxCheckpointBytes: 50_000 });
});
after(async () => {
  await Promise.all([a.close(), b.close(), small.close()]);
  disposeData(dataset.training);
  dataset.stimuli.dispose();
});

const required = { checkpoint: CheckpointMode.CHECKPOINT_MODE_REQUIRED };

test('a checkpoint from trainer A, continued on trainer B, ends exactly where the uninterrupted run on A ends', async () => {
  const full = await collect(a.client.trainCandidate(request(24, required)));
  const first = await collect(a.client.trainCandidate(request(10, required)));
  assert.equal(first.result.steps, 10);
  assert.equal(first.result.checkpointBytes, first.checkpoint.byteLength);
  assert.ok(first.checkpoint.byteLength > 100_000, `${first.checkpoint.byteLength} bytes: weights and momentum of 25k parameters`);
  // sent to B in small chunks, so the upload really is a stream of pieces
  const cont = await collect(b.client.continueCandidate(upload(request(24, required), first.checkpoint, 64 * 1024)));
  assert.equal(cont.result.startStep, 10);
  assert.equal(cont.result.steps, 24);
  assert.equal(cont.result.validationAccuracy, full.result.validationAccuracy, 'same P');
  const w1 = decodeCheckpoint(full.checkpoint);
  const w2 = decodeCheckpoint(cont.checkpoint);
  assert.equal(w2.header.step, 24);
  assert.equal(w1.tensors.length, w2.tensors.length);
  for (const [i, t] of w1.tensors.entries()) assert.deepEqual(w2.tensors[i], t, `${w1.header.tensors[i]!.name} identical`);
  // if-it-fits on a trainer whose limit is smaller: trains, sends no checkpoint, says why
  const omitted = await collect(small.client.trainCandidate(request(4, { checkpoint: CheckpointMode.CHECKPOINT_MODE_IF_FITS })));
  assert.equal(omitted.result.checkpointBytes, 0);
  assert.equal(omitted.chunks, 0);
  assert.match(omitted.result.checkpointOmitted, /exceeds the checkpoint size limit of 0\.048 MiB/);
});

test('ContinueCandidate errors: corrupt, mismatched, oversized, malformed; the trainer keeps serving', async () => {
  const { checkpoint } = await collect(a.client.trainCandidate(request(3, required)));
  const corrupt = Buffer.from(checkpoint);
  corrupt[corrupt.byteLength >> 1]! ^= 0x40;
  await expectStatus(collect(b.client.continueCandidate(upload(request(9), corrupt))), Status.INVALID_ARGUMENT, /checkpoint: SHA-256 mismatch/);
  await expectStatus(collect(b.client.continueCandidate(upload(request(9, {}, 2), checkpoint))), Status.FAILED_PRECONDITION, /training\.seed/);
  const otherGenome = structuredClone(genome);
  (otherGenome.space as { value: { layers: { filters: number }[] } }).value.layers[1]!.filters = 64;
  await expectStatus(collect(b.client.continueCandidate(upload(request(9, { genome: otherGenome }), checkpoint))), Status.FAILED_PRECONDITION, /^genome: /);
  await expectStatus(collect(b.client.continueCandidate(upload(request(2), checkpoint))), Status.FAILED_PRECONDITION, /training\.steps: 2 is below the checkpoint's step 3/);
  await expectStatus(collect(small.client.continueCandidate(upload(request(9), checkpoint, 16 * 1024))), Status.RESOURCE_EXHAUSTED, /limit of 0\.048 MiB/);
  await expectStatus(collect(small.client.trainCandidate(request(9, required))), Status.RESOURCE_EXHAUSTED, /checkpoint size limit of 0\.048 MiB/);
  await expectStatus(collect(b.client.continueCandidate(upload(undefined, checkpoint))), Status.INVALID_ARGUMENT, /header: missing/);
  await expectStatus(collect(b.client.continueCandidate(upload(request(9), new Uint8Array(0)))), Status.INVALID_ARGUMENT, /chunk: no checkpoint bytes/);
  const badSpan = request(9);
  badSpan.training!.scheduleSteps = 5;
  await expectStatus(collect(b.client.continueCandidate(upload(badSpan, checkpoint))), Status.INVALID_ARGUMENT, /training\.schedule_steps/);
  // still serving: the same checkpoint continues fine
  const ok = await collect(b.client.continueCandidate(upload(request(6), checkpoint)));
  assert.equal(ok.result.steps, 6);
  assert.equal(ok.result.startStep, 3);
});
