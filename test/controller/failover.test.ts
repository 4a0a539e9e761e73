// Two REAL trainers, each its own child process (`tgsage serve trainer`), with the teacher cache and scorer in this
// process: one trainer is killed (SIGKILL) mid-trial and its trial is retried on the other, the study completes;
// then with both trainers dead a trial fails everywhere and is marked FAILED with the reason.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTgsageClients, type TgsageClients } from '../../clients/ts/index.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { ScoreKind, StudyConfig, StudyState, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import type { CreateTeacherRequest } from '../../gen/tgsage/v1/teacher_cache.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { createLogger } from '../../services/common/log.ts';
import { resolveConfig } from '../../services/config.ts';
import { runServices, type RunningServices } from '../../services/registry.ts';
import { serveChild } from '../support/serve-child.ts';
import { SMALL_GENOMES_SEED, startController, type StartedController } from './real-services.ts';

const N = 40;
let dir: string;
const services: RunningServices[] = [];
const trainers: Array<{ child: ChildProcess; address: string }> = [];
let controller: StartedController;
let clients: TgsageClients;

async function startTrainer(teacherCache: string, scorer: string): Promise<{ child: ChildProcess; address: string }> {
  return serveChild('trainer', ['--teacher-cache', teacherCache, '--scorer', scorer]);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tgsage-failover-'));
  const logger = createLogger({ service: 'test', level: 'silent' });
  const tc = await runServices(['teacher-cache'], resolveConfig({ dataDir: join(dir, 'data'), logLevel: 'silent' }), { logger, signals: false, port: 0 });
  services.push(tc);
  const tcAddr = tc.services[0]!.address;
  const sc = await runServices(['scorer'], resolveConfig({ dataDir: join(dir, 'data'), logLevel: 'silent', teacherCacheAddress: tcAddr }), { logger, signals: false, port: 0 });
  services.push(sc);
  const scAddr = sc.services[0]!.address;
  trainers.push(...(await Promise.all([startTrainer(tcAddr, scAddr), startTrainer(tcAddr, scAddr)])));
  controller = await startController({ trainers: trainers.map((t) => t.address), scorer: scAddr, teacherCache: tcAddr });
  clients = createTgsageClients({ teacherCache: tcAddr, controller: `127.0.0.1:${controller.port}` });
  const acts = Float32Array.from({ length: N * 8 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
  await clients.teacherCache.createTeacher(
    (async function* (): AsyncGenerator<CreateTeacherRequest> {
      yield { message: { $case: 'header', value: { id: 'tiny', description: '', numStimuli: N, stimulusIds: [], rdmMethod: 0, storeGram: false, repetitions: false, missingRepetitions: false, ceilingSplits: 0, ceilingSeed: 0, tgLayers: [] } } };
      yield { message: { $case: 'chunk', value: { layer: 'L0', dtype: DType.DTYPE_FLOAT32, shape: [N, 8], data: Buffer.from(acts.buffer) } } };
    })(),
  );
});

after(async () => {
  clients?.close();
  await controller?.close();
  for (const t of trainers) if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
  for (const s of services.reverse()) await s.close();
  await rm(dir, { recursive: true, force: true });
});

const config = (over: Partial<StudyConfig>) =>
  StudyConfig.fromPartial({
    space: SearchSpace.SEARCH_SPACE_CONVNET,
    score: ScoreKind.SCORE_KIND_P_TG,
    teacherId: 'tiny',
    seed: SMALL_GENOMES_SEED,
    dataset: { name: 'mnist', numValidation: 50 },
    training: { batchSize: 8 },
    ...over,
  });

describe('trainer failover (real trainers)', () => {
  it('retries a trial on the other trainer when its trainer is killed mid-trial', async () => {
    let killed = '';
    let studyId = '';
    const startedOn = new Map<string, string>();
    const t0 = performance.now();
    for await (const e of clients.controller.runStudy({ config: config({ numTrials: 2, stepsPerTrial: 30 }) })) {
      studyId = e.studyId;
      if (process.env['TGSAGE_TEST_VERBOSE']) console.log(((performance.now() - t0) / 1000).toFixed(2), e.event?.$case, JSON.stringify(e.event?.$case === 'trialProgress' ? e.event.value.progress : ''));
      if (e.event?.$case === 'trialStarted') startedOn.set(e.event.value.trialId, e.event.value.trainer);
      if (!killed && e.event?.$case === 'trialProgress' && e.event.value.progress?.phase === 'training') {
        const trainer = startedOn.get(e.event.value.trialId);
        const victim = trainers.find((t) => t.address === trainer);
        if (victim) {
          killed = victim.address;
          victim.child.kill('SIGKILL');
        }
      }
    }
    assert.ok(killed, 'a trainer was killed mid-trial');
    const study = await clients.controller.getStudy({ studyId });
    assert.equal(study.state, StudyState.STUDY_STATE_FINISHED, study.error);
    assert.equal(study.completedTrials, 2, JSON.stringify(study.trials.map((t) => t.error)));
    const retried = study.trials.find((t) => t.attempts === 2);
    assert.ok(retried, 'one trial needed a second attempt');
    assert.notEqual(retried.trainer, killed);
    assert.ok(study.trials.every((t) => t.trainer !== killed));
  });

  it('marks a trial that fails on every trainer FAILED with the reason', async () => {
    for (const t of trainers) if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
    let studyId = '';
    for await (const e of clients.controller.runStudy({ config: config({ numTrials: 1, stepsPerTrial: 5, maxAttempts: 2 }) })) studyId = e.studyId;
    const study = await clients.controller.getStudy({ studyId });
    assert.equal(study.state, StudyState.STUDY_STATE_FAILED);
    const [t] = study.trials;
    assert.equal(t!.state, TrialState.TRIAL_STATE_FAILED);
    assert.equal(t!.attempts, 2);
    assert.match(t!.error, /failed after 2 attempt\(s\).*UNAVAILABLE/);
  });
});
