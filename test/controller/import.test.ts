// Imported trials (CompleteTrial with a genome and no trial id) on the controller's gRPC service on 127.0.0.1:0,
// with the FAKE trainer / scorer of the other controller tests: validation, P-only / activations / train_here imports,
// the budget (imports do not count against num_trials and are not promoted), the strategies learning from them
// (evolution's population, REINFORCE's updates), and the origin in leaderboard and export.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChannel, createClient, Status, type Channel } from 'nice-grpc';
import { Genome, SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import {
  type CompleteTrialHeader,
  type CompleteTrialRequest,
  ExportFormat,
  ScoreKind,
  SearchControllerDefinition,
  type SearchControllerClient,
  StudyConfig,
  StudyState,
  TrialOrigin,
  TrialState,
} from '../../gen/tgsage/v1/search_controller.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { silentLogger } from '../../services/common/log.ts';
import { TRAINER_POOL_OVERRIDES } from '../../services/controller/main.ts';
import { sqliteStorage } from '../../services/controller/sqlite-storage.ts';
import { resolveConfig } from '../../services/config.ts';
import { sharedState } from '../../services/common/shared-state.ts';
import { runServices, type RunningServices } from '../../services/registry.ts';
import { CONVNET_SPACE, decode, encode, NASNET_SPACE, sampleDecisions } from '../../services/spaces/decisions.ts';
import { createRng } from '../../services/spaces/rng.ts';
import { runCliInProcess } from '../support/cli.ts';
import { exportStudy } from '../../clients/ts/conveniences.ts';
import { expectStatus, toArray } from '../support/grpc.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeTrainer, type FakeTrainer } from './fake-trainer.ts';
import { startFakeScoring, type FakeScoring } from './fake-scoring.ts';

let trainer: FakeTrainer;
let scoring: FakeScoring;
let running: RunningServices;
let dataDir: string;
let channel: Channel;
let client: SearchControllerClient;

before(async () => {
  trainer = await startFakeTrainer({ msPerStep: 1 });
  scoring = await startFakeScoring(['default']);
  dataDir = await mkdtemp(join(tmpdir(), 'tgsage-import-'));
  const shared = sharedState();
  shared.set(TRAINER_POOL_OVERRIDES, { healthIntervalMs: 0 });
  running = await runServices(
    ['search-controller'],
    resolveConfig({
      dataDir,
      logLevel: 'silent',
      drainTimeoutMs: 2000,
      trainerAddress: trainer.address,
      scorerAddress: scoring.scorerAddress,
      teacherCacheAddress: scoring.cacheAddress,
    }),
    { logger: silentLogger(), signals: false, port: 0, shared },
  );
  channel = createChannel(running.services[0]!.address);
  client = createClient(SearchControllerDefinition, channel);
});
after(async () => {
  channel.close();
  await running.close();
  await rm(dataDir, { recursive: true, force: true });
  await trainer.close();
  await scoring.close();
});

// P+TG unless a test says otherwise (the default score is P; these tests exercise TG)
const config = (over: Partial<StudyConfig> = {}) =>
  StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 10, numTrials: 3, seed: 1, score: ScoreKind.SCORE_KIND_P_TG, ...over });

function importing(header: Partial<CompleteTrialHeader> & { studyId: string }, chunks: number[][] = []) {
  return client.completeTrial(
    (async function* () {
      yield { message: { $case: 'header', value: { trialId: '', clientId: '', ...header } } } as CompleteTrialRequest;
      for (const [i, v] of chunks.entries()) {
        const data = new Uint8Array(new Float32Array(v).buffer);
        yield { message: { $case: 'chunk', value: { layer: i === 0 ? 'conv1' : '', dtype: DType.DTYPE_FLOAT32, shape: i === 0 ? [chunks.length, v.length] : [], data } } } as CompleteTrialRequest;
      }
    })(),
  );
}

const rng = createRng(77);
const convnet = (): Genome => decode(CONVNET_SPACE, sampleDecisions(CONVNET_SPACE, rng));
const nasnet = (): Genome => decode(NASNET_SPACE, sampleDecisions(NASNET_SPACE, rng));

