// The experiment's pure parts: deterministic, distinct, capped architecture sampling that extends by prefix; seed
// plans; the table's recipe check, row replacement and coverage; a trial's similarity (and its `also` comparators)
// as table matrices in the teacher's column order; atomic writes that read back equal, one row per line.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { Trial, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import { Comparator, SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import { genomeSeed, plannedPairs, sampleArchitectures, SamplingError, type Architecture } from '../../services/experiment/plan.ts';
import { TABLE_FORMAT, tgOf, type BenchmarkTable, type TableRun } from '../../services/experiment/table.ts';
import { readTable, recipeDifferences, rowCovers, runFromTrial, TableError, tableText, withRun, writeTable } from '../../services/experiment/table-io.ts';
import { randomGenome } from '../../services/spaces/decisions.ts';
import { genomeToJson } from '../../services/spaces/json.ts';

/** Parameters and FLOPs from the genome alone (a stand-in for DescribeGenome with a known answer). */
const facts = (g: Genome) => {
  const layers = g.space?.$case === 'convnet' ? g.space.value.layers : [];
  const filters = layers.reduce((s, l) => s + l.filters, 0);
  return { parameters: filters * 100, flops: filters * 1e5 };
};

describe('architecture sampling', () => {
  it('is deterministic, distinct, within the caps, and a larger K extends the same list', async () => {
    let calls = 0;
    const describeFn = async (g: Genome) => (calls++, facts(g));
    const caps = { maxFlops: 1.2e7, maxParams: 0 };
    const five = await sampleArchitectures('convnet', 3, 5, caps, describeFn);
    const fresh = calls;
    const again = await sampleArchitectures('convnet', 3, 5, caps, describeFn);
    assert.deepEqual(again, five);
    assert.equal(new Set(five.map((a) => a.key)).size, 5);
    for (const a of five) {
      assert.ok(a.flops <= caps.maxFlops);
      assert.equal(genomeToJson(randomGenome('convnet', a.genomeSeed)), a.key, 'the recorded genome seed re-makes it');
      assert.equal(Math.floor(a.genomeSeed / 1_000_003), 3);
    }
    assert.deepEqual(five.map((a) => a.index), [0, 1, 2, 3, 4]);
    const eight = await sampleArchitectures('convnet', 3, 8, caps, describeFn, { known: new Map(five.map((a) => [a.key, a])) });
    assert.deepEqual(eight.slice(0, 5), five);
    const before = calls;
    await sampleArchitectures('convnet', 3, 5, caps, describeFn, { known: new Map(five.map((a) => [a.key, a])) });
    assert.equal(calls - before, fresh - 5, 'known architectures are not described again (only the draws over the caps)');
    assert.notDeepEqual((await sampleArchitectures('convnet', 4, 5, caps, describeFn)).map((a) => a.key), five.map((a) => a.key));
    await assert.rejects(sampleArchitectures('convnet', 3, 2, { maxFlops: 1, maxParams: 0 }, describeFn), SamplingError);
    assert.throws(() => genomeSeed(2 ** 32, 0), RangeError);
  });

  it('seed plans: every architecture with its seeds, seed-major, the extra seed\'s subset last', () => {
    const archs = [0, 1, 2].map((index) => ({ index, key: `k${index}` }) as Architecture);
    const pairs = plannedPairs(archs, { seeds: [0], extraSubset: 2, extraSeed: 1 });
    assert.deepEqual(pairs.map((p) => [p.architecture.index, p.trainingSeed]), [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1]]);
    const both = plannedPairs(archs, { seeds: [0, 1], extraSubset: 3, extraSeed: 1 });
    assert.deepEqual(both.map((p) => [p.architecture.index, p.trainingSeed]), [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]], 'an extra seed already planned is not doubled');
  });
});

const teacherLayers = ['T0', 'T1', 'T2'];
const header: Omit<BenchmarkTable, 'runs' | 'provenance'> = {
  format: TABLE_FORMAT,
  space: 'convnet',
  dataset: { name: 'mnist', numValidation: 50, numStimuli: 40, splitSeed: 0 },
  teacher: { id: 't', layers: teacherLayers },
  training: { batchSize: 8, optimizer: 'sgd_momentum', learningRate: 0.05, momentum: 0.9, schedule: 'cosine', finalSteps: 10, evalSteps: [5, 10] },
  comparators: ['spearman', 'cka_linear'],
  sampling: { seed: 1, maxFlops: 0, maxParams: 0 },
};
const genome = randomGenome('convnet', 11);
const arch: Architecture = { index: 4, genomeSeed: 11, genome, key: genomeToJson(genome), parameters: 10, flops: 20 };

/** A result whose teacher columns come in another order than the table's (T2, T0, T1). */
function similarity(comparator: Comparator, base: number): SimilarityResult {
  const cand = ['conv0', 'conv1'];
  const cols = ['T2', 'T0', 'T1'];
  const value = (i: number, t: string) => base + i * 0.1 + Number(t[1]) * 0.01;
  return SimilarityResult.fromPartial({
    comparator, candidateLayers: cand, teacherLayers: cols, similarity: cand.flatMap((_, i) => cols.map((t) => value(i, t))),
    tg: cols.reduce((s, t) => s + Math.max(...cand.map((_, i) => value(i, t))), 0) / cols.length,
  });
}

