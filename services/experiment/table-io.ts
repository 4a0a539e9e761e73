// Reading, checking, growing and writing a benchmark table (table.ts): the one way every command (experiment run,
// analyze, replay) and the library read a table file (readTable), with one check of its shape (checkTable; every
// failure names the JSON path at fault). JSON null (how JSON.stringify writes NaN) reads as NaN: that value drops
// out of the statistics that need it.
//
// Writes are atomic (a temporary file in the same directory, fsynced, renamed over the table, directory fsynced): a
// reader, or a run killed mid-write, sees the old table or the new one, never half of one. Rows are kept in
// (architecture, training seed) order and written one per line, so a table under git grows by whole lines.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { Comparator, type SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import { genomeToJsonValue } from '../spaces/json.ts';
import type { Architecture } from './plan.ts';
import { TABLE_FORMAT, type BenchmarkTable, type TableComparator, type TableCurvePoint, type TableRun, type TableSimilarity } from './table.ts';

/** A table file that cannot be read, or is not a well-formed table; `field` is the JSON path at fault, when one is. */
export class TableError extends Error {
  override readonly name = 'TableError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

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

const COMPARATORS = Object.keys(TABLE_COMPARATORS) as readonly TableComparator[];

/** Largest table file read (bytes). */
export const MAX_TABLE_BYTES = 512 * 1024 * 1024;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown, field: string, opts: { int?: boolean; min?: number; allowNaN?: boolean } = {}): number {
  if (v === null && opts.allowNaN) return Number.NaN;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new InvalidArgumentError(field, `must be a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
  if (!Number.isFinite(v)) throw new InvalidArgumentError(field, `must be finite, got ${v}`);
  if (opts.int && !Number.isInteger(v)) throw new InvalidArgumentError(field, `must be an integer, got ${v}`);
  if (opts.min !== undefined && v < opts.min) throw new InvalidArgumentError(field, `must be >= ${opts.min}, got ${v}`);
  return v;
}

function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new InvalidArgumentError(field, 'must be an array');
  return v;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') throw new InvalidArgumentError(field, 'must be a string');
  return v;
}

/** Checks the parts of a table the analysis relies on; returns it typed. */
export function checkTable(raw: unknown, field = 'table'): BenchmarkTable {
  if (!isObj(raw)) throw new InvalidArgumentError(field, 'must be a JSON object');
  if (raw['format'] !== TABLE_FORMAT) throw new InvalidArgumentError(`${field}.format`, `must be "${TABLE_FORMAT}", got ${JSON.stringify(raw['format'])}`);
  str(raw['space'], `${field}.space`);
  if (!isObj(raw['dataset'])) throw new InvalidArgumentError(`${field}.dataset`, 'must be an object');
  arr((raw['provenance'] ??= []), `${field}.provenance`);
  const teacher = raw['teacher'];
  if (!isObj(teacher)) throw new InvalidArgumentError(`${field}.teacher`, 'must be an object');
  const layers = arr(teacher['layers'], `${field}.teacher.layers`).map((l, i) => str(l, `${field}.teacher.layers[${i}]`));
  if (layers.length === 0) throw new InvalidArgumentError(`${field}.teacher.layers`, 'is empty');
  const training = raw['training'];
  if (!isObj(training)) throw new InvalidArgumentError(`${field}.training`, 'must be an object');
  const finalSteps = num(training['finalSteps'], `${field}.training.finalSteps`, { int: true, min: 1 });
  const evalSteps = arr(training['evalSteps'], `${field}.training.evalSteps`).map((s, i) =>
    num(s, `${field}.training.evalSteps[${i}]`, { int: true, min: 1 }),
  );
  evalSteps.forEach((s, i) => {
    if (i > 0 && !(s > evalSteps[i - 1]!)) throw new InvalidArgumentError(`${field}.training.evalSteps[${i}]`, 'budgets must increase');
  });
  if (evalSteps.length === 0 || evalSteps[evalSteps.length - 1] !== finalSteps) {
    throw new InvalidArgumentError(`${field}.training.evalSteps`, `must end at finalSteps ${finalSteps}`);
  }
  const comparators = arr(raw['comparators'] ?? [], `${field}.comparators`).map((c, i) => {
    if (!COMPARATORS.includes(c as TableComparator)) throw new InvalidArgumentError(`${field}.comparators[${i}]`, `unknown comparator ${JSON.stringify(c)}`);
    return c as TableComparator;
  });
  arr(raw['runs'], `${field}.runs`).forEach((r, i) => checkRun(r, `${field}.runs[${i}]`, layers.length, evalSteps));
  return raw as unknown as BenchmarkTable & { comparators: TableComparator[] };
}

function checkRun(r: unknown, field: string, numLayers: number, evalSteps: readonly number[]): void {
  if (!isObj(r)) throw new InvalidArgumentError(field, 'must be an object');
  str(r['genomeKey'], `${field}.genomeKey`);
  num(r['trainingSeed'], `${field}.trainingSeed`, { int: true, min: 0 });
  num(r['architecture'], `${field}.architecture`, { int: true, min: 0 });
  const curve = arr(r['curve'], `${field}.curve`);
  curve.forEach((c, k) => {
    const f = `${field}.curve[${k}]`;
    if (!isObj(c)) throw new InvalidArgumentError(f, 'must be an object');
    const step = num(c['step'], `${f}.step`, { int: true, min: 1 });
    if (!evalSteps.includes(step)) throw new InvalidArgumentError(`${f}.step`, `${step} is not one of the table's evalSteps`);
    if (k > 0 && !(step > (curve[k - 1] as { step: number }).step)) throw new InvalidArgumentError(`${f}.step`, 'steps must increase');
    if (num(c['p'], `${f}.p`, { allowNaN: true }) !== c['p']) c['p'] = Number.NaN; // JSON writes NaN as null
    const sim = c['similarity'] ?? {};
    if (!isObj(sim)) throw new InvalidArgumentError(`${f}.similarity`, 'must be an object');
    for (const [name, s] of Object.entries(sim)) {
      const sf = `${f}.similarity.${name}`;
      if (!COMPARATORS.includes(name as TableComparator)) throw new InvalidArgumentError(sf, 'unknown comparator');
      if (!isObj(s)) throw new InvalidArgumentError(sf, 'must be an object');
      const m = arr(s['matrix'], `${sf}.matrix`);
      if (m.length === 0) throw new InvalidArgumentError(`${sf}.matrix`, 'has no candidate layers');
      m.forEach((row, i) => {
        const rf = `${sf}.matrix[${i}]`;
        const cols = arr(row, rf);
        if (cols.length !== numLayers) throw new InvalidArgumentError(rf, `has ${cols.length} columns, the teacher has ${numLayers} layers`);
        cols.forEach((v, j) => {
          if (num(v, `${rf}[${j}]`, { allowNaN: true }) !== v) cols[j] = Number.NaN;
        });
      });
    }
  });
  // finalP may be missing (null) while the row is still short of the final budget.
  if (r['finalP'] !== undefined) num(r['finalP'], `${field}.finalP`, { allowNaN: true });
}

/** Reads and checks the table at `path`; TableError (naming the path, and the JSON path at fault) when it cannot. */
export async function readTable(path: string): Promise<BenchmarkTable> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_TABLE_BYTES) throw new TableError(`${path} is larger than ${MAX_TABLE_BYTES} bytes`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof TableError) throw e;
    throw new TableError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TableError(`${path} is not JSON: ${(e as Error).message}`);
  }
  try {
    return checkTable(raw);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new TableError(`${path}: ${e.message}`, e.field);
    throw e;
  }
}

/** The table at `path`, or undefined when there is no such file (a run starting a new table). */
export async function readTableIfExists(path: string): Promise<BenchmarkTable | undefined> {
  try {
    await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  }
  return readTable(path);
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
