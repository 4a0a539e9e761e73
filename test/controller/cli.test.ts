// `tgsage search run|list|export|watch` as a child process against an in-process controller with a FAKE trainer and
// FAKE scorer / teacher cache (test doubles); checks the --json leaderboard independently.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startController, type StartedController } from './real-services.ts';
import { fakeScores, startFakeTrainer, type FakeTrainer } from './fake-trainer.ts';
import { startFakeScoring, type FakeScoring } from './fake-scoring.ts';
import { genomeFromJson } from '../../services/spaces/json.ts';

let trainer: FakeTrainer;
let scoring: FakeScoring;
let running: StartedController;

before(async () => {
  trainer = await startFakeTrainer();
  scoring = await startFakeScoring();
  running = await startController({ trainers: [trainer.address], scorer: scoring.scorerAddress, teacherCache: scoring.cacheAddress });
});
after(async () => {
  await running.close();
  await trainer.close();
  await scoring.close();
});

function tgsage(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'clients/cli/main.ts', '--controller', `127.0.0.1:${running.port}`, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('tgsage search', () => {
  it('runs a search and prints the ranked leaderboard as JSON; list, export and watch work on it', async () => {
    const r = await tgsage('--json', 'search', 'run', '--space', 'convnet', '--strategy', 'evolution', '--trials', '4', '--steps', '6', '--score', 'ptg', '--alpha', '0.3', '--seed', '2');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.state, 'finished');
    assert.equal(out.leaderboard.length, 4);
    const expected = out.leaderboard.map((row: { genome: unknown }) => {
      const { p, tg } = fakeScores(genomeFromJson(row.genome), 6);
      return 0.7 * p + 0.3 * tg;
    });
    out.leaderboard.forEach((row: { score: number; rank: number }, i: number) => {
      assert.ok(Math.abs(row.score - expected[i]) < 1e-12);
      assert.equal(row.rank, i + 1);
      if (i > 0) assert.ok(out.leaderboard[i - 1].score >= row.score);
    });

    const list = await tgsage('search', 'list');
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${out.study}\\s.*finished\\s+4/4`));
    const csv = await tgsage('search', 'export', out.study, '--format', 'csv');
    assert.equal(csv.stdout.trimEnd().split('\n').length, 5);
    const watch = await tgsage('search', 'watch', out.study);
    assert.equal(watch.code, 0, watch.stderr);
    assert.match(watch.stdout, /rank\s+trial\s+score/);
    const report = await tgsage('--teacher-cache', scoring.cacheAddress, 'report', out.study);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /^<!doctype html>/i);
    assert.ok(report.stdout.includes(out.study));
    assert.ok(report.stdout.includes('<svg'), 'charts inline');
  });

  it('reports a bad flag value with the field the controller names', async () => {
    const r = await tgsage('search', 'run', '--trials', '2', '--steps', '5', '--alpha', '3');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_ARGUMENT: alpha/);
  });
});
