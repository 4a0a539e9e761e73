// Reading a benchmark table for analysis and replays: checks the shape (every failure names the JSON path at fault),
// and groups the rows by architecture. Partial tables are normal (a run in progress, an extension with more budgets
// or seeds): a row's curve may stop before the final budget, and an architecture may have one seed or several.
// JSON null (how JSON.stringify writes NaN) reads as NaN: that value drops out of the statistics that need it.
//
// Per architecture:
// - final P = the mean of finalP over its rows that reached the final budget (NaN when none did);
// - the early scores at budget b come from ONE row: the one with the smallest training seed that has a point at b
//   (what a search, which trains a candidate once, would see). Averaging early scores over seeds would make them
//   less noisy than any search could have them.

import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '../common/errors.ts';
import { TABLE_FORMAT, type BenchmarkTable, type TableComparator, type TableCurvePoint, type TableRun } from './table.ts';

const COMPARATORS: readonly TableComparator[] = ['spearman', 'pearson', 'kendall_tau_a', 'cosine', 'cka_linear', 'cka_linear_unbiased'];

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

/** Reads and checks a table file. */
export async function readTable(path: string): Promise<BenchmarkTable> {
  const text = await readFile(path, 'utf8');
  if (text.length > MAX_TABLE_BYTES) throw new InvalidArgumentError('table', `${path} is larger than ${MAX_TABLE_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError('table', `${path} is not JSON: ${(e as Error).message}`);
  }
  return checkTable(raw);
}

/** One architecture of the table, with its rows. */
export interface Architecture {
  /** Canonical genome JSON string. */
  readonly key: string;
  /** Index in the table's sampling order. */
  readonly index: number;
  readonly genome: unknown;
  readonly parameters: number;
  readonly flops: number;
  /** Its rows, by training seed ascending. */
  readonly runs: readonly TableRun[];
  /** Mean final P over the rows that reached the final budget; NaN when none did. */
  readonly finalP: number;
  /** Final P of each row that reached the final budget, by training seed ascending. */
  readonly finalPs: readonly number[];
}

function rowFinal(run: TableRun, finalSteps: number): number {
  const last = run.curve[run.curve.length - 1];
  if (!last || last.step !== finalSteps) return Number.NaN;
  const f = run.finalP as number | null | undefined;
  return typeof f === 'number' && Number.isFinite(f) ? f : last.p;
}

export function architectures(table: BenchmarkTable): Architecture[] {
  const groups = new Map<string, TableRun[]>();
  for (const run of table.runs) {
    const g = groups.get(run.genomeKey);
    if (g) g.push(run);
    else groups.set(run.genomeKey, [run]);
  }
  const out: Architecture[] = [];
  for (const [key, runs] of groups) {
    runs.sort((a, b) => a.trainingSeed - b.trainingSeed);
    const finals = runs.map((r) => rowFinal(r, table.training.finalSteps)).filter((v) => Number.isFinite(v));
    const first = runs[0]!;
    out.push({
      key,
      index: Math.min(...runs.map((r) => r.architecture)),
      genome: first.genome,
      parameters: first.parameters,
      flops: first.flops,
      runs,
      finalP: finals.length ? finals.reduce((a, b) => a + b, 0) / finals.length : Number.NaN,
      finalPs: finals,
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** The curve point at `step` of the architecture's first row that has one (smallest training seed). */
export function pointAt(arch: Architecture, step: number): TableCurvePoint | undefined {
  for (const run of arch.runs) {
    const p = run.curve.find((c) => c.step === step);
    if (p) return p;
  }
  return undefined;
}
