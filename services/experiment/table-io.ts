// Reading, checking, growing and writing a benchmark table (table.ts). Writes are atomic (a temporary file in the
// same directory, fsynced, renamed over the table, directory fsynced): a reader, or a run killed mid-write, sees the
// old table or the new one, never half of one. Rows are kept in (architecture, training seed) order and written one
// per line, so a table under git grows by whole lines.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { Comparator, type SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import { genomeToJsonValue } from '../spaces/json.ts';
import type { Architecture } from './plan.ts';
import { TABLE_FORMAT, type BenchmarkTable, type TableComparator, type TableCurvePoint, type TableRun, type TableSimilarity } from './table.ts';

export class TableError extends Error {}

/** Table spelling of each comparator (the proto enum's, lower case). */
export const TABLE_COMPARATORS: Readonly<Record<TableComparator, Comparator>> = {
  spearman: Comparator.COMPARATOR_SPEARMAN,
  pearson: Comparator.COMPARATOR_PEARSON,
  kendall_tau_a: Comparator.COMPARATOR_KENDALL_TAU_A,
  cosine: Comparator.COMPARATOR_COSINE,
  cka_linear: Comparator.COMPARATOR_CKA_LINEAR,
  cka_linear_unbiased: Comparator.COMPARATOR_CKA_LINEAR_UNBIASED,
};

export function tableComparatorOf(c: Comparator): TableComparator | undefined {
  return (Object.entries(TABLE_COMPARATORS) as [TableComparator, Comparator][]).find(([, v]) => v === c)?.[0];
}

/** The table at `path`, or undefined when there is none; TableError when it is not a readable table. */
export async function readTable(path: string): Promise<BenchmarkTable | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TableError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let t: BenchmarkTable;
  try {
    t = JSON.parse(text) as BenchmarkTable;
  } catch (e) {
    throw new TableError(`${path} is not JSON: ${(e as Error).message}`);
  }
  if (t?.format !== TABLE_FORMAT) throw new TableError(`${path} is not a ${TABLE_FORMAT} table (format ${JSON.stringify(t?.format)})`);
  if (!Array.isArray(t.runs) || !t.training || !t.dataset || !t.teacher) throw new TableError(`${path}: missing runs, training, dataset or teacher`);
  return t;
}

/** The table as text: the header indented, one row per line. */
export function tableText(t: BenchmarkTable): string {
  const { runs, ...header } = t;
  const head = JSON.stringify(header, null, 2);
  const rows = runs.map((r) => `    ${JSON.stringify(r)}`).join(',\n');
  return `${head.slice(0, -2)},\n  "runs": [\n${rows}${rows ? '\n' : ''}  ]\n}\n`;
}

/** Writes the table atomically (temp file + fsync + rename + directory fsync). */
export async function writeTable(path: string, t: BenchmarkTable): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const f = await open(tmp, 'wx');
    try {
      await f.writeFile(tableText(t));
      await f.sync();
    } finally {
      await f.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

type Header = Omit<BenchmarkTable, 'runs' | 'provenance'>;

/**
 * Why an existing table cannot take rows made with `wanted` (empty when it can): every difference in space, dataset,
 * teacher, comparators, training recipe, final budget or architecture sampling. Extra evaluation budgets are not a
 * difference (the rows are re-trained to get them).
 */
export function recipeDifferences(table: BenchmarkTable, wanted: Header): string[] {
  const diffs: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) diffs.push(`${what}: the table has ${JSON.stringify(a)}, this run ${JSON.stringify(b)}`);
  };
  same('space', table.space, wanted.space);
  same('dataset', table.dataset, wanted.dataset);
  same('teacher', table.teacher.id, wanted.teacher.id);
  same('teacher layers', table.teacher.layers, wanted.teacher.layers);
  same('comparators', table.comparators, wanted.comparators);
  const { evalSteps: _a, ...tr } = table.training;
  const { evalSteps: _b, ...wr } = wanted.training;
  for (const k of Object.keys({ ...tr, ...wr }) as (keyof typeof tr)[]) same(`training.${k}`, tr[k], wr[k]);
  if (table.sampling || wanted.sampling) same('sampling (--seed, --max-mflops, --max-params)', table.sampling, wanted.sampling);
  return diffs;
}

