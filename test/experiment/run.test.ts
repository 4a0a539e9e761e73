// `tgsage experiment run` as a user runs it (the CLI as a child process) against the REAL services in this process
// (teacher cache, scorer, trainer, controller on 127.0.0.1:0), on a tiny table: rows with Spearman and CKA from one
// scoring pass, TG checked against the matrix, the recorded genome seed re-making the genome; a re-run trains
// nothing; a larger K adds only the new rows; a different recipe and a teacher without Gram matrices are refused
// before any training; and the CLI killed with SIGKILL mid-run resumes the same study without training a pair twice.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTgsageClients, exportStudy, type TgsageClients } from '../../clients/ts/index.ts';
import type { CreateTeacherRequest } from '../../gen/tgsage/v1/teacher_cache.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { ExportFormat, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import type { BenchmarkTable } from '../../services/experiment/table.ts';
import { genomeSeed } from '../../services/experiment/plan.ts';
import { randomGenome } from '../../services/spaces/decisions.ts';
import { genomeFromJson, genomeToJson } from '../../services/spaces/json.ts';
import { activations, startRealServices, TINY_STIMULI, type RealServices } from '../controller/real-services.ts';
import { runCli, type CliResult } from '../support/cli.ts';

let services: RealServices;
let clients: TgsageClients;

before(async () => {
  services = await startRealServices(['teacher-cache', 'scorer', 'trainer', 'search-controller']);
  clients = createTgsageClients({ teacherCache: services.address['teacher-cache']!, controller: services.address['search-controller']!, trainer: services.address.trainer! });
  await clients.teacherCache.createTeacher(
    (async function* (): AsyncGenerator<CreateTeacherRequest> {
      yield { message: { $case: 'header', value: { id: 'gram', description: 'with Gram matrices', numStimuli: TINY_STIMULI, stimulusIds: [], rdmMethod: 0, storeGram: true, repetitions: false, missingRepetitions: false, ceilingSplits: 0, ceilingSeed: 0, tgLayers: [] } } };
      for (const [i, a] of [activations(3, TINY_STIMULI, 10), activations(4, TINY_STIMULI, 6)].entries()) {
        yield { message: { $case: 'chunk', value: { layer: `T${i}`, dtype: DType.DTYPE_FLOAT32, shape: [TINY_STIMULI, a.length / TINY_STIMULI], data: Buffer.from(a.buffer) } } };
      }
    })(),
  );
});
after(async () => {
  clients.close();
  await services.close();
});

const addresses = () => [
  '--controller', services.address['search-controller']!,
  '--trainer', services.address.trainer!,
  '--teacher-cache', services.address['teacher-cache']!,
];
/** A tiny recipe: small architectures, 3 steps, 50 validation images. */
const recipe = (k: number, ...more: string[]) => [
  '--architectures', String(k), '--seed', '7', '--max-mflops', '6', '--final-steps', '3', '--eval-steps', '1',
  '--num-validation', '50', '--batch-size', '8', '--teacher', 'gram', '--comparators', 'spearman,cka', ...more,
];
const run = (table: string, args: string[], json = true): Promise<CliResult> =>
  runCli([...addresses(), ...(json ? ['--json'] : []), 'experiment', 'run', table, ...args], { timeoutMs: 120_000 });
const load = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as BenchmarkTable;

function checkRow(t: BenchmarkTable, r: BenchmarkTable['runs'][number]) {
  assert.equal(genomeToJson(randomGenome('convnet', r.genomeSeed)), r.genomeKey, 'the genome seed re-makes the genome');
  assert.ok(r.flops > 0 && r.flops <= 6e6 && r.parameters > 0);
  assert.ok(r.finalP >= 0 && r.finalP <= 1);
  assert.equal(r.curve.at(-1)!.step, 3);
  assert.equal(r.curve.at(-1)!.p, r.finalP);
  assert.ok(r.wallSeconds >= r.queueSeconds && r.queueSeconds >= 0);
  for (const point of r.curve) {
    for (const c of ['spearman', 'cka_linear'] as const) {
      const s = point.similarity[c];
      assert.ok(s, `${c} at step ${point.step}`);
      assert.equal(s.matrix.length, s.candidateLayers.length);
      for (const row of s.matrix) {
        assert.equal(row.length, t.teacher.layers.length);
        for (const v of row) assert.ok(c === 'cka_linear' ? v >= -1e-9 && v <= 1 + 1e-9 : v >= -1 && v <= 1, `${c} value ${v}`);
      }
      // TG = mean over teacher layers of the best candidate layer, from the matrix
      const tg = t.teacher.layers.reduce((sum, _, j) => sum + Math.max(...s.matrix.map((row) => row[j]!)), 0) / t.teacher.layers.length;
      assert.ok(Math.abs(tg - s.tg) < 1e-12, `${c} TG ${s.tg} vs ${tg}`);
    }
    assert.notDeepEqual(point.similarity.spearman!.matrix, point.similarity.cka_linear!.matrix);
  }
}

