// `tgsage experiment analyze` / `replay` as a user runs them (child process): files written next to the table or in
// --out, --json output, a user's strategy module, and errors that name the field at fault.

import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseJson, runCli } from '../support/cli.ts';
import { syntheticTable } from './synthetic-table.ts';

describe('tgsage experiment analyze / replay', () => {
  let dir: string;
  let tablePath: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tgsage-exp-'));
    tablePath = join(dir, 'bench.json');
    await writeFile(tablePath, JSON.stringify(syntheticTable({ seed: 9, architectures: 30, twoSeeds: 6, unfinished: 2 })));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('analyze writes JSON, HTML and a PNG next to the table and prints a summary', async () => {
    const r = await runCli(['experiment', 'analyze', tablePath, '--resamples', '50', '--folds', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /28 finished, 6 with 2\+ seeds/);
    assert.match(r.stdout, /^\s+10\s+28\s+-?\d\.\d\d \[/m);
    assert.match(r.stderr, /analyze: budget 4\/4/);
    const files = (await readdir(dir)).sort();
    assert.deepEqual(files, ['bench.analysis.html', 'bench.analysis.json', 'bench.analysis.png', 'bench.json']);
    const png = await readFile(join(dir, 'bench.analysis.png'));
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(png.readUInt32BE(16), 1240); // 2 panels of 620 px
    const html = await readFile(join(dir, 'bench.analysis.html'), 'utf8');
    assert.equal((html.match(/<svg class="chart"/g) ?? []).length, 6, 'main, each teacher layer, two scatters, better half, pick regret');
    assert.match(html, /Regret of the best of 10, kept early/);
    assert.match(html, /<h2>Keeping the best of n<\/h2>/);
    assert.match(r.stdout, /^\s+10\s+10\s+0\.\d{3}\s+\d+\.\d\d\s+\d+\.\d\d \([+-]\d+\.\d\d \[/m);
    assert.match(html, /Each teacher layer alone \(spearman\)/);
    assert.doesNotMatch(html, /<script|https?:\/\//);
    const json = JSON.parse(await readFile(join(dir, 'bench.analysis.json'), 'utf8'));
    assert.equal(json.format, 'tgsage-analysis/1');
    assert.equal(json.method.resamples, 50);
  });

  it('--json prints the analysis; --out writes elsewhere', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['--json', 'experiment', 'analyze', tablePath, '--resamples', '20', '--folds', '3', '--out', out, '--alphas', '0.5', '--pick-sizes', '5,7']);
    assert.equal(r.code, 0, r.stderr);
    const a = parseJson(r);
    assert.equal(a.budgets.length, 4);
    assert.ok(a.budgets[0].predictors.some((p: { id: string }) => p.id === 'P+TG[spearman] a=0.5 z'));
    assert.deepEqual(a.budgets[0].picks.map((x: { n: number }) => x.n), [5, 7]);
    assert.deepEqual(a.method.pickSizes, [5, 7]);
    assert.equal((await readdir(out)).length, 3);
  });

  it('replay runs a user strategy module and writes its report', async () => {
    const r = await runCli([
      'experiment', 'replay', tablePath, '--replays', '3', '--strategy-module', 'services/experiment/examples/hill-climb.ts',
      '--strategies', 'random,hill-climb', '--alphas', '0.5', '--layers', 'good', '--budget', '30', '--halving-budgets', '30,100,300;10,300', '--halving-trials', '9',
      '--analysis', join(dir, 'bench.analysis.json'),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hill-climb \/ P\+TG a=0\.5 @ 30/);
    assert.match(r.stdout, /halving 30\/100\/300 \/ TG/);
    const rep = JSON.parse(await readFile(join(dir, 'bench.replay.json'), 'utf8'));
    assert.equal(rep.format, 'tgsage-replay/1');
    assert.equal(rep.results.length, 2 * 5 + 2 * 4);
    assert.match(r.stdout, /random \/ chosen /);
    assert.match(r.stdout, /halving 10\/300 \/ P /);
    const png = await readFile(join(dir, 'bench.replay.png'));
    assert.equal(png.readUInt32BE(12), 0x49484452); // IHDR
  });

  it('errors name the field and exit 1', async () => {
    const bad = join(dir, 'bad.json');
    const t = syntheticTable({ seed: 1, architectures: 5 });
    (t.runs[2] as unknown as { curve: string }).curve = 'x';
    await writeFile(bad, JSON.stringify(t));
    const r = await runCli(['experiment', 'analyze', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: \S*bad\.json: table\.runs\[2\]\.curve: must be an array$/m);
    const r1 = await runCli(['experiment', 'analyze', tablePath, '--pick-sizes', '1']);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, /pick_sizes\[0\]: must be an integer in \[2, 100000\], got 1/);
    const r2 = await runCli(['experiment', 'replay', tablePath, '--strategies', 'nope']);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /--strategies: unknown strategy "nope"/);
    const r3 = await runCli(['experiment', 'analyze', tablePath, '--resamples', 'x']);
    assert.equal(r3.code, 1);
    assert.match(r3.stderr, /--resamples: must be an integer/);
  });
});
