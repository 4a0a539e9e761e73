// The trainer's CLI commands as a user runs them, against real services on 127.0.0.1:0: `tgsage data export`,
// `tgsage teacher compute` (the shipped teacher on a 100-stimulus set), `tgsage train --json` and its errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson, runCli } from '../support/cli.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';
import { startTrainer, type RunningTrainer } from './harness.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let services: TestServices;
let trainer: RunningTrainer;
let addr: string[];

before(async () => {
  dir = await tempDir('tgsage-trainer-cli-');
  services = await startServices(['teacher-cache', 'scorer'], { dataDir: join(dir.path, 'data'), trainer: { backend: 'wasm' } });
  trainer = await startTrainer({}, {
    scorerAddress: services.address('scorer'),
    teacherCacheAddress: services.address('teacher-cache'),
    trainer: { backend: 'wasm' },
  });
  addr = ['--teacher-cache', services.address('teacher-cache'), '--scorer', services.address('scorer'), '--trainer', trainer.address];
});
after(async () => {
  await trainer?.close();
  await services?.close();
  await dir?.remove();
});

test('data export writes the stimulus set as .npy (class-ordered labels)', async () => {
  const out = join(dir.path, 'stimuli.npy');
  const labels = join(dir.path, 'labels.npy');
  const r = await runCli(['--json', 'data', 'export', '--split', 'stimuli', '--stimuli', '100', '--out', out, '--labels', labels]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(parseJson(r).shape, [100, 28, 28, 1]);
  const bytes = readFileSync(labels);
  const headerLen = bytes.readUInt16LE(8);
  const l = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLen, bytes.byteOffset + bytes.byteLength));
  assert.equal(l.length, 100);
  assert.deepEqual([...l], [...l].sort((a, b) => a - b), 'ordered by class');
});

test('teacher compute, then train --json against it; errors exit 1 with the status', async () => {
  // the teacher cache loads models only from its data directory's models area
  cpSync('teachers/default', join(dir.path, 'data', 'models', 'shipped'), { recursive: true });
  const c = await runCli([...addr, '--json', 'teacher', 'compute', '--id', 'shipped100', '--model', 'shipped', '--stimuli', '100'], { timeoutMs: 120_000 });
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(parseJson(c).layers.map((l: { name: string }) => l.name), ['stem', 's1b1', 's2b1', 's3b1', 'pool']);
  const genome = join(dir.path, 'g.json');
  writeFileSync(genome, JSON.stringify({ convnet: { layers: [{ filters: 16, kernelSize: 3, downsample: 'max_pool' }, { filters: 16, kernelSize: 3, downsample: 'max_pool' }], head: 'flatten' } }));
  const t = await runCli([...addr, '--json', 'train', '--genome', genome, '--steps', '30', '--batch-size', '32', '--stimuli', '100', '--teacher', 'shipped100'], { timeoutMs: 120_000 });
  assert.equal(t.code, 0, t.stderr);
  const result = parseJson(t);
  assert.ok(result.validationAccuracy > 0.5, `P = ${result.validationAccuracy}`);
  assert.equal(typeof result.tg, 'number');
  assert.deepEqual(result.similarity.teacherLayers, ['stem', 's1b1', 's2b1', 's3b1', 'pool']);
  assert.deepEqual(result.representationLayers, ['conv0', 'conv1']);
  assert.match(t.stderr, /training step/);
  const bad = await runCli([...addr, 'train', '--genome', genome, '--steps', '30', '--stimuli', '100', '--teacher', 'nobody']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /NOT_FOUND: unknown teacher nobody/);
  const mismatch = await runCli([...addr, 'train', '--genome', genome, '--steps', '30', '--teacher', 'shipped100']);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /FAILED_PRECONDITION: teacher shipped100 has 100 stimuli/);
  // tg layers: a bad list is refused before the forward pass; a good one is the default of train's TG
  const badTg = await runCli([...addr, 'teacher', 'compute', '--id', 'tg100', '--model', 'shipped', '--stimuli', '100', '--tg-layers', 'pool,IT']);
  assert.equal(badTg.code, 1);
  assert.match(badTg.stderr, /INVALID_ARGUMENT: tg_layers: teacher "tg100" has no layer "IT"/);
  const tg = await runCli([...addr, '--json', 'teacher', 'compute', '--id', 'tg100', '--model', 'shipped', '--stimuli', '100', '--tg-layers', 'pool,s3b1'], { timeoutMs: 120_000 });
  assert.equal(tg.code, 0, tg.stderr);
  assert.deepEqual(parseJson(tg).tgLayers, ['s3b1', 'pool']);
  const [byDefault, named] = await Promise.all(
    [[], ['--teacher-layers', 'stem']].map((extra) =>
      runCli([...addr, '--json', 'train', '--genome', genome, '--steps', '5', '--batch-size', '32', '--stimuli', '100', '--teacher', 'tg100', ...extra], { timeoutMs: 120_000 })),
  );
  assert.deepEqual(parseJson(byDefault!).similarity.teacherLayers, ['s3b1', 'pool']);
  assert.deepEqual(parseJson(named!).similarity.teacherLayers, ['stem']);
});