describe('tgsage experiment run (real services)', () => {
  it('makes a table, re-runs without training, extends it by one architecture, refuses another recipe', async () => {
    const path = join(services.dir, 'table.json');
    const first = await run(path, recipe(2, '--second-seed-subset', '1', '--parallelism', '2'));
    assert.equal(first.code, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.equal(summary.planned, 3);
    assert.equal(summary.done, 3);
    assert.equal(summary.added, 3);
    assert.match(first.stderr, /\[\d+\/3 rows, ETA [^\]]+\]/);
    const t = await load(path);
    assert.equal(t.format, 'tgsage-benchmark/1');
    assert.deepEqual(t.teacher.layers, ['T0', 'T1']);
    assert.deepEqual(t.comparators, ['spearman', 'cka_linear']);
    assert.deepEqual(t.training.evalSteps, [1, 3]);
    assert.equal(t.dataset.numValidation, 50);
    assert.deepEqual(t.runs.map((r) => [r.architecture, r.trainingSeed]), [[0, 0], [0, 1], [1, 0]]);
    assert.equal(t.runs[0]!.genomeKey, t.runs[1]!.genomeKey);
    assert.notEqual(t.runs[0]!.genomeKey, t.runs[2]!.genomeKey);
    assert.equal(t.runs[0]!.genomeSeed, genomeSeed(7, t.runs[0]!.genomeSeed - 7 * 1_000_003));
    for (const r of t.runs) checkRow(t, r);
    // the study is an ordinary controller study: its trials carry their own training seeds
    const study = await clients.controller.getStudy({ studyId: summary.studies[0] });
    assert.deepEqual(study.trials.map((x) => x.trainingSeed).sort(), [0, 0, 1]);
    const watched = [];
    for await (const e of clients.controller.watchStudy({ studyId: summary.studies[0] })) watched.push(e.event?.$case);
    assert.deepEqual([watched[0], watched.at(-1)], ['snapshot', 'studyFinished'], 'watchable like any study');
    const csv = (await exportStudy(clients, summary.studies[0]!, ExportFormat.EXPORT_FORMAT_CSV)).content.split('\n');
    assert.match(csv[0]!, /,training_seed,/);

    // `describe` and `train --random-genome --genome-seed G --seed S` re-make a row without the experiment
    const row = t.runs[1]!;
    const described = await runCli([...addresses(), '--json', 'describe', '--random-genome', '--genome-seed', String(row.genomeSeed)]);
    assert.equal(described.code, 0, described.stderr);
    const d = JSON.parse(described.stdout);
    assert.deepEqual([d.parameterCount, d.flops, genomeToJson(genomeFromJson(d.genome))], [row.parameters, row.flops, row.genomeKey]);
    const trained = await runCli([...addresses(), '--json', 'train', '--random-genome', '--genome-seed', String(row.genomeSeed), '--seed', String(row.trainingSeed),
      '--steps', '3', '--eval-steps', '1', '--num-validation', '50', '--batch-size', '8', '--teacher', 'gram', '--stimuli', String(TINY_STIMULI)]);
    assert.equal(trained.code, 0, trained.stderr);
    const tr = JSON.parse(trained.stdout);
    assert.equal(genomeToJson(genomeFromJson(tr.genome)), row.genomeKey);
    assert.deepEqual(tr.curve.map((c: { validationAccuracy: number }) => c.validationAccuracy), row.curve.map((c) => c.p), 'same genome and training seed, same curve');
    assert.ok(tr.queueSeconds >= 0 && tr.trainSeconds > 0 && tr.wallSeconds >= tr.queueSeconds + tr.trainSeconds);

    const again = await run(path, recipe(2, '--second-seed-subset', '1'));
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).added, 0);
    assert.deepEqual(JSON.parse(again.stdout).studies, [], 'no study for a complete table');
    assert.deepEqual((await load(path)).runs, t.runs);

    const more = await run(path, recipe(3, '--second-seed-subset', '1'));
    assert.equal(more.code, 0, more.stderr);
    assert.equal(JSON.parse(more.stdout).added, 1);
    const t3 = await load(path);
    assert.deepEqual(t3.runs.slice(0, 3), t.runs, 'earlier rows kept as they were');
    assert.deepEqual(t3.runs.map((r) => [r.architecture, r.trainingSeed]), [[0, 0], [0, 1], [1, 0], [2, 0]]);
    checkRow(t3, t3.runs[3]!);
    assert.equal(t3.provenance.length, 3);

    const other = await run(path, recipe(3, '--batch-size', '16'), false);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /another recipe[\s\S]*training\.batchSize: the table has 8, this run 16/);
    assert.deepEqual((await load(path)).runs, t3.runs);
  });

  it('refuses CKA with a teacher stored without Gram matrices, before anything is written or trained', async () => {
    const path = join(services.dir, 'nogram.json');
    const r = await run(path, [...recipe(1), '--teacher', 'tiny'], false);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /teacher "tiny" has no Gram matrices for layers L0, which cka_linear need/);
    await assert.rejects(stat(path), /ENOENT/);
  });

  it('resumes after the CLI is killed with SIGKILL: same study, no pair trained twice, rows kept', async () => {
    const path = join(services.dir, 'killed.json');
    const args = [...addresses(), 'experiment', 'run', path, ...recipe(3, '--seeds', '0', '--parallelism', '1')];
    const child = spawn(process.execPath, ['--import', 'tsx', 'clients/cli/main.ts', ...args], { stdio: 'ignore' });
    // kill it as soon as the table has its first row
    let before: BenchmarkTable | undefined;
    for (let i = 0; i < 600 && !before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const t = await load(path).catch(() => undefined);
      if (t && t.runs.length > 0) before = t;
    }
    child.kill('SIGKILL');
    assert.ok(before, 'a first row within 60 s');
    const again = await run(path, recipe(3, '--seeds', '0'));
    assert.equal(again.code, 0, again.stderr);
    const t = await load(path);
    assert.equal(t.runs.length, 3);
    for (const r of before.runs) assert.deepEqual(t.runs.find((x) => x.trialId === r.trialId), r, 'a row from before the kill is unchanged');
    const studies = [...new Set(t.runs.map((r) => r.studyId))];
    assert.equal(studies.length, 1, 'the re-run followed the study the killed run had started');
    const study = await clients.controller.getStudy({ studyId: studies[0]! });
    assert.equal(study.trials.filter((x) => x.state === TrialState.TRIAL_STATE_COMPLETED).length, 3, 'each pair trained once');
  });
});
