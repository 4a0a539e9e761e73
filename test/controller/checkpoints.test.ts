// Successive halving that continues promoted trials from checkpoints, through the real runner and REAL trainers on
// 127.0.0.1:0 (a tiny model and a few hundred digits, so it is fast): steps trained and saved, one curve, the final
// trial equal to one uninterrupted run, checkpoints deleted when done; the checkpoint store (atomic, verified,
// bounded); and a controller killed with SIGKILL mid-study (a child process) that resumes, continuing from the
// checkpoints on disk and falling back to step 0 (noted) for one that was corrupted while it was down.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createChannel, createClient } from 'nice-grpc';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import {
  ScoreKind,
  SearchControllerDefinition,
  StudyConfig,
  StudyState,
  TrialState,
  type StudyEvent,
  type Trial,
} from '../../gen/tgsage/v1/search_controller.ts';
import { ResourceExhaustedError } from '../../services/common/errors.ts';
import { fileCheckpointStore, memoryCheckpointStore } from '../../services/controller/checkpoints.ts';
import { createController } from '../../services/controller/controller.ts';
import { trainerPool } from '../../services/controller/pool.ts';
import { stepsTrained } from '../../services/controller/runner.ts';
import { memoryStorage } from '../../services/controller/storage.ts';
import { strategyProposers } from '../../services/controller/strategy-proposer.ts';
import { validateGenome } from '../../services/spaces/validate.ts';
import { encodeCheckpoint } from '../../services/trainer/checkpoint-format.ts';
import type { LoadedDataset, PipelineDeps } from '../../services/trainer/pipeline.ts';
import { toArray } from '../support/grpc.ts';
import { serveChild } from '../support/serve-child.ts';
import { disposeData, imageSet, smallMnist, tinyMlp } from '../trainer/fixtures.ts';
import { startTrainer, type RunningTrainer } from '../trainer/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'tgsage-ckpt-'));
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
let a: RunningTrainer;
let b: RunningTrainer;
before(async () => {
  dataset = { name: 'mnist', inputShape: [28, 28, 1], numClasses: 10, training: smallMnist(20, 10), stimuli: imageSet(10, 70).images };
  a = await startTrainer(deps);
  b = await startTrainer(deps);
});
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await Promise.all([a.close(), b.close()]);
  disposeData(dataset.training);
  dataset.stimuli.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const halving = (over: Partial<StudyConfig> = {}) =>
  StudyConfig.fromPartial({
    space: SearchSpace.SEARCH_SPACE_CONVNET,
    score: ScoreKind.SCORE_KIND_P,
    stepsPerTrial: 27,
    numTrials: 9,
    seed: 4,
    parallelism: 2,
    training: { batchSize: 16 },
    dataset: { name: 'mnist', numStimuli: 100 },
    multiFidelity: { enabled: true, eta: 3, rungs: 3 },
    ...over,
  });

const header = (step: number) => ({
  genome: {}, training: { batchSize: 1, optimizer: 'sgd_momentum' as const, learningRate: 1, momentum: 0, schedule: 'constant', scheduleSteps: 1, seed: 0, clipNorm: 0 },
  dataset: { name: 'mnist', directory: '', numStimuli: 1, numValidation: 1, splitSeed: 0 }, step, backend: 'cpu',
  optimizerScalars: {}, tensors: [{ name: 'weights/0', shape: [256] }], weightNames: ['w'], createdAt: '',
});
const blob = (step: number) => encodeCheckpoint(header(step), [new Float32Array(256)]);