function trial(curveSteps: number[]): Trial {
  const sim = { ...similarity(Comparator.COMPARATOR_SPEARMAN, 0.2), also: [similarity(Comparator.COMPARATOR_CKA_LINEAR, 0.5), similarity(Comparator.COMPARATOR_PEARSON, 0.7)] };
  return Trial.fromPartial({
    id: 's-t3', studyId: 's', number: 3, genome, state: TrialState.TRIAL_STATE_COMPLETED, p: 0.9, steps: 10, trainingSeed: 2,
    wallSeconds: 5, queueSeconds: 1, trainSeconds: 3, trainer: '127.0.0.1:1', similarity: sim,
    curve: curveSteps.map((step) => ({ step, validationAccuracy: step / 20, similarity: sim, trainLoss: 1, trainSeconds: step / 10, evalSeconds: 0.1, scoreSeconds: 0.2 })),
  });
}

describe('table rows', () => {
  it('a trial becomes a row: matrices in the teacher\'s column order, per comparator, TG as the matrix says', () => {
    const row = runFromTrial(trial([5, 10]), arch, header);
    assert.equal(row.architecture, 4);
    assert.equal(row.trainingSeed, 2);
    assert.equal(row.finalP, 0.9);
    assert.equal(row.queueSeconds, 1);
    assert.deepEqual(row.curve.map((c) => c.step), [5, 10]);
    const s = row.curve[0]!.similarity.spearman!;
    assert.deepEqual(s.candidateLayers, ['conv0', 'conv1']);
    assert.deepEqual(s.matrix.map((r) => r.map((v) => Math.round(v * 100) / 100)), [[0.2, 0.21, 0.22], [0.3, 0.31, 0.32]]);
    assert.ok(Math.abs(tgOf(s) - s.tg) < 1e-12);
    assert.ok(Math.abs(row.curve[0]!.similarity.cka_linear!.matrix[1]![2]! - 0.62) < 1e-12);
    assert.equal(row.curve[0]!.similarity.pearson, undefined, 'only the table\'s comparators');
    assert.ok(rowCovers(header, row));
    assert.ok(!rowCovers(header, runFromTrial(trial([]), arch, header)), 'a one-point curve lacks budget 5');
    assert.ok(!rowCovers({ ...header, comparators: ['spearman', 'cosine'] }, row));
    assert.throws(() => runFromTrial(trial([10]), arch, { ...header, teacher: { id: 't', layers: ['T9'] } }), TableError);
  });

  it('withRun replaces a row of the same architecture and seed, and keeps rows in order', () => {
    const row = runFromTrial(trial([5, 10]), arch, header);
    const other: TableRun = { ...row, architecture: 1, genomeKey: 'x', trainingSeed: 0 };
    let t: BenchmarkTable = { ...header, provenance: [], runs: [row] };
    t = withRun(t, other);
    t = withRun(t, { ...row, finalP: 0.5 });
    assert.deepEqual(t.runs.map((r) => [r.architecture, r.finalP]), [[1, 0.9], [4, 0.5]]);
  });

  it('recipe differences name each setting; more evaluation budgets are not one', () => {
    const t: BenchmarkTable = { ...header, provenance: [], runs: [] };
    assert.deepEqual(recipeDifferences(t, header), []);
    assert.deepEqual(recipeDifferences(t, { ...header, training: { ...header.training, evalSteps: [1, 5, 10] } }), []);
    const diffs = recipeDifferences(t, { ...header, training: { ...header.training, learningRate: 0.1, finalSteps: 20 }, comparators: ['spearman'] });
    assert.equal(diffs.length, 3);
    assert.match(diffs.join('\n'), /comparators[\s\S]*training\.learningRate: the table has 0.05, this run 0.1[\s\S]*training\.finalSteps/);
    assert.match(recipeDifferences(t, { ...header, sampling: { seed: 2, maxFlops: 0, maxParams: 0 } })[0]!, /sampling/);
  });
});

describe('table files', () => {
  it('writes atomically (no temporary file left), one row per line, and reads back equal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tgsage-table-'));
    try {
      const path = join(dir, 'bench.json');
      assert.equal(await readTable(path), undefined);
      const row = runFromTrial(trial([5, 10]), arch, header);
      const t: BenchmarkTable = { ...header, provenance: [{ command: 'x', machine: 'y', startedAt: 'z', studies: ['s'] }], runs: [row, { ...row, architecture: 5, genomeKey: 'y' }] };
      await writeTable(path, t);
      await writeTable(path, t);
      assert.deepEqual(await readdir(dir), ['bench.json']);
      assert.deepEqual(await readTable(path), JSON.parse(JSON.stringify(t)));
      const text = await readFile(path, 'utf8');
      assert.equal(text, tableText(t));
      assert.equal(text.split('\n').filter((l) => l.startsWith('    {"architecture"')).length, 2);
      const empty: BenchmarkTable = { ...header, provenance: [], runs: [] };
      await writeTable(path, empty);
      assert.deepEqual(await readTable(path), empty);
      await writeFile(path, '{"format": "other"}');
      await assert.rejects(readTable(path), (e: unknown) => e instanceof TableError && /not a tgsage-benchmark\/1 table/.test(e.message));
      await writeFile(path, '{');
      await assert.rejects(readTable(path), TableError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
