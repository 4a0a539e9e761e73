// The whole path in one process: a real teacher cache + scorer (127.0.0.1:0) and a real trainer. ComputeTeacher
// turns a tiny saved tfjs model into a teacher; the trainer trains a small convnet candidate on real digits and
// streams its activations to the scorer; the test recomputes TG from the very activations that were streamed (and
// the teacher model's own activations) with a float64 reference written here.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createChannel, createClient, Status, type Client } from 'nice-grpc';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { ScorerDefinition, type ScoreActivationsRequest } from '../../gen/tgsage/v1/scorer.ts';
import { Comparator } from '../../gen/tgsage/v1/similarity.ts';
import { TeacherSource, type ComputeTeacherEvent } from '../../gen/tgsage/v1/teacher_cache.ts';
import type { TrainCandidateEvent } from '../../gen/tgsage/v1/trainer.ts';
import { loadDataset } from '../../services/data/dataset.ts';
import { METADATA_KEY } from '../../services/teachers/layers.ts';
import { saveLayersModel } from '../../services/teachers/model-files.ts';
import { buildResNetTeacher } from '../../services/teachers/resnet.ts';
import { expectStatus, toArray } from '../support/grpc.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';
import { startTrainer, type RunningTrainer } from './harness.ts';

const N = 100;
const dataset = { name: 'mnist', directory: '', numStimuli: N, numValidation: 0, splitSeed: 0 };

// ---- float64 reference ---------------------------------------------------------------------------------------
function corrRdmUpper(x: ArrayLike<number>, n: number): Float64Array {
  const d = x.length / n;
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[i * d + k]!;
    mean /= d;
    let ss = 0;
    for (let k = 0; k < d; k++) ss += (x[i * d + k]! - mean) ** 2;
    const s = 1 / Math.sqrt(ss);
    for (let k = 0; k < d; k++) z[i * d + k] = (x[i * d + k]! - mean) * s;
  }
  const out = new Float64Array((n * (n - 1)) / 2);
  let p = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += z[i * d + k]! * z[j * d + k]!;
      out[p++] = 1 - dot;
    }
  }
  return out;
}
function ranks(v: Float64Array): Float64Array {
  const idx = Array.from(v.keys()).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}
