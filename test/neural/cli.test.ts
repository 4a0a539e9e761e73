// The CLI with brain recordings, as a child process against real servers on 127.0.0.1:0: `teacher put
// --repetitions-axis` (axis 0 and a moved axis give the same teacher), `teacher get/list` showing ceilings, `score
// --bootstrap` (JSON and text), and clear errors for bad flags.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeNpy } from '../../clients/cli/npy.ts';
import { resolveConfig } from '../../services/config.ts';
import { runServices, type RunningServices } from '../../services/registry.ts';
import { parseJson, runCli as run } from '../support/cli.ts';
import { mixed, randomMatrix } from '../support/reference.ts';

// child processes start slowly on a busy machine
const runCli = (args: readonly string[]) => run(args, { timeoutMs: 180_000 });

const N = 20;
const R = 4;
const S = 10;

describe('tgsage CLI with brain recordings', () => {
  let dir: string;
  let running: RunningServices;
  let flags: string[];
  const file = (name: string) => join(dir, `${name}.npy`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tgsage-neural-cli-'));
    running = await runServices(['teacher-cache', 'scorer'], resolveConfig({ dataDir: join(dir, 'data'), logLevel: 'silent' }), { port: 0, signals: false });
    const addr = (name: string) => running.services.find((s) => s.name === name)!.address;
    flags = ['--teacher-cache', addr('teacher-cache'), '--scorer', addr('scorer')];
    const signal = randomMatrix(N, S, 1);
    const noise = randomMatrix(R * N, S, 2);
    const reps = new Float32Array(R * N * S); // [R, N, S]
    for (let r = 0; r < R; r++) for (let t = 0; t < N * S; t++) reps[r * N * S + t] = signal[t]! + 0.5 * noise[r * N * S + t]!;
    const moved = new Float32Array(R * N * S); // [N, R, S]
    for (let r = 0; r < R; r++) for (let i = 0; i < N; i++) for (let f = 0; f < S; f++) moved[(i * R + r) * S + f] = reps[(r * N + i) * S + f]!;
    await writeNpy(file('reps'), reps, [R, N, S]);
    await writeNpy(file('moved'), moved, [N, R, S]);
    await writeNpy(file('cand'), mixed(signal, N, S, 12, 0.3, 3), [N, 12]);
  });
  after(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('teacher put --repetitions-axis: axis 0 and a moved axis store the same teacher, shown by get and list', async () => {
    const a = parseJson(await runCli([...flags, '--json', 'teacher', 'put', '--id', 'rec0', '--layer', `IT=${file('reps')}`, '--repetitions-axis', '0', '--ceiling-splits', '6']));
    const b = parseJson(await runCli([...flags, '--json', 'teacher', 'put', '--id', 'rec1', '--layer', `IT=${file('moved')}`, '--repetitions-axis', '1', '--ceiling-splits', '6']));
    assert.equal(a.layers[0].rdmSha256, b.layers[0].rdmSha256, 'the same mean RDM');
    assert.deepEqual(a.layers[0].ceilings, b.layers[0].ceilings, 'the same ceilings');
    assert.equal(a.repetitions, true);
    assert.equal(a.layers[0].repetitions, R);
    assert.deepEqual(a.layers[0].ceilings.map((c: { comparator: string }) => c.comparator), ['spearman', 'pearson', 'kendall', 'cosine']);
    const get = await runCli([...flags, 'teacher', 'get', 'rec0']);
    assert.match(get.stdout, /noise ceilings/);
    assert.match(get.stdout, new RegExp(`IT\\s+${R}\\s+0\\s+spearman\\s+${a.layers[0].ceilings[0].splitHalf.toFixed(4)}`));
    const list = await runCli([...flags, 'teacher', 'list']);
    assert.match(list.stdout, new RegExp(`rec0 .*IT ${a.layers[0].ceilings[0].splitHalf.toFixed(3)}`));
  });

  it('score --bootstrap prints intervals, p(best), ceilings and both TGs', async () => {
    const json = parseJson(await runCli([...flags, '--json', 'score', '--teacher', 'rec0', '--layer', `c=${file('cand')}`, '--bootstrap', '40', '--seed', '2']));
    assert.equal(json.bootstrap.resamples, 40);
    assert.ok(json.bootstrap.tg[0] <= json.tg && json.tg <= json.bootstrap.tg[1]);
    assert.ok(Math.abs(json.tgNormalized - json.tg / json.ceilings[0]) < 1e-12);
    assert.equal(json.best[0].pBest, 1);
    const text = await runCli([...flags, 'score', '--teacher', 'rec0', '--layer', `c=${file('cand')}`, '--bootstrap', '40', '--seed', '2']);
    assert.match(text.stdout, /TG \(ceiling-normalised\) = [\d.]+ \[[\d.]+, [\d.]+\]/);
    assert.match(text.stdout, /p\(best\) 1\.000; ceiling/);
    assert.match(text.stdout, /95% bootstrap intervals over 40 resamples of the stimuli, seed 2/);
  });

  it('bad flags fail with a message naming them', async () => {
    const a = await runCli([...flags, 'teacher', 'put', '--id', 'x', '--layer', `IT=${file('reps')}`, '--repetitions-axis', '3']);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /--repetitions-axis: 3 is not an axis/);
    const b = await runCli([...flags, 'teacher', 'put', '--id', 'x', '--layer', `IT=${file('reps')}`, '--missing-repetitions']);
    assert.match(b.stderr, /--missing-repetitions needs --repetitions-axis/);
    const c = await runCli([...flags, 'score', '--teacher', 'rec0', '--layer', `c=${file('cand')}`, '--bootstrap', 'many']);
    assert.match(c.stderr, /--bootstrap: expected a non-negative integer/);
    const d = await runCli([...flags, 'score', '--teacher', 'rec0', '--layer', `c=${file('cand')}`, '--bootstrap', '10', '--comparator', 'kendall']);
    assert.match(d.stderr, /INVALID_ARGUMENT.*header\.bootstrap/);
  });
});