describe('checkpoint store', () => {
  it('writes atomically, verifies on read, bounds one and all, cleans interrupted writes, deletes', async () => {
    const root = join(dir, 'store');
    mkdirSync(join(root, 's1'), { recursive: true });
    writeFileSync(join(root, 's1', 't9.ckpt.tmp-dead'), 'half written');
    const size = blob(1).byteLength;
    const store = fileCheckpointStore(root, { maxBytes: size, maxTotalBytes: 2 * size });
    assert.ok(!existsSync(join(root, 's1', 't9.ckpt.tmp-dead')), 'leftover of an interrupted write removed');
    await store.put('s1', 't1', blob(1));
    await store.put('s1', 't2', blob(2));
    await store.put('s1', 't2', blob(3)); // replacing does not count twice
    assert.equal(store.totalBytes(), 2 * size);
    await assert.rejects(store.put('s1', 't3', blob(4)), (e: unknown) => e instanceof ResourceExhaustedError && /checkpoint store full.*limit of/.test(e.message));
    const big = encodeCheckpoint({ ...header(1), tensors: [{ name: 'weights/0', shape: [300] }] }, [new Float32Array(300)]);
    await assert.rejects(store.put('s1', 't4', big), (e: unknown) => e instanceof ResourceExhaustedError && /per-checkpoint limit/.test(e.message));
    assert.deepEqual(readdirSync(join(root, 's1')).sort(), ['t1.ckpt', 't2.ckpt'], 'nothing half-written visible');
    const got = await store.get('s1', 't2');
    assert.ok('bytes' in got && Buffer.from(got.bytes).equals(blob(3)), 'the replacement is what is read back');
    assert.deepEqual(await store.get('s1', 'nope'), { missing: true });
    const path = join(root, 's1', 't1.ckpt');
    const bytes = readFileSync(path);
    bytes[100]! ^= 1;
    writeFileSync(path, bytes);
    const corrupt = await store.get('s1', 't1');
    assert.ok('corrupt' in corrupt && /SHA-256 mismatch/.test(corrupt.corrupt));
    assert.ok(!existsSync(path), 'a corrupt checkpoint is removed');
    // reopened, it counts what is on disk
    assert.equal(fileCheckpointStore(root, { maxBytes: size, maxTotalBytes: 2 * size }).totalBytes(), size);
    store.deleteStudy('s1');
    assert.equal(store.totalBytes(), 0);
    assert.ok(!existsSync(join(root, 's1')));
    const mem = memoryCheckpointStore({ maxBytes: size, maxTotalBytes: size });
    await mem.put('s', 't', blob(1));
    await assert.rejects(mem.put('s', 'u', blob(1)), ResourceExhaustedError);
  });
});

async function finished(events: AsyncIterable<StudyEvent>): Promise<void> {
  for await (const e of events) if (e.event?.$case === 'studyFinished') return;
}

describe('successive halving with checkpoints, real trainers', () => {
  it('continues promoted trials: fewer steps, one curve, the final run equal to an uninterrupted one', async () => {
    const storage = memoryStorage();
    const root = join(dir, 'in-process');
    const checkpoints = fileCheckpointStore(root);
    const pool = trainerPool({ targets: [a.address, b.address], healthIntervalMs: 0, retryBackoffMs: 10 });
    const controller = createController({ storage, pool, proposers: strategyProposers(), checkpoints });
    try {
      const id = await controller.runStudy('', halving({ training: StudyConfig.fromPartial({ training: { batchSize: 16, evalSteps: [1, 3, 9, 20] } }).training! }));
      await finished(controller.watch(id));
      const study = controller.getStudy(id);
      assert.equal(study.state, StudyState.STUDY_STATE_FINISHED);
      const byRung = (r: number) => study.trials.filter((t) => t.rung === r);
      assert.deepEqual([0, 1, 2].map((r) => byRung(r).length), [9, 3, 1]);
      for (const t of study.trials) assert.equal(t.state, TrialState.TRIAL_STATE_COMPLETED, `${t.id}: ${t.error}`);
      for (const [r, start] of [[1, 3], [2, 9]] as const) {
        for (const t of byRung(r)) {
          assert.equal(t.startStep, start, `${t.id} continued from step ${start} (${t.checkpointNote})`);
          assert.equal(t.checkpointNote, '');
          const parent = study.trials.find((p) => p.id === t.promotedFrom)!;
          assert.deepEqual(parent.genome, t.genome);
          assert.equal(parent.rung, r - 1);
        }
      }
      // steps: 9 x 3 + 3 x (9 - 3) + 1 x (27 - 9) = 63 trained, against 9 x 3 + 3 x 9 + 27 = 81 retraining
      assert.deepEqual(stepsTrained(study.trials), { trained: 63, fromScratch: 81 });
      // the last rung's trial, continued twice (3 -> 9 -> 27, maybe across both trainers), is the uninterrupted run
      const last = byRung(2)[0]!;
      let reference: number | undefined;
      for await (const e of a.client.trainCandidate({
        genome: last.genome, teacherId: '', comparator: 0, skipScoring: true, trialId: 'ref',
        training: { steps: 27, batchSize: 16, optimizer: 0, learningRate: 0, momentum: 0, schedule: 0, seed: 4, evalSteps: [], dataset: study.config!.dataset },
      })) {
        if (e.event?.$case === 'result') reference = e.event.value.validationAccuracy;
      }
      assert.equal(last.p, reference, 'P of the continued trial == P of one 27-step run');
      // one curve per promoted trial: the earlier rungs' points, then its own, training seconds cumulative
      assert.deepEqual(byRung(0)[0]!.curve.map((c) => c.step), [1, 3]);
      for (const t of byRung(1)) assert.deepEqual(t.curve.map((c) => c.step), [1, 3, 9]);
      assert.deepEqual(last.curve.map((c) => c.step), [1, 3, 9, 20, 27]);
      assert.equal(last.curve.at(-1)!.validationAccuracy, last.p);
      const seconds = last.curve.map((c) => c.trainSeconds);
      for (let i = 1; i < seconds.length; i++) assert.ok(seconds[i]! > seconds[i - 1]!, `cumulative: ${seconds.join(', ')}`);
      assert.equal(checkpoints.totalBytes(), 0, 'no checkpoint left once the study finished');
      assert.deepEqual(readdirSync(root), []);
    } finally {
      await controller.close();
      pool.close();
    }
  });

  it('retrain_promoted: promoted trials train from step 0 under their own schedule, as before', async () => {
    const storage = memoryStorage();
    const checkpoints = memoryCheckpointStore();
    const pool = trainerPool({ targets: [a.address], healthIntervalMs: 0 });
    const controller = createController({ storage, pool, proposers: strategyProposers(), checkpoints });
    try {
      const id = await controller.runStudy('', halving({ numTrials: 4, stepsPerTrial: 8, multiFidelity: { enabled: true, minSteps: 0, eta: 2, rungs: 2, retrainPromoted: true } }));
      await finished(controller.watch(id));
      const trials = controller.getStudy(id).trials;
      assert.deepEqual(trials.map((t) => t.startStep ?? 0), [0, 0, 0, 0, 0, 0]);
      assert.deepEqual(stepsTrained(trials), { trained: 4 * 4 + 2 * 8, fromScratch: 4 * 4 + 2 * 8 });
      assert.equal(checkpoints.totalBytes(), 0, 'none kept');
    } finally {
      await controller.close();
      pool.close();
    }
  });
});

