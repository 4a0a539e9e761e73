// A study too large for one gRPC message (hundreds of trials with RDM previews): GetStudy refuses its full view with a
// status that says what to do, ListTrials pages it within 4 MiB per response, WatchStudy splits its snapshot, and the
// TS, CLI and Python readers put it back together. Real controller on 127.0.0.1:0; the trials are written to its
// SQLite store as a long study's runner would have left them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createChannel, createClient, Status, type Channel } from 'nice-grpc';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import {
  ListTrialsResponse,
  ScoreKind,
  SearchControllerDefinition,
  type SearchControllerClient,
  Study,
  StudyConfig,
  StudyEvent,
  StudyView,
  Trial,
  TrialState,
} from '../../gen/tgsage/v1/search_controller.ts';
import { getStudyWithTrials, listAllTrials } from '../../clients/ts/conveniences.ts';
import { MAX_RESPONSE_BYTES, packBySize } from '../../services/common/pages.ts';
import { sqliteStorage } from '../../services/controller/sqlite-storage.ts';
import { randomGenome } from '../../services/spaces/decisions.ts';
import { expectStatus } from '../support/grpc.ts';
import { parseJson, REPO_ROOT, runCli } from '../support/cli.ts';
import { startController, type StartedController } from './real-services.ts';
import { startFakeScoring, type FakeScoring } from './fake-scoring.ts';
import { startFakeTrainer, type FakeTrainer } from './fake-trainer.ts';

const N = 220;
const run = promisify(execFile);

/** A completed trial as a curve study stores it: three 64x64 RDM previews (~49 KB), P and a score. */
function bigTrial(studyId: string, number: number): Trial {
  const preview = (layer: string) => {
    const data = new Float32Array(64 * 64).map((_, i) => Math.sin(number * 7919 + i));
    return { layer, size: 64, data: Buffer.from(data.buffer) };
  };
  const p = ((number * 37) % 101) / 101;
  return Trial.fromPartial({
    id: `${studyId}-t${number}`,
    studyId,
    number,
    genome: randomGenome(SearchSpace.SEARCH_SPACE_CONVNET, number),
    state: TrialState.TRIAL_STATE_COMPLETED,
    p,
    score: p,
    steps: 2000,
    rdmPreviews: [preview('conv1'), preview('conv2'), preview('fc')],
    curve: [100, 200, 400, 1000, 2000].map((step) => ({ step, validationAccuracy: p * (step / 2000) })),
    createdAt: new Date(1_700_000_000_000 + number * 1000),
    finishedAt: new Date(1_700_000_000_500 + number * 1000),
  });
}

let trainer: FakeTrainer;
let scoring: FakeScoring;
let running: StartedController;
let channel: Channel;
let client: SearchControllerClient;
let studyId: string;
let stored: Trial[];

before(async () => {
  trainer = await startFakeTrainer({ msPerStep: 3 });
  scoring = await startFakeScoring(['default']);
  running = await startController({ trainers: [trainer.address], scorer: scoring.scorerAddress, teacherCache: scoring.cacheAddress });
  channel = createChannel(running.address);
  client = createClient(SearchControllerDefinition, channel);
  const config = StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 2000, numTrials: N, seed: 1, score: ScoreKind.SCORE_KIND_P });
  studyId = (await client.createStudy({ config, studyId: 'large' })).id;
  const storage = sqliteStorage(join(running.dataDir, 'controller.sqlite'));
  stored = Array.from({ length: N }, (_, i) => bigTrial(studyId, i));
  storage.putTrials(studyId, stored);
  storage.close();
});
after(async () => {
  channel.close();
  await running.close();
  await trainer.close();
  await scoring.close();
});

const ids = (trials: readonly Trial[]) => trials.map((t) => t.id);
const bestId = () => [...stored].sort((a, b) => b.score! - a.score! || a.number - b.number)[0]!.id;

