// Kill-and-resume against the REAL services: teacher cache, scorer and trainer in this process, the controller as a
// child process (its serve entry) on a SQLite data dir, killed with SIGKILL after >= 1 completed trial and restarted
// on the same dir; the study finishes with every trial number once and the completed-before-kill trials unchanged.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTgsageClients, type TgsageClients } from '../../clients/ts/index.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { ScoreKind, StudyConfig, StudyState, TrialState, type Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { toArray } from '../support/grpc.ts';
import { serveChild } from '../support/serve-child.ts';
import { SMALL_GENOMES_SEED, startRealServices, type RealServices } from './real-services.ts';

let services: RealServices;
const children: ChildProcess[] = [];

before(async () => {
  services = await startRealServices(['teacher-cache', 'scorer', 'trainer']);
});
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await services.close();
});

async function startController(): Promise<{ child: ChildProcess; clients: TgsageClients }> {
  const a = services.address;
  const { child, address } = await serveChild(
    'search-controller',
    ['--trainer', a.trainer!, '--scorer', a.scorer!, '--teacher-cache', a['teacher-cache']!],
    ['--data-dir', join(services.dir, 'controller')],
  );
  children.push(child);
  return { child, clients: createTgsageClients({ controller: address }) };
}

describe('kill -9 and resume (real services)', () => {
  it('finishes the study with every trial once and the completed ones unchanged', async () => {
    const first = await startController();
    const config = StudyConfig.fromPartial({
      space: SearchSpace.SEARCH_SPACE_CONVNET,
      strategy: { strategy: { $case: 'random', value: {} } },
      score: ScoreKind.SCORE_KIND_P_TG,
      stepsPerTrial: 2,
      numTrials: 3,
      teacherId: 'tiny',
      seed: SMALL_GENOMES_SEED,
      dataset: { name: 'mnist', numValidation: 50 },
      training: { batchSize: 8 },
    });
    const completed: Trial[] = [];
    let studyId = '';
    for await (const e of first.clients.controller.runStudy({ config })) {
      studyId = e.studyId;
      if (e.event?.$case === 'trialFailed') assert.fail(`trial failed: ${e.event.value.error}`);
      if (e.event?.$case === 'trialCompleted') completed.push(e.event.value);
      if (completed.length === 1) break;
    }
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    first.clients.close();

    const second = await startController();
    const events = await toArray(second.clients.controller.watchStudy({ studyId }));
    assert.equal(events.at(-1)!.event?.$case, 'studyFinished');
    const study = await second.clients.controller.getStudy({ studyId });
    assert.equal(study.state, StudyState.STUDY_STATE_FINISHED, study.error);
    assert.deepEqual(study.trials.map((t) => t.number), [0, 1, 2]);
    assert.ok(study.trials.every((t) => t.state === TrialState.TRIAL_STATE_COMPLETED), JSON.stringify(study.trials.map((t) => t.error)));
    for (const before of completed) assert.deepEqual(study.trials.find((t) => t.id === before.id), before);
    second.clients.close();
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  });
});
