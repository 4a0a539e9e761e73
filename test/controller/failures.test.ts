// The failure table end to end: real teacher cache, scorer and trainers (127.0.0.1:0, this process) and the
// controller's trainer pool. A dead layer (constant activation rows) is left out of TG and costs the candidate nothing;
// a deterministic failure — a diverged training (FAILED_PRECONDITION from the trainer) — fails the trial after ONE
// attempt with its reason, and the trainer stays healthy and keeps serving; a transient failure of the trainer's own dependency (its
// scorer gone) is retried but does not mark the trainer unhealthy either.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { Activation, Downsample, Head, SearchSpace, type ConvLayerGene } from '../../gen/tgsage/v1/genome.ts';
import { TrainCandidateRequest } from '../../gen/tgsage/v1/trainer.ts';
import { createLogger } from '../../services/common/log.ts';
import { resolveConfig } from '../../services/config.ts';
import { trainerPool, TrialFailedError, type TrainerPool } from '../../services/controller/pool.ts';
import { runServices, type RunningServices } from '../../services/registry.ts';
import { buildCandidate } from '../../services/trainer/candidates.ts';
import { createTrainerModule } from '../../services/trainer/main.ts';
import { buildServer, type TgsageServer } from '../../services/common/server.ts';
import { SMALL_GENOMES_SEED, startRealServices, TINY_STIMULI, type RealServices } from './real-services.ts';
import { createTgsageClients } from '../../clients/ts/index.ts';
import { ScoreKind, StudyConfig, StudyState, TrialState } from '../../gen/tgsage/v1/search_controller.ts';

const logger = createLogger({ service: 'test', level: process.env['TGSAGE_TEST_VERBOSE'] ? 'info' : 'silent' });
let real: RealServices;
const extra: RunningServices[] = [];
let diverging: { server: TgsageServer; address: string; close(): Promise<void> };
const pools: TrainerPool[] = [];

const layer = (activation: Activation, batchNorm: boolean): ConvLayerGene => ({
  filters: 16,
  kernelSize: 3,
  downsample: Downsample.DOWNSAMPLE_STRIDE2,
  activation,
  batchNorm,
});

/** A small convnet on MNIST, scored against the tiny teacher. */
function request(activation: Activation, batchNorm: boolean, training: { steps: number; learningRate: number }) {
  return TrainCandidateRequest.fromPartial({
    genome: { space: { $case: 'convnet', value: { layers: [0, 1, 2].map(() => layer(activation, batchNorm)), head: Head.HEAD_GLOBAL_AVG_POOL } } },
    training: { ...training, batchSize: 8, seed: 0, dataset: { name: 'mnist', numValidation: 50, numStimuli: TINY_STIMULI } },
    teacherId: 'tiny',
  });
}
/** ReLU without batch norm at the largest learning rate allowed: every unit of conv1 dies (deterministic, seed 0). */
const DEAD_LAYER = request(Activation.ACTIVATION_RELU, false, { steps: 20, learningRate: 10 });
const HEALTHY = request(Activation.ACTIVATION_ELU, true, { steps: 5, learningRate: 0.05 });

function pool(targets: string[], maxRetries = 0) {
  const p = trainerPool({ targets, healthIntervalMs: 0, retryBackoffMs: 10 });
  pools.push(p);
  return { p, options: { signal: AbortSignal.timeout(120_000), maxAttempts: 1 + maxRetries } };
}

async function failure(promise: Promise<unknown>): Promise<TrialFailedError> {
  const e = await promise.then(
    () => assert.fail('the trial should have failed'),
    (error: unknown) => error,
  );
  assert.ok(e instanceof TrialFailedError, String(e));
  return e;
}

before(async () => {
  real = await startRealServices(['teacher-cache', 'scorer', 'trainer']);
  // A trainer whose candidates blow up: the real trainer module and pipeline, with a model builder whose first
  // kernel holds weights near the float32 maximum (as after a run-away update), so the loss is NaN from the first step.
  const config = resolveConfig({ logLevel: 'silent', teacherCacheAddress: real.address['teacher-cache'], scorerAddress: real.address.scorer });
  const module = await createTrainerModule(
    { config, logger, compute: () => Promise.reject(new Error('unused')), shutdownSignal: new AbortController().signal, shared: new Map() },
    {
      buildModel: (genome, options) => {
        const built = buildCandidate(genome, options);
        const kernel = built.model.getLayer('conv0_conv').getWeights()[0]!;
        const huge = tf.fill(kernel.shape, 3e38);
        built.model.getLayer('conv0_conv').setWeights([huge]);
        huge.dispose();
        return built;
      },
    },
  );
  const server = buildServer({ name: 'trainer', services: module.services, logger, defaultMetrics: false });
  const port = await server.listen('127.0.0.1', 0);
  diverging = { server, address: `127.0.0.1:${port}`, close: async () => (await server.shutdown(), await module.close?.()) };
});