describe('a study larger than one message', () => {
  it('is larger than 8 MiB, so the test means something', () => {
    const bytes = Study.encode({ ...Study.fromPartial({ id: studyId }), trials: stored }).finish().length;
    assert.ok(bytes > 2 * MAX_RESPONSE_BYTES, `${bytes} bytes`);
  });

  it('GetStudy refuses the full view, naming the field and the way out; the basic view answers', async () => {
    await expectStatus(client.getStudy({ studyId }), Status.FAILED_PRECONDITION, /^view: .*220 trials.*ListTrials/);
    await expectStatus(client.getStudy({ studyId, view: StudyView.STUDY_VIEW_FULL }), Status.FAILED_PRECONDITION, /^view/);
    await expectStatus(client.getStudy({ studyId, view: 7 as StudyView }), Status.INVALID_ARGUMENT, /view/);
    const basic = await client.getStudy({ studyId, view: StudyView.STUDY_VIEW_BASIC });
    assert.equal(basic.trials.length, 0);
    assert.equal(basic.completedTrials, N);
    assert.equal(basic.trialCount, N);
    assert.equal(basic.bestTrialId, bestId());
  });

  it('ListTrials pages it in number order, each response within 4 MiB, with none lost or repeated', async () => {
    const seen: Trial[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await client.listTrials({ studyId, pageSize: 1000, pageToken: token });
      const bytes = ListTrialsResponse.encode(page).finish().length;
      assert.ok(bytes <= MAX_RESPONSE_BYTES, `page of ${bytes} bytes`);
      assert.ok(page.trials.length > 0);
      seen.push(...page.trials);
      token = page.nextPageToken;
      pages++;
    } while (token);
    assert.ok(pages >= 3, `${pages} pages`);
    assert.deepEqual(ids(seen), ids(stored));
    const bytes = (t: Trial) => Buffer.from(Trial.encode(t).finish());
    assert.ok(bytes(seen[123]!).equals(bytes(stored[123]!)), 'a trial comes back as stored (genome, previews, curve, times)');
    // page_size still caps a page
    const small = await client.listTrials({ studyId, pageSize: 7 });
    assert.deepEqual(small.trials.map((t) => t.number), [0, 1, 2, 3, 4, 5, 6]);
    const next = await client.listTrials({ studyId, pageSize: 7, pageToken: small.nextPageToken });
    assert.equal(next.trials[0]!.number, 7);
    assert.deepEqual(ids(await listAllTrials({ controller: client }, studyId)), ids(stored));
    const whole = await getStudyWithTrials({ controller: client }, studyId);
    assert.deepEqual(ids(whole.trials), ids(stored));
    assert.equal(whole.bestTrialId, bestId());
  });

  it('ListTrials rejects bad input by field; an unknown study is NOT_FOUND', async () => {
    await expectStatus(client.listTrials({}), Status.INVALID_ARGUMENT, /^study_id/);
    await expectStatus(client.listTrials({ studyId: 'nope' }), Status.NOT_FOUND, /nope/);
    await expectStatus(client.listTrials({ studyId, pageSize: 5000 }), Status.INVALID_ARGUMENT, /^page_size/);
    await expectStatus(client.listTrials({ studyId, pageToken: 'not-a-token' }), Status.INVALID_ARGUMENT, /^page_token/);
    // a token of another listing (ListStudies) is not silently an empty page
    const studyToken = Buffer.from(JSON.stringify({ after: 's-0123456789ab' })).toString('base64url');
    await expectStatus(client.listTrials({ studyId, pageToken: studyToken }), Status.INVALID_ARGUMENT, /^page_token/);
    // a token past the end (trials are never removed) is the empty last page
    const pastEnd = Buffer.from(JSON.stringify({ after: '100000' })).toString('base64url');
    assert.deepEqual(await client.listTrials({ studyId, pageToken: pastEnd }), { trials: [], nextPageToken: '' });
  });

  it('WatchStudy sends the snapshot in pieces within 4 MiB that join to every trial, before any other event', async () => {
    const abort = new AbortController();
    const pieces: StudyEvent[] = [];
    let joined: Trial[] = [];
    try {
      for await (const e of client.watchStudy({ studyId }, { signal: abort.signal })) {
        pieces.push(e);
        assert.ok(StudyEvent.encode(e).finish().length <= MAX_RESPONSE_BYTES);
        const ev = e.event!;
        assert.ok(ev.$case === 'snapshot' || ev.$case === 'snapshotTrials', `unexpected ${ev.$case}`);
        assert.equal(ev.$case === 'snapshot', pieces.length === 1, 'the snapshot comes first, once');
        joined = [...joined, ...ev.value.trials];
        if (joined.length === N) break;
      }
    } finally {
      abort.abort();
    }
    assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
    assert.deepEqual(ids(joined), ids(stored));
    const snap = pieces[0]!.event;
    assert.ok(snap?.$case === 'snapshot');
    assert.equal(snap.value.completedTrials, N, 'the snapshot counts every trial, not only those it carries');
    assert.equal(snap.value.trialCount, N, 'and says how many trials make it whole');
    assert.ok(snap.value.trials.length < N);
  });

  it('the Python client reads it whole (get, trials, watch) with gRPC default limits', async () => {
    const script = `
import json, sys
from tgsage_client import ControllerClient
ctl = ControllerClient()
s = ctl.get(sys.argv[1])
first = next(iter(ctl.watch(sys.argv[1])))
print(json.dumps({"get": [t.id for t in s.trials], "best": s.best_trial_id, "completed": s.completed_trials,
  "count": ctl.get(sys.argv[1], trials=False).trial_count,
  "iter": sum(1 for _ in ctl.trials(sys.argv[1], page_size=50)), "watch_kind": first.kind,
  "watch": [t.id for t in first.study.trials], "listed": [x.id for x in ctl.list()]}))
`;
    const env = { ...process.env, TGSAGE_CONTROLLER_ADDR: running.address, PYTHONPATH: join(REPO_ROOT, 'clients/python'), PYTHONDONTWRITEBYTECODE: '1' };
    const { stdout } = await run('/usr/bin/python3', ['-c', script, studyId], { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024 });
    const py = JSON.parse(stdout) as { get: string[]; best: string; completed: number; count: number; iter: number; watch_kind: string; watch: string[]; listed: string[] };
    assert.deepEqual(py.get, ids(stored));
    assert.equal(py.best, bestId());
    assert.equal(py.completed, N);
    assert.equal(py.count, N);
    assert.equal(py.iter, N);
    assert.equal(py.watch_kind, 'snapshot');
    assert.deepEqual(py.watch, ids(stored), 'the watch joins snapshot_trials into the snapshot');
    assert.deepEqual(py.listed, [studyId]);
  });
});