describe('imported trials', () => {
  it('rejects bad imports naming the field; the service keeps serving', async () => {
    const s = await client.createStudy({ config: config() });
    await expectStatus(importing({ studyId: s.id, p: 0.5 }), Status.INVALID_ARGUMENT, /^header\.trial_id/);
    await expectStatus(importing({ studyId: s.id, genome: nasnet(), p: 0.5 }), Status.INVALID_ARGUMENT, /^header\.genome\.space.*nasnet genome/);
    await expectStatus(importing({ studyId: s.id, genome: convnet(), p: 1.5 }), Status.INVALID_ARGUMENT, /^header\.p/);
    await expectStatus(importing({ studyId: s.id, genome: convnet() }), Status.INVALID_ARGUMENT, /^header: give p/);
    await expectStatus(importing({ studyId: s.id, genome: convnet(), failure: 'x' }), Status.INVALID_ARGUMENT, /^header\.failure/);
    await expectStatus(importing({ studyId: s.id, genome: convnet(), p: 0.5, trainHere: true }), Status.INVALID_ARGUMENT, /^header\.p/);
    await expectStatus(importing({ studyId: s.id, genome: convnet(), p: 0.5, source: 'x'.repeat(129) }), Status.INVALID_ARGUMENT, /^header\.source/);
    await expectStatus(importing({ studyId: 'missing', genome: convnet(), p: 0.5 }), Status.NOT_FOUND);
    const ask = (await client.suggestTrials({ studyId: s.id, clientId: 'A', count: 1 })).trials[0]!;
    await expectStatus(importing({ studyId: s.id, trialId: ask.id, clientId: 'A', genome: convnet(), p: 0.5 }), Status.INVALID_ARGUMENT, /^header\.genome.*imports only/);
    const bad = Genome.fromPartial({ space: { $case: 'convnet', value: { layers: [], head: 0 } } });
    await expectStatus(importing({ studyId: s.id, genome: bad, p: 0.5 }), Status.INVALID_ARGUMENT, /^header\.genome\.convnet\.layers/);
    const nas = await client.createStudy({ config: config({ space: SearchSpace.SEARCH_SPACE_NASNET }) });
    const n4 = nasnet();
    (n4.space as { value: { numNormalCells: number } }).value.numNormalCells = 4; // valid, but outside the decisions
    await expectStatus(importing({ studyId: nas.id, genome: n4, p: 0.5 }), Status.INVALID_ARGUMENT, /^header\.genome\.nasnet\.num_normal_cells: 4 is valid but outside/);
    assert.equal((await client.getStudy({ studyId: s.id })).trials.length, 1, 'no failed import left a trial behind');
    await client.stopStudy({ studyId: s.id });
    await expectStatus(importing({ studyId: s.id, genome: convnet(), p: 0.5 }), Status.FAILED_PRECONDITION, /ended/);
  });

  it('seeds a study: P-only, activations and train_here imports; outside the budget; origin everywhere', async () => {
    const s = await client.createStudy({ config: config({ numTrials: 3, multiFidelity: { enabled: true, rungs: 2, eta: 3, minSteps: 0 } }) });
    const g1 = convnet();
    const a = await importing({ studyId: s.id, genome: g1, p: 0.99, source: 'team-history' });
    assert.equal(a.state, TrialState.TRIAL_STATE_COMPLETED);
    assert.equal(a.origin, TrialOrigin.TRIAL_ORIGIN_IMPORTED);
    assert.equal(a.source, 'team-history');
    assert.equal(a.score, undefined, 'P+TG needs TG');
    const b = await importing({ studyId: s.id, genome: convnet(), p: 0.5, source: 'team-history' }, [[0.25, 0.75], [0.5, 0.5]]);
    assert.equal(b.tg, 0.5); // the fake scorer's TG: the mean of the values sent
    assert.equal(b.score, 0.5 * 0.5 + 0.5 * 0.5);
    const c = await importing({ studyId: s.id, genome: convnet(), trainHere: true, clientId: 'lab' });
    assert.equal(c.state, TrialState.TRIAL_STATE_COMPLETED);
    assert.equal(c.trainer, trainer.address);
    assert.equal(c.steps, 10);
    assert.equal(c.origin, TrialOrigin.TRIAL_ORIGIN_IMPORTED);

    // now run it: three trials of its own at rung 0, then one promoted; imports neither fill the budget nor get promoted
    const events = await toArray(client.runStudy({ studyId: s.id }));
    assert.equal(events.at(-1)!.event?.$case, 'studyFinished');
    const done = await client.getStudy({ studyId: s.id });
    assert.equal(done.state, StudyState.STUDY_STATE_FINISHED);
    const by = (o: TrialOrigin) => done.trials.filter((t) => t.origin === o);
    assert.equal(by(TrialOrigin.TRIAL_ORIGIN_IMPORTED).length, 3);
    assert.equal(by(TrialOrigin.TRIAL_ORIGIN_STRATEGY).length, 3);
    assert.equal(by(TrialOrigin.TRIAL_ORIGIN_PROMOTED).length, 1);
    const promoted = by(TrialOrigin.TRIAL_ORIGIN_PROMOTED)[0]!;
    assert.ok(by(TrialOrigin.TRIAL_ORIGIN_STRATEGY).some((t) => JSON.stringify(t.genome) === JSON.stringify(promoted.genome)));
    const board = events.flatMap((e) => (e.event?.$case === 'leaderboard' ? [e.event.value] : [])).at(-1)!;
    const entry = board.entries.find((e) => e.trialId === b.id)!;
    assert.equal(entry.origin, TrialOrigin.TRIAL_ORIGIN_IMPORTED);
    assert.equal(entry.source, 'team-history');
    const csv = (await exportStudy({ controller: client }, s.id, ExportFormat.EXPORT_FORMAT_CSV)).content.trim().split('\n');
    assert.match(csv[0]!, /,origin,source$/);
    assert.equal(csv.filter((l) => l.endsWith(',imported,team-history')).length, 2);
    assert.equal(csv.filter((l) => l.endsWith(',promoted,')).length, 1);
  });

  it('evolution evolves from an imported population at once', async () => {
    const s = await client.createStudy({
      config: config({ space: SearchSpace.SEARCH_SPACE_NASNET, score: ScoreKind.SCORE_KIND_P, numTrials: 20, strategy: { strategy: { $case: 'evolution', value: { populationSize: 4, sampleSize: 4 } } } }),
    });
    const imported = [nasnet(), nasnet(), nasnet(), nasnet()];
    for (const [i, g] of imported.entries()) await importing({ studyId: s.id, genome: g, p: [0.2, 0.9, 0.4, 0.3][i]! });
    const best = encode(imported[1]!);
    const { trials } = await client.suggestTrials({ studyId: s.id, clientId: 'A', count: 3 });
    // the tournament is the whole population, so each child is the best import with one decision changed
    for (const t of trials) {
      const d = encode(t.genome!);
      assert.equal(d.filter((v, i) => v !== best[i]).length, 1, `trial ${t.number} is a one-decision mutation of the best import`);
      assert.equal(t.origin, TrialOrigin.TRIAL_ORIGIN_STRATEGY);
    }
    const control = await client.createStudy({ config: config({ space: SearchSpace.SEARCH_SPACE_NASNET, numTrials: 20, strategy: { strategy: { $case: 'evolution', value: { populationSize: 4, sampleSize: 4 } } } }) });
    const random = (await client.suggestTrials({ studyId: control.id, clientId: 'A', count: 3 })).trials;
    assert.ok(random.every((t) => encode(t.genome!).filter((v, i) => v !== best[i]).length > 1), 'without imports: random proposals');
  });

  it('REINFORCE takes an update step per imported result', async () => {
    const s = await client.createStudy({ config: config({ score: ScoreKind.SCORE_KIND_P, strategy: { strategy: { $case: 'reinforce', value: { hiddenUnits: 8, learningRate: 0, baselineDecay: 0, entropyWeight: 0 } } } }) });
    // the controller's own SQLite file, read through a second connection
    const steps = () => {
      const db = sqliteStorage(join(dataDir, 'controller.sqlite'));
      try {
        return (JSON.parse(db.getStrategyState(s.id)!) as { strategy: { adamStep: number } }).strategy.adamStep;
      } finally {
        db.close();
      }
    };
    await importing({ studyId: s.id, genome: convnet(), p: 0.3 });
    assert.equal(steps(), 1);
    await importing({ studyId: s.id, genome: convnet(), p: 0.6 });
    assert.equal(steps(), 2);
  });

  it('tgsage search import: JSON lines in order; a bad line stops it, naming the line and what was imported', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tgsage-import-'));
    try {
      const s = await client.createStudy({ config: config({ score: ScoreKind.SCORE_KIND_P }) });
      const file = join(dir, 'history.jsonl');
      const line = (g: Genome, p: number) => JSON.stringify({ genome: Genome.toJSON(g), p });
      await writeFile(file, [line(convnet(), 0.25), '', line(convnet(), 0.75)].join('\n') + '\n');
      const addr = ['--controller', running.services[0]!.address];
      const ok = await runCliInProcess([...addr, '--json', 'search', 'import', s.id, file, '--source', 'lab-2024']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.deepEqual((JSON.parse(ok.stdout) as { imported: { p: number }[] }).imported.map((t) => t.p), [0.25, 0.75]);
      const trials = (await client.getStudy({ studyId: s.id })).trials;
      assert.deepEqual(trials.map((t) => [t.origin, t.source, t.score]), [[TrialOrigin.TRIAL_ORIGIN_IMPORTED, 'lab-2024', 0.25], [TrialOrigin.TRIAL_ORIGIN_IMPORTED, 'lab-2024', 0.75]]);
      await writeFile(file, [line(convnet(), 0.5), line(convnet(), 1.5)].join('\n'));
      const bad = await runCliInProcess([...addr, 'search', 'import', s.id, file]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /history line 2: header\.p: must be in \[0, 1\].*\(1 imported before it\)/);
      await writeFile(file, '{"genome": {"convnet": {"layers": []}}, "p": 0.5}\n');
      assert.match((await runCliInProcess([...addr, 'search', 'import', s.id, file])).stderr, /history line 1: genome\.convnet\.layers/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
