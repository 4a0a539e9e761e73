// The controller's gRPC service on 127.0.0.1:0 against FAKE trainer / scorer / teacher cache (test doubles):
// validation statuses, RunStudy + a second watcher, cancel does not stop, export, ask/tell.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChannel, createClient, Status, type Channel } from 'nice-grpc';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import {
  type CompleteTrialRequest,
  ExportFormat,
  ScoreKind,
  SearchControllerDefinition,
  type SearchControllerClient,
  StudyConfig,
  StudyState,
  TrialState,
} from '../../gen/tgsage/v1/search_controller.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { startController, type StartedController } from './real-services.ts';
import { expectStatus, toArray } from '../support/grpc.ts';
import { fakeScores, startFakeTrainer, type FakeTrainer } from './fake-trainer.ts';
import { startFakeScoring, type FakeScoring } from './fake-scoring.ts';
import { exportStudy } from '../../clients/ts/conveniences.ts';

let trainer: FakeTrainer;
let scoring: FakeScoring;
let running: StartedController;
let channel: Channel;
let client: SearchControllerClient;

before(async () => {
  trainer = await startFakeTrainer({ msPerStep: 3 });
  scoring = await startFakeScoring(['default', 'tiny']);
  running = await startController({ trainers: [trainer.address], scorer: scoring.scorerAddress, teacherCache: scoring.cacheAddress });
  channel = createChannel(`127.0.0.1:${running.port}`);
  client = createClient(SearchControllerDefinition, channel);
});
after(async () => {
  channel.close();
  await running.close();
  await trainer.close();
  await scoring.close();
});

// P+TG unless a test says otherwise (the default score is P; these tests exercise TG)
const config = (over: Partial<StudyConfig> = {}) =>
  StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 10, numTrials: 3, seed: 1, score: ScoreKind.SCORE_KIND_P_TG, ...over });

