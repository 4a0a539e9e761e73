// The tgsage CLI end to end, as a child process, against real teacher-cache and scorer servers on 127.0.0.1:0.
// Scores are checked against an independent float64 reference (test/cli/reference.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServices, type RunningServices } from '../../services/registry.ts';
import { resolveConfig } from '../../services/config.ts';
import { readNpy, writeNpy } from '../../clients/cli/npy.ts';
import { parseJson, runCli } from '../support/cli.ts';
import { correlationRdm, pearson, spearman, upperTriangle } from './reference.ts';

const N = 120;

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** [N, d] activations: a random linear map of a shared latent code plus noise (`noise` = 0..). */
function layer(latent: Float64Array, k: number, d: number, noise: number, seed: number, Ctor: Float32ArrayConstructor | Float64ArrayConstructor) {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const w = Float64Array.from({ length: k * d }, gauss);
  const out = new Ctor(N * d);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += latent[i * k + q]! * w[q * d + j]!;
      out[i * d + j] = Math.tanh(s / 3) + noise * gauss();
    }
  }
  return out;
}

describe('tgsage CLI against live services', () => {
  let dir: string;
  let running: RunningServices;
  let flags: string[];
  const teacher: Record<string, { data: Float32Array | Float64Array; shape: number[] }> = {};
  const candidate: Record<string, { data: Float32Array | Float64Array; shape: number[] }> = {};
  const file = (name: string) => join(dir, `${name}.npy`);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tgsage-cli-'));
    running = await runServices(['teacher-cache', 'scorer'], resolveConfig({ dataDir: join(dir, 'data'), logLevel: 'silent' }), {
      port: 0,
      signals: false,
    });
    const addr = (name: string) => running.services.find((s) => s.name === name)!.address;
    flags = ['--teacher-cache', addr('teacher-cache'), '--scorer', addr('scorer'), '--trainer', '127.0.0.1:1', '--controller', '127.0.0.1:1'];

    const r = rng(1);
    const latent = Float64Array.from({ length: N * 6 }, () => r() * 2 - 1);
    for (let i = 0; i < N; i++) latent[i * 6] = (i % 4) - 1.5; // class structure
    teacher['v4'] = { data: layer(latent, 6, 2500, 0.3, 2, Float32Array), shape: [N, 2500] }; // 1.2 MB: 2 chunks
    teacher['it'] = { data: layer(latent, 6, 50, 0.1, 3, Float64Array), shape: [N, 2, 5, 5] };
    candidate['conv1'] = { data: layer(latent, 6, 40, 3.0, 4, Float32Array), shape: [N, 40] };
    candidate['conv2'] = { data: layer(latent, 6, 300, 0.5, 5, Float64Array), shape: [N, 300] };
    candidate['fc'] = { data: layer(latent, 6, 2300, 0.2, 6, Float32Array), shape: [N, 2300] }; // > 1 MiB
    for (const [name, l] of [...Object.entries(teacher), ...Object.entries(candidate)]) await writeNpy(file(name), l.data, l.shape);
    await writeNpy(file('short'), new Float32Array(10 * 4).map((_, i) => Math.sin(i)), [10, 4]);
    await writeNpy(file('fortran'), new Float32Array(N * 3).map((_, i) => i), [N, 3], { fortranOrder: true });
  });

  after(async () => {
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const teacherLayers = () => ['v4', 'it'].flatMap((n) => ['--layer', `${n}=${file(n)}`]);
  const candidateLayers = () => ['conv1', 'conv2', 'fc'].flatMap((n) => ['--layer', `${n}=${file(n)}`]);

  it('teacher put uploads several layers in chunks, with plain progress lines when stderr is not a terminal', async () => {
    await writeFile(join(dir, 'ids.txt'), Array.from({ length: N }, (_, i) => `img${i}`).join('\n') + '\n');
    const r = await runCli([...flags, '--json', 'teacher', 'put', '--id', 'cli-t', '--description', 'from the CLI test', '--stimulus-ids', join(dir, 'ids.txt'), ...teacherLayers()]);
    assert.equal(r.code, 0, r.stderr);
    const t = parseJson(r);
    assert.equal(t.id, 'cli-t');
    assert.equal(t.numStimuli, N);
    assert.deepEqual(t.stimulusIds.slice(0, 2), ['img0', 'img1']);
    assert.deepEqual(t.layers.map((l: { name: string }) => l.name), ['v4', 'it']);
    assert.deepEqual(t.layers[1].shape, [N, 2, 5, 5]);
    assert.equal(t.layers[1].numFeatures, 50);
    assert.match(r.stderr, /sent v4 120x2500 float32 \(1\.1\d MiB\)/);
    assert.match(r.stderr, /sent it 120x2x5x5 float64/);
  });

  it('teacher list and get show it, as JSON and as text', async () => {
    const [listJson, listText, getJson, getText] = await Promise.all([
      runCli([...flags, '--json', 'teacher', 'list']),
      runCli([...flags, 'teacher', 'list']),
      runCli([...flags, '--json', 'teacher', 'get', 'cli-t']),
      runCli([...flags, 'teacher', 'get', 'cli-t']),
    ]);
    for (const r of [listJson, listText, getJson, getText]) assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseJson(listJson).teachers.map((t: { id: string }) => t.id), ['cli-t']);
    assert.match(listText.stdout, /^id\s+stimuli\s+layers/m);
    assert.match(listText.stdout, /cli-t\s+120\s+2\s+every layer\s+correlation\s+uploaded/);
    const t = parseJson(getJson);
    assert.equal(t.description, 'from the CLI test');
    assert.equal(t.rdmMethod, 'correlation');
    assert.match(getText.stdout, /^v4\s+120x2500\s+2500\s+no\s+[0-9a-f]{16}$/m);
  });

  it('score --json matches the float64 reference (correlation RDMs, Spearman)', async () => {
    const r = await runCli([...flags, '--json', 'score', '--teacher', 'cli-t', ...candidateLayers()]);
    assert.equal(r.code, 0, r.stderr);
    const s = parseJson(r);
    assert.deepEqual(s.candidateLayers, ['conv1', 'conv2', 'fc']);
    assert.deepEqual(s.teacherLayers, ['v4', 'it']);
    assert.equal(s.comparator, 'spearman');
    assert.equal(s.numStimuli, N);
    const tri = (l: { data: ArrayLike<number> }) => upperTriangle(correlationRdm(l.data, N), N);
    const tTri = Object.values(teacher).map(tri);
    const expected = Object.values(candidate).map((c) => {
      const cTri = tri(c);
      return tTri.map((t) => spearman(cTri, t));
    });
    for (let i = 0; i < 3; i++) for (let j = 0; j < 2; j++) assert.ok(Math.abs(s.matrix[i][j] - expected[i]![j]!) < 1e-4, `matrix[${i}][${j}] ${s.matrix[i][j]} vs ${expected[i]![j]}`);
    const cand = ['conv1', 'conv2', 'fc'];
    let tg = 0;
    for (let j = 0; j < 2; j++) {
      const col = expected.map((row) => row[j]!);
      const best = col.indexOf(Math.max(...col));
      assert.equal(s.best[j].teacherLayer, ['v4', 'it'][j]);
      assert.equal(s.best[j].candidateLayer, cand[best]);
      assert.ok(Math.abs(s.best[j].similarity - col[best]!) < 1e-4);
      tg += col[best]! / 2;
    }
    assert.ok(Math.abs(s.tg - tg) < 1e-4, `tg ${s.tg} vs ${tg}`);
    assert.ok(s.tg > 0.3, 'structured candidate layers should match the teacher');
  });

  it("teacher tg-layers sets the layers TG averages over; score follows them unless --teacher-layers says otherwise", async () => {
    const set = await runCli([...flags, 'teacher', 'tg-layers', 'cli-t', 'it']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout.trim(), 'teacher cli-t: TG averages over it');
    const [getText, getJson, byDefault, all] = await Promise.all([
      runCli([...flags, 'teacher', 'get', 'cli-t']),
      runCli([...flags, '--json', 'teacher', 'get', 'cli-t']),
      runCli([...flags, '--json', 'score', '--teacher', 'cli-t', ...candidateLayers()]),
      runCli([...flags, '--json', 'score', '--teacher', 'cli-t', '--teacher-layers', '*', ...candidateLayers()]),
    ]);
    assert.match(getText.stdout, /^tg layers:\s+it$/m);
    assert.deepEqual(parseJson(getJson).tgLayers, ['it']);
    assert.deepEqual(parseJson(byDefault).teacherLayers, ['it']);
    assert.deepEqual(parseJson(all).teacherLayers, ['v4', 'it']);
    const bad = await runCli([...flags, 'teacher', 'tg-layers', 'cli-t', 'V1']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /error: INVALID_ARGUMENT: tg_layers: teacher "cli-t" has no layer "V1"/);
    const neither = await runCli([...flags, 'teacher', 'tg-layers', 'cli-t']);
    assert.equal(neither.code, 1);
    assert.match(neither.stderr, /give the layers \(a,b,\.\.\.\) or --all/);
    const reset = await runCli([...flags, 'teacher', 'tg-layers', 'cli-t', '--all']);
    assert.equal(reset.stdout.trim(), 'teacher cli-t: TG averages over every layer');
  });

  it('score without --json prints the matrix with the best cells marked, and TG', async () => {
    const r = await runCli([...flags, 'score', '--teacher', 'cli-t', '--comparator', 'pearson', ...candidateLayers()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /candidate \\ teacher\s+v4\s+it/);
    assert.equal((r.stdout.match(/\d\.\d{4}\*/g) ?? []).length, 2, r.stdout);
    assert.match(r.stdout, /comparator pearson/);
    assert.match(r.stdout, /^TG = -?\d\.\d{4}$/m);
  });

  it('teacher rdm downloads an RDM equal to the reference', async () => {
    const out = join(dir, 'rdm-it.npy');
    const r = await runCli([...flags, 'teacher', 'rdm', 'cli-t', 'it', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const { header, data } = await readNpy(out);
    assert.deepEqual(header.shape, [N, N]);
    const ref = correlationRdm(teacher['it']!.data, N);
    let worst = 0;
    for (let i = 0; i < N * N; i++) worst = Math.max(worst, Math.abs(data[i]! - ref[i]!));
    assert.ok(worst < 1e-5, `max |diff| ${worst}`);
  });

  it('compare sends RDMs computed elsewhere: against its own teacher RDMs and against the cached teacher', async () => {
    const rdm = (l: { data: ArrayLike<number> }) => correlationRdm(l.data, N);
    await writeNpy(file('rdm-conv2'), rdm(candidate['conv2']!), [N, N]);
    await writeNpy(file('rdm-fc'), new Float32Array(rdm(candidate['fc']!)), [N, N]);
    await writeNpy(file('rdm-v4'), rdm(teacher['v4']!), [N, N]);
    await writeNpy(file('rdm-it'), rdm(teacher['it']!), [N, N]);
    const cand = ['--rdm', `conv2=${file('rdm-conv2')}`, '--rdm', `fc=${file('rdm-fc')}`];
    const [own, cached, bad] = await Promise.all([
      runCli([...flags, '--json', 'compare', ...cand, '--teacher-rdm', `v4=${file('rdm-v4')}`, '--teacher-rdm', `it=${file('rdm-it')}`, '--comparator', 'pearson']),
      runCli([...flags, '--json', 'compare', ...cand, '--teacher', 'cli-t']),
      runCli([...flags, 'compare', '--rdm', `x=${file('conv1')}`, '--teacher', 'cli-t']),
    ]);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(cached.code, 0, cached.stderr);
    const tri = (name: string, l: { data: ArrayLike<number> }) => [name, upperTriangle(correlationRdm(l.data, N), N)] as const;
    const c = [tri('conv2', candidate['conv2']!), tri('fc', candidate['fc']!)];
    const t = [tri('v4', teacher['v4']!), tri('it', teacher['it']!)];
    const o = parseJson(own);
    const k = parseJson(cached);
    assert.equal(o.teacherId, '');
    assert.equal(k.teacherId, 'cli-t');
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const p = pearson(c[i]![1], t[j]![1]);
        const s = spearman(c[i]![1], t[j]![1]);
        assert.ok(Math.abs(o.matrix[i][j] - p) < 1e-5, `own pearson [${i}][${j}] ${o.matrix[i][j]} vs ${p}`);
        assert.ok(Math.abs(k.matrix[i][j] - s) < 1e-4, `cached spearman [${i}][${j}] ${k.matrix[i][j]} vs ${s}`);
      }
    }
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: .*must be 120 x 120/m);
  });

  it('bad requests exit 1 with error: <CODE>: <message>', async () => {
    const [dup, unknown, mismatch, missingLayerFile, fortran, badComparator] = await Promise.all([
      runCli([...flags, 'teacher', 'put', '--id', 'cli-t', '--layer', `it=${file('it')}`]),
      runCli([...flags, 'score', '--teacher', 'nope', '--layer', `fc=${file('fc')}`]),
      runCli([...flags, 'score', '--teacher', 'cli-t', '--layer', `s=${file('short')}`]),
      runCli([...flags, 'teacher', 'put', '--id', 'x', '--layer', `a=${join(dir, 'missing.npy')}`]),
      runCli([...flags, 'teacher', 'put', '--id', 'fortran-t', '--layer', `f=${file('fortran')}`]),
      runCli([...flags, 'score', '--teacher', 'cli-t', '--comparator', 'magic', '--layer', `fc=${file('fc')}`]),
    ]);
    for (const r of [dup, unknown, mismatch, missingLayerFile, fortran, badComparator]) {
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.equal(r.stdout, '');
    }
    assert.match(dup.stderr, /^error: ALREADY_EXISTS: .*cli-t/m);
    assert.match(unknown.stderr, /^error: NOT_FOUND: .*nope/m);
    assert.match(mismatch.stderr, /^error: INVALID_ARGUMENT: .*\b(10|120)\b/m);
    assert.match(missingLayerFile.stderr, /^error: --layer a: no such file/m);
    assert.match(fortran.stderr, /^error: .*Fortran order/m);
    assert.match(badComparator.stderr, /magic/);
    const list = parseJson(await runCli([...flags, '--json', 'teacher', 'list']));
    assert.deepEqual(list.teachers.map((t: { id: string }) => t.id), ['cli-t'], 'failed uploads leave nothing behind');
  });

  it('info reports the running services and which are down', async () => {
    const r = await runCli([...flags, '--json', 'info']);
    assert.equal(r.code, 0, r.stderr);
    const up = Object.fromEntries(parseJson(r).services.map((s: { service: string; up: boolean }) => [s.service, s.up]));
    assert.deepEqual(up, { 'teacher-cache': true, scorer: true, trainer: false, 'search-controller': false });
  });

  it('teacher delete removes it; a second delete and get say NOT_FOUND', async () => {
    const del = await runCli([...flags, 'teacher', 'delete', 'cli-t']);
    assert.equal(del.code, 0, del.stderr);
    assert.match(del.stdout, /deleted teacher cli-t/);
    const [again, get] = await Promise.all([
      runCli([...flags, 'teacher', 'delete', 'cli-t']),
      runCli([...flags, 'teacher', 'get', 'cli-t']),
    ]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: NOT_FOUND: /m);
    assert.equal(get.code, 1);
    assert.match(get.stderr, /^error: NOT_FOUND: /m);
  });

  it('addresses come from TGSAGE_*_ADDR when no flag is given; an unreachable service is UNAVAILABLE', async () => {
    const env = { TGSAGE_TEACHER_CACHE_ADDR: flags[1]! };
    const ok = await runCli(['--json', 'teacher', 'list'], { env });
    assert.deepEqual(parseJson(ok).teachers, []);
    assert.equal(ok.code, 0, ok.stderr);
    // (score is not retried, so it fails at once; list would be retried with back-off first)
    const down = await runCli(['--scorer', '127.0.0.1:1', 'score', '--teacher', 'cli-t', '--layer', `it=${file('it')}`]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^error: UNAVAILABLE: /m);
  });
});