describe('a large study, stopped', () => {
  it('the CLI and the Python example follow it to its end and print every trial', async () => {
    assert.equal((await client.stopStudy({ studyId })).trialCount, N);
    const cli = await runCli(['--controller', running.address, '--json', 'search', 'watch', studyId], { timeoutMs: 120_000 });
    assert.equal(cli.code, 1, cli.stderr); // a stopped study is not finished
    const out = parseJson<{ trials: number; completedTrials: number; leaderboard: unknown[] }>(cli);
    assert.equal(out.trials, N);
    assert.equal(out.completedTrials, N);
    assert.ok(out.leaderboard.length >= 10);
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' };
    const { stdout } = await run('/usr/bin/python3', ['clients/python/examples/watch_study.py', studyId, '--controller', running.address], { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024 });
    const lines = stdout.trim().split('\n');
    assert.equal(lines[0], `snapshot: ${N} trials, ${N} completed`);
    assert.match(lines[1]!, /^snapshot: \d+ more trials$/);
    assert.equal(lines.filter((l) => /^ *\d+  trial +\d+  score/.test(l)).length, N, 'a leaderboard line per trial');
  });
});

describe('packBySize', () => {
  it('keeps order, respects the limit, gives an oversized item a run of its own, and leaves room in the first', () => {
    const size = (x: number) => x;
    assert.deepEqual(packBySize([], size, 10), [[]]);
    assert.deepEqual(packBySize([3, 3, 3, 3], size, 10), [[3, 3, 3], [3]]);
    assert.deepEqual(packBySize([12, 1, 1], size, 10), [[12], [1, 1]]);
    assert.deepEqual(packBySize([1, 12, 1], size, 10), [[1], [12], [1]]);
    assert.deepEqual(packBySize([3, 3, 3], size, 10, 5), [[3], [3, 3, 3].slice(1)]);
    assert.deepEqual(packBySize([6, 1], size, 10, 5), [[], [6, 1]], 'the first item does not fit beside the other fields');
    // every run within the limit (but an oversized single item), concatenation = input
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const items = Array.from({ length: Math.floor(rand() * 30) }, () => 1 + Math.floor(rand() * 12));
      const taken = Math.floor(rand() * 4);
      const runs = packBySize(items, size, 10, taken);
      assert.deepEqual(runs.flat(), items);
      runs.forEach((r, i) => {
        const total = r.reduce((a, b) => a + b, 0) + (i === 0 ? taken : 0);
        assert.ok(total <= 10 || r.length === 1, `run ${i} of ${JSON.stringify(runs)}`);
        if (i > 0) assert.ok(r.length > 0);
      });
    }
  });
});
