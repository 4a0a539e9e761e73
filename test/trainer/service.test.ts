// The trainer service on a real server (127.0.0.1:0): phases and result, each error status, queueing and
// RESOURCE_EXHAUSTED, client cancel freeing memory. Dependencies are small fakes (tiny MLP on real digits, a scorer
// that only drains the stream); the whole-system test with the real scorer and teacher cache is system.test.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Status, type Client } from 'nice-grpc';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import type { ScorerDefinition, ScoreActivationsRequest } from '../../gen/tgsage/v1/scorer.ts';
import { Comparator, RdmMethod, type SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import type { TrainCandidateEvent, TrainCandidateRequest } from '../../gen/tgsage/v1/trainer.ts';
import { NotFoundError } from '../../services/common/errors.ts';
import { loadTrainingDataset } from '../../services/trainer/data-adapter.ts';
import { validateGenome } from '../../services/spaces/validate.ts';
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

function request(over: Partial<TrainCandidateRequest> = {}, steps = 20): TrainCandidateRequest {
  return {
    genome,
    training: { steps, batchSize: 32, optimizer: 0, learningRate: 0, momentum: 0, schedule: 0, seed: 1, evalSteps: [], dataset: { name: 'mnist', directory: '', numStimuli: 100, numValidation: 0, splitSeed: 0 } },
    teacherId: 'default',
    comparator: Comparator.COMPARATOR_SPEARMAN,
    skipScoring: false,
    trialId: 't1',
    alsoComparators: [],
    teacherLayers: [],
    ...over,
  };
}

let dataset: LoadedDataset;
let loads = 0;
const scored: string[][] = [];
/** The teacher layers each ScoreActivations header named. */
const scoredAgainst: string[][] = [];

const fakeScorer = {
  async scoreActivations(requests: AsyncIterable<ScoreActivationsRequest>): Promise<SimilarityResult> {
    const layers: string[] = [];
    for await (const r of requests) {
      if (r.message?.$case === 'header') scoredAgainst.push(r.message.value.teacherLayers);
      if (r.message?.$case === 'chunk' && r.message.value.layer) layers.push(r.message.value.layer);
    }
    scored.push(layers);
    return {
      teacherId: 'default', comparator: Comparator.COMPARATOR_SPEARMAN, rdmMethod: RdmMethod.RDM_METHOD_CORRELATION,
      candidateLayers: layers, teacherLayers: ['t'], similarity: layers.map(() => 0.5),
      best: [{ teacherLayer: 't', candidateLayer: layers[0]!, similarity: 0.5, normalizedSimilarity: NaN, pBest: NaN }], tg: 0.5, numStimuli: 100, computeSeconds: 0,
      ceilings: [], normalizedSimilarity: [], tgNormalized: NaN, also: [], skippedLayers: [],
    };
  },
} as unknown as Client<ScorerDefinition>;

const deps: Partial<PipelineDeps> = {
  loadDataset: async (spec) => {
    loads++;
    if (spec.name === 'idx') return loadTrainingDataset(spec); // the real loader, on a directory that does not exist
    return dataset;
  },
  buildModel: (g) => {
    validateGenome(g);
    const { model, representationLayers } = tinyMlp(3);
    return { model, representationLayers, parameterCount: model.countParams(), flops: 1000 };
  },
  getTeacher: async (id) => {
    if (id !== 'default') throw new NotFoundError(`unknown teacher ${id}`);
    return { id, numStimuli: 100, dataset: 'mnist', layerNames: ['t1', 't2', 't3'], tgLayers: ['t3'] };
  },
  scorer: fakeScorer,
};

async function run(trainer: RunningTrainer, req: TrainCandidateRequest, signal?: AbortSignal): Promise<TrainCandidateEvent[]> {
  const events: TrainCandidateEvent[] = [];
  for await (const e of trainer.client.trainCandidate(req, { signal })) events.push(e);
  return events;
}

let trainer: RunningTrainer;
before(async () => {
  trainer = await startTrainer(deps, { trainer: { maxQueue: 1 } });
  dataset = { name: 'mnist', inputShape: [28, 28, 1], numClasses: 10, training: smallMnist(40, 20), stimuli: imageSet(10, 70).images };
});
after(async () => {
  await trainer.close();
  disposeData(dataset.training);
  dataset.stimuli.dispose();
});

test('TrainCandidate streams the phases, then one result with P, TG, layers and previews', async () => {
  const events = await run(trainer, request({}, 40));
  const phases = events.flatMap((e) => (e.event?.$case === 'progress' ? [e.event.value.phase] : []));
  assert.deepEqual([...new Set(phases)], ['building', 'training', 'evaluating', 'scoring']);
  const last = events.at(-1)!.event;
  assert.equal(last?.$case, 'result');
  if (last?.$case !== 'result') return;
  const r = last.value;
  assert.ok(r.validationAccuracy > 0.4, `P = ${r.validationAccuracy}`);
  assert.equal(r.steps, 40);
  assert.equal(r.backend, 'cpu');
  assert.deepEqual(r.representationLayers, ['pixels', 'hidden']);
  assert.equal(r.similarity?.tg, 0.5);
  assert.deepEqual(scored.at(-1), ['pixels', 'hidden']);
  assert.equal(r.rdmPreviews.length, 1);
  assert.equal(r.rdmPreviews[0]!.layer, 'pixels');
  assert.equal(r.rdmPreviews[0]!.data.byteLength, 64 * 64 * 4);
});

test('evaluation budgets: a curve point event per budget as it is measured, each scored; the result holds the curve', async () => {
  const req = request({}, 30);
  req.training!.evalSteps = [5, 10];
  const before = scored.length;
  const events = await run(trainer, req);
  const points = events.flatMap((e) => (e.event?.$case === 'curvePoint' ? [e.event.value] : []));
  assert.deepEqual(points.map((p) => p.step), [5, 10, 30]);
  assert.equal(scored.length - before, 3, 'scored at every budget');
  const last = events.at(-1)!.event;
  assert.equal(last?.$case, 'result');
  if (last?.$case !== 'result') return;
  const r = last.value;
  assert.deepEqual(r.curve, points, 'the result repeats the streamed points');
  assert.equal(r.curve.at(-1)!.validationAccuracy, r.validationAccuracy);
  assert.equal(r.curve.at(-1)!.similarity?.tg, r.similarity?.tg);
  for (const p of r.curve) assert.ok(p.similarity && p.scoreSeconds >= 0 && p.evalSeconds > 0 && p.trainSeconds > 0);
  assert.ok(r.trainSeconds > 0 && r.trainSeconds < r.wallSeconds);
  assert.ok(r.queueSeconds >= 0 && r.queueSeconds < r.wallSeconds);
  // a training event after each early point, so a watcher sees training resume
  const afterFirst = events.findIndex((e) => e.event?.$case === 'curvePoint');
  const next = events[afterFirst + 1]?.event;
  assert.equal(next?.$case === 'progress' && next.value.phase, 'training');
  // skip_scoring: points with P only
  const unscored = request({ skipScoring: true }, 12);
  unscored.training!.evalSteps = [4];
  const plain = (await run(trainer, unscored)).at(-1)!.event;
  assert.ok(plain?.$case === 'result' && plain.value.curve.length === 2 && plain.value.curve.every((p) => p.similarity === undefined));
});

test('evaluation budgets are checked before anything is trained', async () => {
  const cases: Array<[number[], RegExp]> = [
    [[0], /training\.eval_steps\[0\]/],
    [[31], /training\.eval_steps\[0\]/],
    [[10, 10], /strictly increasing/],
    [[20, 10], /strictly increasing/],
    [Array.from({ length: 65 }, (_, i) => i + 1), /at most 64/],
  ];
  for (const [evalSteps, message] of cases) {
    const req = request({}, 30);
    req.training!.evalSteps = evalSteps;
    await expectStatus(run(trainer, req), Status.INVALID_ARGUMENT, message);
  }
});

test('errors: invalid genome, unknown teacher (before any training), missing dataset, budget out of range', async () => {
  const bad: Genome = { space: { $case: 'convnet', value: { layers: [{ filters: 16, kernelSize: 4, downsample: 0, batchNorm: false, activation: 0 }, { filters: 16, kernelSize: 3, downsample: 0, batchNorm: false, activation: 0 }], head: 0 } } };
  await expectStatus(run(trainer, request({ genome: bad })), Status.INVALID_ARGUMENT, /genome\.convnet\.layers\[0\]\.kernel_size/);
  await expectStatus(run(trainer, request({ genome: undefined })), Status.INVALID_ARGUMENT, /genome/);
  const loadsBefore = loads;
  await expectStatus(run(trainer, request({ teacherId: 'nobody' })), Status.NOT_FOUND, /nobody/);
  assert.equal(loads, loadsBefore, 'nothing loaded or trained for an unknown teacher');
  const missing = request({ skipScoring: true });
  missing.training!.dataset = { name: 'idx', directory: '/nonexistent/tgsage-idx', numStimuli: 100, numValidation: 0, splitSeed: 0 };
  await expectStatus(run(trainer, missing), Status.FAILED_PRECONDITION, /\/nonexistent\/tgsage-idx/);
  const badSpec = request();
  badSpec.training!.dataset!.name = 'imagenet';
  await expectStatus(run(trainer, badSpec), Status.INVALID_ARGUMENT, /training\.dataset\.name/);
  const loadsBeforeAlso = loads;
  await expectStatus(run(trainer, request({ alsoComparators: [99 as Comparator] })), Status.INVALID_ARGUMENT, /also_comparators\[0\]/);
  await expectStatus(run(trainer, request({ alsoComparators: [Comparator.COMPARATOR_SPEARMAN] })), Status.INVALID_ARGUMENT, /also_comparators\[0\].*repeats/);
  assert.equal(loads, loadsBeforeAlso, 'nothing loaded or trained for bad also_comparators');
  await expectStatus(run(trainer, request({}, 0)), Status.INVALID_ARGUMENT, /training\.steps/);
  await expectStatus(run(trainer, request({}, 100_001)), Status.INVALID_ARGUMENT, /training\.steps/);
  const big = request();
  big.training!.batchSize = 5000;
  await expectStatus(run(trainer, big), Status.INVALID_ARGUMENT, /training\.batch_size/);
  // ... and the service keeps serving.
  const summary = await trainer.client.describeGenome({ genome });
  assert.equal(summary.space, SearchSpace.SEARCH_SPACE_CONVNET);
  assert.deepEqual(summary.representationLayers, ['conv0', 'conv1']);
  assert.ok(summary.parameterCount > 0 && summary.flops > 0);
  await expectStatus(trainer.client.describeGenome({ genome: bad }), Status.INVALID_ARGUMENT, /kernel_size/);
  const genomeBack = await trainer.client.sampleGenome({ space: SearchSpace.SEARCH_SPACE_NASNET, seed: 4 });
  assert.equal(genomeBack.space?.$case, 'nasnet');
  await expectStatus(trainer.client.sampleGenome({ space: SearchSpace.SEARCH_SPACE_UNSPECIFIED, seed: 4 }), Status.INVALID_ARGUMENT, /space/);
  const events = await run(trainer, request({ skipScoring: true }, 5));
  assert.equal(events.at(-1)?.event?.$case, 'result');
});

test("teacher_layers: checked against the teacher before training; resolved once and sent with every curve point's score", async () => {
  const loadsBefore = loads;
  await expectStatus(run(trainer, request({ teacherLayers: ['IT'] })), Status.INVALID_ARGUMENT, /^teacher_layers: teacher "default" has no layer "IT"/);
  await expectStatus(run(trainer, request({ teacherLayers: ['*', 't1'] })), Status.INVALID_ARGUMENT, /^teacher_layers: "\*" \(every layer\) must stand alone/);
  assert.equal(loads, loadsBefore, 'nothing loaded or trained for bad teacher_layers');
  const cases: Array<[string[], string[]]> = [
    [[], ['t3']], // the teacher's tg_layers
    [['*'], ['t1', 't2', 't3']],
    [['t2', 't1'], ['t1', 't2']],
  ];
  for (const [wanted, sent] of cases) {
    scoredAgainst.length = 0;
    const req = request({ teacherLayers: wanted }, 4);
    req.training!.evalSteps = [2];
    assert.equal((await run(trainer, req)).at(-1)?.event?.$case, 'result');
    assert.deepEqual(scoredAgainst, [sent, sent], `${JSON.stringify(wanted)}: both curve points`);
  }
});

test('one training at a time: the next waits (queued), one more is RESOURCE_EXHAUSTED; cancel frees memory', async () => {
  await run(trainer, request({ skipScoring: true }, 2)); // warm up, so the baseline holds cached kernels' tensors
  const baseline = tf.memory().numTensors;
  const first = new AbortController();
  const firstEvents: TrainCandidateEvent[] = [];
  const training = (async () => {
    for await (const e of trainer.client.trainCandidate(request({ skipScoring: true }, 100_000), { signal: first.signal })) {
      firstEvents.push(e);
    }
  })();
  while (!firstEvents.some((e) => e.event?.$case === 'progress' && e.event.value.phase === 'training' && e.event.value.step > 0)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const secondEvents: TrainCandidateEvent[] = [];
  const second = (async () => {
    for await (const e of trainer.client.trainCandidate(request({ skipScoring: true }, 5))) secondEvents.push(e);
  })();
  while (secondEvents.length === 0) await new Promise((r) => setTimeout(r, 10));
  assert.equal(secondEvents[0]!.event?.$case === 'progress' && secondEvents[0]!.event.value.phase, 'queued');
  await expectStatus(run(trainer, request({ skipScoring: true }, 5)), Status.RESOURCE_EXHAUSTED, /queue full/);
  first.abort();
  await assert.rejects(training);
  await second;
  assert.equal(secondEvents.at(-1)?.event?.$case, 'result');
  assert.equal(tf.memory().numTensors, baseline, 'cancelled and finished trainings left no tensors');
});