/** Whether a row has every evaluation budget of the table's recipe. */
export function rowCovers(table: Pick<BenchmarkTable, 'training' | 'comparators'>, run: TableRun): boolean {
  const steps = new Set(run.curve.map((p) => p.step));
  if (!table.training.evalSteps.every((s) => steps.has(s)) || run.curve.at(-1)?.step !== table.training.finalSteps) return false;
  return run.curve.every((p) => table.comparators.every((c) => p.similarity[c] !== undefined));
}

/** The table with `run` added, replacing a row of the same architecture and seed; rows in (architecture, seed) order. */
export function withRun(table: BenchmarkTable, run: TableRun): BenchmarkTable {
  const runs = table.runs.filter((r) => !(r.genomeKey === run.genomeKey && r.trainingSeed === run.trainingSeed));
  runs.push(run);
  runs.sort((a, b) => a.architecture - b.architecture || a.trainingSeed - b.trainingSeed);
  return { ...table, runs };
}

function tableSimilarity(s: SimilarityResult, teacherLayers: readonly string[]): TableSimilarity {
  const cols = s.teacherLayers.length;
  const index = teacherLayers.map((l) => {
    const j = s.teacherLayers.indexOf(l);
    if (j < 0) throw new TableError(`the similarity has no teacher layer "${l}" (it has ${s.teacherLayers.join(', ')})`);
    return j;
  });
  const matrix = s.candidateLayers.map((_, i) => index.map((j) => s.similarity[i * cols + j]!));
  return { candidateLayers: [...s.candidateLayers], matrix, tg: s.tg };
}

function similarities(s: SimilarityResult | undefined, comparators: readonly TableComparator[], teacherLayers: readonly string[]) {
  const out: Partial<Record<TableComparator, TableSimilarity>> = {};
  for (const r of s ? [s, ...s.also] : []) {
    const name = tableComparatorOf(r.comparator);
    if (name && comparators.includes(name)) out[name] = tableSimilarity(r, teacherLayers);
  }
  return out;
}

/**
 * A completed trial of an experiment study as a table row. A trial without a learning curve (a trainer that does not
 * record one) gives a one-point curve at its final budget.
 */
export function runFromTrial(trial: Trial, architecture: Architecture, table: Pick<BenchmarkTable, 'comparators' | 'teacher'>): TableRun {
  if (trial.p === undefined) throw new TableError(`trial ${trial.id} has no P`);
  const layers = table.teacher.layers;
  const curve: TableCurvePoint[] =
    trial.curve.length > 0
      ? trial.curve.map((c) => ({
          step: c.step,
          p: c.validationAccuracy,
          trainLoss: c.trainLoss,
          trainSeconds: c.trainSeconds,
          evalSeconds: c.evalSeconds,
          scoreSeconds: c.scoreSeconds,
          similarity: similarities(c.similarity, table.comparators, layers),
        }))
      : [
          {
            step: trial.steps,
            p: trial.p,
            trainLoss: 0,
            trainSeconds: trial.trainSeconds,
            evalSeconds: 0,
            scoreSeconds: 0,
            similarity: similarities(trial.similarity, table.comparators, layers),
          },
        ];
  return {
    architecture: architecture.index,
    genomeSeed: architecture.genomeSeed,
    genome: genomeToJsonValue(architecture.genome),
    genomeKey: architecture.key,
    parameters: architecture.parameters,
    flops: architecture.flops,
    trainingSeed: trial.trainingSeed ?? 0,
    curve,
    finalP: trial.p,
    wallSeconds: trial.wallSeconds,
    queueSeconds: trial.queueSeconds,
    studyId: trial.studyId,
    trialId: trial.id,
    trainer: trial.trainer,
  };
}