/** `tgsage serve search-controller` as a child process on `dataDir` (the production start path). */
async function startChild(dataDir: string): Promise<{ child: ChildProcess; port: number }> {
  const served = await serveChild(
    'search-controller',
    ['--trainer', `${a.address},${b.address}`, '--scorer', '127.0.0.1:1', '--teacher-cache', '127.0.0.1:1'],
    ['--data-dir', dataDir],
  );
  children.push(served.child);
  return served;
}

describe('kill -9 mid-study', () => {
  it('resumes from the checkpoints on disk; a corrupted one falls back to step 0, noted', async () => {
    const dataDir = join(dir, 'killed');
    const first = await startChild(dataDir);
    let channel = createChannel(`127.0.0.1:${first.port}`);
    let client = createClient(SearchControllerDefinition, channel);
    const study = await client.createStudy({ config: halving({ parallelism: 1 }) });
    // kill as soon as rung 0 is done and the first promoted trial has started
    for await (const e of client.runStudy({ studyId: study.id })) {
      if (e.event?.$case === 'trialStarted' && Number(e.event.value.trialId.split('-t').at(-1)) >= 9) break;
    }
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    channel.close();
    const ckptDir = join(dataDir, 'checkpoints', study.id);
    const kept = readdirSync(ckptDir).filter((f) => f.endsWith('.ckpt')).sort();
    assert.ok(kept.length >= 2, `rung-0 checkpoints of the promoted trials on disk: ${kept.join(', ')}`);
    // corrupt the checkpoint of the last promoted trial (highest number among rung 0's survivors)
    const victim = kept.at(-1)!;
    const bytes = readFileSync(join(ckptDir, victim));
    bytes[bytes.byteLength >> 1]! ^= 0xff;
    writeFileSync(join(ckptDir, victim), bytes);

    const second = await startChild(dataDir);
    channel = createChannel(`127.0.0.1:${second.port}`);
    client = createClient(SearchControllerDefinition, channel);
    await toArray(client.watchStudy({ studyId: study.id }));
    const done = await client.getStudy({ studyId: study.id });
    channel.close();
    second.child.kill('SIGTERM');
    assert.equal(done.state, StudyState.STUDY_STATE_FINISHED);
    const trials: Trial[] = done.trials;
    assert.deepEqual(trials.map((t) => t.number), [...Array(13).keys()], 'every trial number exactly once');
    const rung1 = trials.filter((t) => t.rung === 1);
    const fromCorrupt = rung1.find((t) => `${t.promotedFrom}.ckpt` === victim)!;
    assert.equal(fromCorrupt.startStep ?? 0, 0);
    assert.match(fromCorrupt.checkpointNote ?? '', /corrupt \(checkpoint: SHA-256 mismatch.*trained from step 0/);
    for (const t of rung1.filter((x) => x !== fromCorrupt)) assert.equal(t.startStep, 3, `${t.id}: ${t.checkpointNote}`);
    assert.equal(trials.find((t) => t.rung === 2)!.startStep, 9);
    assert.ok(!existsSync(ckptDir), 'checkpoints deleted with the finished study');
  });
});