after(async () => {
  for (const p of pools) p.close();
  await diverging?.close();
  for (const r of extra) await r.close();
  await real?.close();
});

describe('deterministic failures fail the trial at once; the trainer stays healthy', () => {
  it('a dead layer is left out of TG, not the candidate: its result lists it, TG comes from the live layers', async () => {
    const { p, options } = pool([real.address.trainer!], 2);
    const r = await p.train(DEAD_LAYER, options);
    assert.equal(r.attempts, 1);
    const sim = r.result.similarity!;
    assert.ok(sim.skippedLayers.length > 0 && sim.skippedLayers.every((l) => /^conv\d/.test(l)), sim.skippedLayers.join());
    assert.ok(sim.candidateLayers.length > 0 && sim.candidateLayers.every((l) => !sim.skippedLayers.includes(l)));
    assert.ok(Number.isFinite(sim.tg));
    assert.deepEqual(p.status().map((s) => s.healthy), [true]);
    const ok = await p.train(HEALTHY, options); // and it keeps serving
    assert.equal(ok.attempts, 1);
    assert.ok(ok.result.similarity && Number.isFinite(ok.result.similarity.tg) && ok.result.similarity.skippedLayers.length === 0);
  });

  it('a diverged training: FAILED_PRECONDITION "training diverged", not retried on the other trainer', async () => {
    const { p, options } = pool([diverging.address, real.address.trainer!], 2);
    const e = await failure(p.train(HEALTHY, options));
    assert.equal(e.attempts, 1);
    assert.equal(e.trainer, diverging.address);
    assert.match(e.message, /FAILED_PRECONDITION: training diverged at step \d+ \(loss NaN\)/);
    assert.deepEqual(p.status().map((s) => s.healthy), [true, true]);
  });

  it('through the controller: the trial is FAILED after one attempt with the reason, the study goes on', async () => {
    const config = resolveConfig({
      dataDir: `${real.dir}/controller`,
      logLevel: 'silent',
      teacherCacheAddress: real.address['teacher-cache'],
      scorerAddress: real.address.scorer,
      trainerAddress: diverging.address,
    });
    const controller = await runServices(['search-controller'], config, { logger, signals: false, port: 0 });
    extra.push(controller);
    const clients = createTgsageClients({ controller: controller.services[0]!.address });
    try {
      let studyId = '';
      const started: number[] = [];
      const studyConfig = StudyConfig.fromPartial({
        space: SearchSpace.SEARCH_SPACE_CONVNET,
        score: ScoreKind.SCORE_KIND_P_TG,
        teacherId: 'tiny',
        seed: SMALL_GENOMES_SEED,
        numTrials: 2,
        stepsPerTrial: 3,
        maxAttempts: 3,
        dataset: { name: 'mnist', numValidation: 50, numStimuli: TINY_STIMULI },
        training: { batchSize: 8 },
      });
      for await (const e of clients.controller.runStudy({ config: studyConfig })) {
        studyId = e.studyId;
        if (e.event?.$case === 'trialStarted') started.push(e.event.value.attempt);
      }
      const study = await clients.controller.getStudy({ studyId });
      assert.deepEqual(started, [1, 1], 'each trial started once');
      assert.equal(study.trials.length, 2);
      for (const t of study.trials) {
        assert.equal(t.state, TrialState.TRIAL_STATE_FAILED);
        assert.equal(t.attempts, 1);
        assert.match(t.error, /FAILED_PRECONDITION: training diverged at step \d+ \(loss NaN\)/);
      }
      assert.equal(study.state, StudyState.STUDY_STATE_FAILED);
    } finally {
      clients.close();
    }
  });

  it("a trainer whose scorer is gone: retried, named, and the trainer is not marked unhealthy", async () => {
    const dir = real.dir;
    const scorer = await runServices(['scorer'], resolveConfig({ dataDir: `${dir}/data`, logLevel: 'silent', teacherCacheAddress: real.address['teacher-cache'] }), { logger, signals: false, port: 0 });
    const scorerAddress = scorer.services[0]!.address;
    const trainer = await runServices(['trainer'], resolveConfig({ dataDir: `${dir}/data`, logLevel: 'silent', teacherCacheAddress: real.address['teacher-cache'], scorerAddress }), { logger, signals: false, port: 0 });
    extra.push(trainer);
    await scorer.close();
    const { p, options } = pool([trainer.services[0]!.address], 1);
    const e = await failure(p.train(HEALTHY, options));
    assert.equal(e.attempts, 2);
    assert.match(e.message, /failed after 2 attempt\(s\); last: .*UNAVAILABLE: scorer failed: UNAVAILABLE/);
    assert.deepEqual(p.status().map((s) => s.healthy), [true]);
  });
});