function pearson(a: Float64Array, b: Float64Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
const spearman = (a: Float64Array, b: Float64Array) => pearson(ranks(a), ranks(b));

// ---- setup -----------------------------------------------------------------------------------------------------
let dir: Awaited<ReturnType<typeof tempDir>>;
let services: TestServices;
let trainer: RunningTrainer;
let modelPath: string;
let teacherLayers: string[];
const streamed = new Map<string, { shape: number[]; parts: Buffer[] }>();

before(async () => {
  dir = await tempDir('tgsage-trainer-system-');
  services = await startServices(['teacher-cache', 'scorer'], { dataDir: join(dir.path, 'data'), trainer: { backend: 'wasm' } });
  const channel = createChannel(services.address('scorer'));
  const real = createClient(ScorerDefinition, channel);
  // Records every chunk the trainer streams, then forwards it to the real scorer.
  const tee = {
    scoreActivations(requests: AsyncIterable<ScoreActivationsRequest>, options?: { signal?: AbortSignal }) {
      async function* recorded() {
        let current = '';
        for await (const r of requests) {
          if (r.message?.$case === 'chunk') {
            const c = r.message.value;
            if (c.layer) {
              current = c.layer;
              streamed.set(current, { shape: c.shape, parts: [] });
            }
            streamed.get(current)!.parts.push(Buffer.from(c.data));
          }
          yield r;
        }
      }
      return real.scoreActivations(recorded(), options);
    },
  } as unknown as Client<typeof ScorerDefinition>;
  trainer = await startTrainer(
    { scorer: tee },
    { scorerAddress: services.address('scorer'), teacherCacheAddress: services.address('teacher-cache'), trainer: { backend: 'wasm' } },
  );
  const prevClose = trainer.close;
  trainer = { ...trainer, close: async () => (await prevClose(), channel.close()) };
  // A tiny untrained ResNet teacher, saved the way `tgsage teacher train` saves one.
  const net = buildResNetTeacher({ inputShape: [28, 28, 1], numClasses: 10, widths: [4, 8, 8], seed: 2 });
  net.model.setUserDefinedMetadata({ [METADATA_KEY]: { representationLayers: net.representationLayers } });
  modelPath = (await saveLayersModel(net.model, join(dir.path, 'data', 'models', 'tiny-teacher'))).modelPath;
  teacherLayers = net.representationLayers;
  net.model.dispose();
});

after(async () => {
  await trainer?.close();
  await services?.close();
  await dir?.remove();
});

test('ComputeTeacher: a saved tfjs model over the stimulus set becomes a teacher, with progress', async () => {
  const events: ComputeTeacherEvent[] = await toArray(
    services.clients.teacherCache.computeTeacher({
      id: 'tiny', description: 'tiny resnet', modelPath, layers: [], dataset, rdmMethod: 0, storeGram: false, batchSize: 32,
    }),
  );
  const phases = events.flatMap((e) => (e.event?.$case === 'progress' ? [e.event.value.phase] : []));
  assert.deepEqual([...new Set(phases)], ['forward', 'rdm', 'store']);
  const last = events.at(-1)!.event;
  assert.equal(last?.$case, 'teacher');
  if (last?.$case !== 'teacher') return;
  assert.equal(last.value.numStimuli, N);
  assert.equal(last.value.source, TeacherSource.TEACHER_SOURCE_COMPUTED);
  assert.equal(last.value.dataset, 'mnist');
  assert.deepEqual(last.value.layers.map((l) => l.name), teacherLayers);
  // errors: a missing model file, an unknown layer, a taken id — and the cache keeps serving
  const call = (over: object) =>
    toArray(services.clients.teacherCache.computeTeacher({ id: 'x', description: '', modelPath, layers: [], dataset, rdmMethod: 0, storeGram: false, batchSize: 0, ...over }));
  await expectStatus(call({ modelPath: 'nope/model.json' }), Status.FAILED_PRECONDITION, /does not exist/);
  await expectStatus(call({ id: 'tiny', modelPath: 'tiny-teacher' }), Status.ALREADY_EXISTS); // a directory names its model.json
  await expectStatus(call({ layers: ['conv99'] }), Status.INVALID_ARGUMENT, /conv99/);
  assert.equal((await services.clients.teacherCache.getTeacher({ id: 'tiny' })).id, 'tiny');
});

test('TrainCandidate end to end: real images, real scorer; TG equals a float64 recomputation from the streamed activations', async () => {
  const genome: Genome = {
    space: {
      $case: 'convnet',
      value: {
        layers: [
          { filters: 16, kernelSize: 3, downsample: 2, batchNorm: false, activation: 0 },
          { filters: 32, kernelSize: 3, downsample: 2, batchNorm: false, activation: 0 },
        ],
        head: 1, // flatten: learns fast enough for a short test budget (a global-average-pool head needs more steps)
      },
    },
  };
  const events: TrainCandidateEvent[] = await toArray(
    trainer.client.trainCandidate({
      genome,
      training: { steps: 60, batchSize: 32, optimizer: 0, learningRate: 0, momentum: 0, schedule: 0, seed: 5, dataset },
      teacherId: 'tiny',
      comparator: Comparator.COMPARATOR_SPEARMAN,
      skipScoring: false,
      trialId: 'system',
    }),
  );
  const last = events.at(-1)!.event;
  assert.equal(last?.$case, 'result');
  if (last?.$case !== 'result') return;
  const r = last.value;
  assert.equal(r.backend, 'wasm');
  assert.ok(r.validationAccuracy > 0.5, `P = ${r.validationAccuracy} (chance 0.1)`);
  const sim = r.similarity!;
  assert.deepEqual(sim.teacherLayers, teacherLayers);
  assert.deepEqual(sim.candidateLayers, r.representationLayers);
  assert.deepEqual([...streamed.keys()], r.representationLayers);

  // Teacher side: the saved model's own activations on the same stimuli.
  const ds = await loadDataset(dataset);
  const teacherModel = await tfl.loadLayersModel(tf.io.fromMemory(await readModel(modelPath)));
  const x = tf.tensor4d(ds.stimuli.images, [N, 28, 28, 1]);
  const teacherRdms = teacherLayers.map((name) => {
    const probe = tfl.model({ inputs: teacherModel.inputs, outputs: teacherModel.getLayer(name).output as tfl.SymbolicTensor });
    const acts = tf.tidy(() => (probe.predict(x) as tf.Tensor).dataSync());
    return corrRdmUpper(acts, N);
  });
  x.dispose();
  teacherModel.dispose();
  const candidateRdms = r.representationLayers.map((name) => {
    const { shape, parts } = streamed.get(name)!;
    assert.equal(shape[0], N);
    const bytes = Buffer.concat(parts);
    return corrRdmUpper(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), N);
  });
  const matrix = candidateRdms.map((c) => teacherRdms.map((t) => spearman(c, t)));
  const best = teacherLayers.map((_, j) => Math.max(...matrix.map((row) => row[j]!)));
  const tg = best.reduce((a, b) => a + b, 0) / best.length;
  for (let i = 0; i < matrix.length; i++) {
    for (let j = 0; j < teacherLayers.length; j++) {
      assert.ok(Math.abs(matrix[i]![j]! - sim.similarity[i * teacherLayers.length + j]!) < 2e-3, `matrix[${i}][${j}]`);
    }
  }
  assert.ok(Math.abs(tg - sim.tg) < 1e-3, `TG ${sim.tg} vs reference ${tg}`);
  assert.ok(tg > 0.05, `TG ${tg} should show some similarity`);
  // previews: one per best-matching candidate layer, 64 x 64 float32
  assert.deepEqual(r.rdmPreviews.map((p) => p.layer).sort(), [...new Set(sim.best.map((b) => b.candidateLayer))].sort());
  for (const p of r.rdmPreviews) assert.equal(p.data.byteLength, p.size * p.size * 4);

  await expectStatus(
    toArray(trainer.client.trainCandidate({ genome, training: { steps: 5, batchSize: 8, optimizer: 0, learningRate: 0, momentum: 0, schedule: 0, seed: 0, dataset }, teacherId: 'nobody', comparator: 0, skipScoring: false, trialId: '' })),
    Status.NOT_FOUND,
    /nobody/,
  );
});

async function readModel(path: string): Promise<tf.io.ModelArtifacts> {
  const { readFile } = await import('node:fs/promises');
  const json = JSON.parse(await readFile(path, 'utf8')) as { modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }> };
  const bin = await readFile(join(path, '..', 'weights.bin'));
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  };
}