function f32(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

describe('search controller service', () => {
  it('rejects bad configs before any work, naming the field; unknown teacher is NOT_FOUND', async () => {
    await expectStatus(client.createStudy({ config: config({ alpha: 2 }) }), Status.INVALID_ARGUMENT, /^alpha/);
    await expectStatus(client.createStudy({ config: config({ numTrials: 0 }) }), Status.INVALID_ARGUMENT, /num_trials/);
    await expectStatus(client.createStudy({ config: config({ teacherId: 'nope' }) }), Status.NOT_FOUND, /nope/);
    await expectStatus(client.getStudy({ studyId: 'missing' }), Status.NOT_FOUND);
    const s = await client.createStudy({ config: config(), studyId: 'fixed-id' });
    assert.equal(s.id, 'fixed-id');
    await expectStatus(client.createStudy({ config: config(), studyId: 'fixed-id' }), Status.ALREADY_EXISTS);
  });

  it('runs a study; a second client watches it; cancelling RunStudy does not stop it', async () => {
    const created = await client.createStudy({ config: config({ numTrials: 4 }) });
    const ac = new AbortController();
    const run = client.runStudy({ studyId: created.id }, { signal: ac.signal });
    const first = await run[Symbol.asyncIterator]().next();
    assert.equal(first.value.event?.$case, 'snapshot');
    ac.abort(); // the study keeps running
    const watched = await toArray(client.watchStudy({ studyId: created.id }));
    assert.equal(watched[0]!.event?.$case, 'snapshot');
    assert.equal(watched.at(-1)!.event?.$case, 'studyFinished');
    const study = await client.getStudy({ studyId: created.id });
    assert.equal(study.state, StudyState.STUDY_STATE_FINISHED);
    assert.equal(study.completedTrials, 4);
    const late = await toArray(client.watchStudy({ studyId: created.id }));
    assert.deepEqual(late.map((e) => e.event?.$case), ['snapshot', 'studyFinished']);
    const listed = await client.listStudies({});
    assert.ok(listed.studies.some((s) => s.id === created.id && s.trials.length === 0 && s.completedTrials === 4));
    const csv = await exportStudy({ controller: client }, created.id, ExportFormat.EXPORT_FORMAT_CSV);
    assert.equal(csv.contentType, 'text/csv');
    assert.equal(csv.content.trimEnd().split('\n').length, 5);
    const json = await exportStudy({ controller: client }, created.id, ExportFormat.EXPORT_FORMAT_JSON);
    assert.equal(json.contentType, 'application/json');
    assert.equal(JSON.parse(json.content).trials.length, 4);
    await expectStatus(exportStudy({ controller: client }, 'no-such-study', ExportFormat.EXPORT_FORMAT_JSON), Status.NOT_FOUND, /no-such-study/);
  });

  it('ask/tell: suggests within the budget, returns pending trials to their client, scores P and activations', async () => {
    const s = await client.createStudy({ config: config({ numTrials: 4, alpha: 0.5 }) });
    const a = await client.suggestTrials({ studyId: s.id, clientId: 'A', count: 2 });
    assert.equal(a.trials.length, 2);
    const again = await client.suggestTrials({ studyId: s.id, clientId: 'A', count: 2 });
    assert.deepEqual(again.trials.map((t) => t.id), a.trials.map((t) => t.id), 'pending trials come back first');
    const b = await client.suggestTrials({ studyId: s.id, clientId: 'B', count: 5 });
    assert.equal(b.trials.length, 2, 'budget of 4 trials');
    await expectStatus(client.runStudy({ studyId: s.id })[Symbol.asyncIterator]().next(), Status.FAILED_PRECONDITION);

    // P only: the score needs TG too (P+TG), so it has no score
    const t0 = a.trials[0]!;
    const onlyP = await client.completeTrial(
      (async function* () {
        yield { message: { $case: 'header', value: { studyId: s.id, trialId: t0.id, clientId: 'A', p: 0.8 } } } as CompleteTrialRequest;
      })(),
    );
    assert.equal(onlyP.state, TrialState.TRIAL_STATE_COMPLETED);
    assert.equal(onlyP.p, 0.8);
    assert.equal(onlyP.score, undefined);

    // P and activations in 3 chunks: TG from the scorer
    const t1 = a.trials[1]!;
    const before = scoring.calls.length;
    const values = [[1, 2], [3, 4], [5, 6]];
    const withActs = await client.completeTrial(
      (async function* () {
        yield { message: { $case: 'header', value: { studyId: s.id, trialId: t1.id, clientId: 'A', p: 0.6 } } } as CompleteTrialRequest;
        for (const [i, v] of values.entries()) {
          yield { message: { $case: 'chunk', value: { layer: i === 0 ? 'conv1' : '', dtype: DType.DTYPE_FLOAT32, shape: i === 0 ? [3, 2] : [], data: f32(v) } } } as CompleteTrialRequest;
        }
      })(),
    );
    assert.equal(scoring.calls.length, before + 1);
    assert.equal(scoring.calls.at(-1)!.chunks, 3);
    assert.equal(withActs.tg, 3.5);
    assert.equal(withActs.score, 0.5 * 0.6 + 0.5 * 3.5);

    // wrong client, failure, train_here
    await expectStatus(
      client.completeTrial((async function* () {
        yield { message: { $case: 'header', value: { studyId: s.id, trialId: b.trials[0]!.id, clientId: 'A', p: 0.1 } } } as CompleteTrialRequest;
      })()),
      Status.FAILED_PRECONDITION,
    );
    const failed = await client.completeTrial((async function* () {
      yield { message: { $case: 'header', value: { studyId: s.id, trialId: b.trials[0]!.id, clientId: 'B', failure: 'out of memory' } } } as CompleteTrialRequest;
    })());
    assert.equal(failed.state, TrialState.TRIAL_STATE_FAILED);
    assert.equal(failed.error, 'out of memory');
    const trained = await client.completeTrial((async function* () {
      yield { message: { $case: 'header', value: { studyId: s.id, trialId: b.trials[1]!.id, clientId: 'B', trainHere: true } } } as CompleteTrialRequest;
    })());
    const expect = fakeScores(trained.genome, 10);
    assert.equal(trained.state, TrialState.TRIAL_STATE_COMPLETED);
    assert.equal(trained.trainer, trainer.address);
    assert.ok(Math.abs(trained.score! - (0.5 * expect.p + 0.5 * expect.tg)) < 1e-12);

    const done = await client.getStudy({ studyId: s.id });
    assert.equal(done.state, StudyState.STUDY_STATE_FINISHED);
    assert.equal(done.bestTrialId, t1.id);
    await expectStatus(client.suggestTrials({ studyId: s.id, clientId: 'A', count: 1 }), Status.FAILED_PRECONDITION);
  });

  it('ask/tell errors: header first, something to score; a failed call leaves the trial pending', async () => {
    const s = await client.createStudy({ config: config({ numTrials: 1, teacherId: 'tiny', score: ScoreKind.SCORE_KIND_TG }) });
    const [t] = (await client.suggestTrials({ studyId: s.id, clientId: 'C', count: 1 })).trials;
    await expectStatus(
      client.completeTrial((async function* () {
        yield { message: { $case: 'chunk', value: { layer: 'x', dtype: 1, shape: [1], data: f32([1]) } } } as CompleteTrialRequest;
      })()),
      Status.INVALID_ARGUMENT,
      /header/,
    );
    await expectStatus(
      client.completeTrial((async function* () {
        yield { message: { $case: 'header', value: { studyId: s.id, trialId: t!.id, clientId: 'C' } } } as CompleteTrialRequest;
      })()),
      Status.INVALID_ARGUMENT,
    );
    // the trial is still pending after the failed calls and can be completed
    const ok = await client.completeTrial((async function* () {
      yield { message: { $case: 'header', value: { studyId: s.id, trialId: t!.id, clientId: 'C' } } } as CompleteTrialRequest;
      yield { message: { $case: 'chunk', value: { layer: 'x', dtype: 1, shape: [2], data: f32([0.25, 0.75]) } } } as CompleteTrialRequest;
    })());
    assert.equal(ok.score, 0.5);
  });

  it('StopStudy stops a running study', async () => {
    const s = await client.createStudy({ config: config({ numTrials: 50, stepsPerTrial: 200 }) });
    const it = client.runStudy({ studyId: s.id })[Symbol.asyncIterator]();
    for (let e = await it.next(); !e.done; e = await it.next()) if (e.value.event?.$case === 'trialStarted') break;
    const stopped = await client.stopStudy({ studyId: s.id });
    assert.equal(stopped.state, StudyState.STUDY_STATE_STOPPED);
    let last;
    for (let e = await it.next(); !e.done; e = await it.next()) last = e.value;
    assert.equal(last?.event?.$case, 'studyFinished');
    assert.equal(stopped.trials.length, 0, 'StopStudy answers without trials');
    const { trials } = await client.listTrials({ studyId: s.id });
    assert.equal(stopped.trialCount, trials.length);
    assert.ok(trials.length < 50);
    assert.ok(trials.some((t) => t.state === TrialState.TRIAL_STATE_STOPPED));
  });
});
