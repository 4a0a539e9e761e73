// Kill-and-resume: the controller runs as a CHILD process on a SQLite data dir; it is killed with SIGKILL after at
// least one completed trial, restarted on the same dir, and must finish the study with every trial number exactly
// once and the trials completed before the kill unchanged. Trainer: a FAKE trainer (test double) in this process.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createChannel, createClient } from 'nice-grpc';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import {
  ScoreKind,
  SearchControllerDefinition,
  StudyConfig,
  StudyState,
  TrialState,
  type Trial,
} from '../../gen/tgsage/v1/search_controller.ts';
import { toArray } from '../support/grpc.ts';
import { serveChild } from '../support/serve-child.ts';
import { startFakeTrainer } from './fake-trainer.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tgsage-resume-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** `tgsage serve search-controller` as a child; resolves with its port once it listens. */
async function startChild(trainer: string): Promise<{ child: ChildProcess; port: number }> {
  const served = await serveChild('search-controller', ['--trainer', trainer, '--scorer', '127.0.0.1:1', '--teacher-cache', '127.0.0.1:1'], ['--data-dir', dataDir]);
  children.push(served.child);
  return served;
}

describe('kill -9 and resume', () => {
  it('resumes a study without losing or repeating completed trials', async () => {
    const trainer = await startFakeTrainer({ msPerStep: 25 });
    try {
      const first = await startChild(trainer.address);
      let channel = createChannel(`127.0.0.1:${first.port}`);
      let client = createClient(SearchControllerDefinition, channel);
      const config = StudyConfig.fromPartial({
        space: SearchSpace.SEARCH_SPACE_CONVNET,
        strategy: { strategy: { $case: 'evolution', value: { populationSize: 2, sampleSize: 2 } } },
        score: ScoreKind.SCORE_KIND_P,
        stepsPerTrial: 8,
        numTrials: 6,
        seed: 11,
      });
      const completed: Trial[] = [];
      let studyId = '';
      for await (const e of client.runStudy({ config })) {
        studyId = e.studyId;
        if (e.event?.$case === 'trialCompleted') completed.push(e.event.value);
        if (completed.length === 2) break;
      }
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      channel.close();
      const requestsBefore = trainer.requests.length;

      const second = await startChild(trainer.address); // resumes RUNNING studies by itself
      channel = createChannel(`127.0.0.1:${second.port}`);
      client = createClient(SearchControllerDefinition, channel);
      const events = await toArray(client.watchStudy({ studyId }));
      assert.equal(events.at(-1)!.event?.$case, 'studyFinished');
      const study = await client.getStudy({ studyId });
      assert.equal(study.state, StudyState.STUDY_STATE_FINISHED);
      assert.deepEqual(study.trials.map((t) => t.number), [0, 1, 2, 3, 4, 5]);
      assert.ok(study.trials.every((t) => t.state === TrialState.TRIAL_STATE_COMPLETED));
      for (const before of completed) {
        const now = study.trials.find((t) => t.id === before.id)!;
        assert.deepEqual(now, before, `trial ${before.number} unchanged`);
      }
      // the completed trials were not trained again: 4 trials left, at most one in flight at the kill re-run
      const after = trainer.requests.slice(requestsBefore).map((r) => r.trialId);
      assert.ok(!after.some((id) => completed.some((t) => t.id === id)), `no re-run of completed trials: ${after}`);
      assert.equal(new Set(after).size, after.length);
      channel.close();
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    } finally {
      await trainer.close();
    }
  });
});
