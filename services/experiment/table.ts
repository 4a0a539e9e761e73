// The tabular benchmark: what `tgsage experiment run` writes and `experiment analyze` / the replays read. One JSON file
// per (space, dataset, teacher, training recipe); each row is one architecture trained with one training seed, with
// its learning curve (P and the similarity to every teacher layer at each evaluation budget). The file is the unit
// that is committed, extended by later runs and replayed by search strategies without training. Pure data and views
// of it; table-io.ts reads (and checks), grows and writes the file.
//
// Partial tables are normal (a run in progress, an extension with more budgets or seeds): a row's curve may stop
// before the final budget, and an architecture may have one seed or several. Per architecture (architectures()):
// - final P = the mean of finalP over its rows that reached the final budget (NaN when none did);
// - the early scores at budget b come from ONE row: the one with the smallest training seed that has a point at b
//   (what a search, which trains a candidate once, would see). Averaging early scores over seeds would make them
//   less noisy than any search could have them.

/** Format tag; bump on an incompatible change. */
export const TABLE_FORMAT = 'tgsage-benchmark/1';

/** Comparator names as the table spells them (the compute layer's names). */
export type TableComparator = 'spearman' | 'pearson' | 'kendall_tau_a' | 'cosine' | 'cka_linear' | 'cka_linear_unbiased';

export interface TableDataset {
  readonly name: string;
  readonly numValidation: number;
  readonly numStimuli: number;
  readonly splitSeed: number;
}

export interface TableTeacher {
  readonly id: string;
  /** Teacher layers, in the teacher's order: the columns of every similarity matrix. */
  readonly layers: readonly string[];
  /** The teacher's own validation accuracy when known. */
  readonly validationAccuracy?: number;
}

/** The training recipe shared by every row (everything but the genome and the training seed). */
export interface TableTraining {
  readonly batchSize: number;
  readonly optimizer: string;
  readonly learningRate: number;
  readonly momentum: number;
  /** The schedule of the final budget; every curve point is taken on it. */
  readonly schedule: string;
  readonly finalSteps: number;
  /** Evaluation budgets, increasing, the last = finalSteps. */
  readonly evalSteps: readonly number[];
}

/** Similarity of one candidate (at one budget) to the teacher, under one comparator. */
export interface TableSimilarity {
  /** Candidate representation layers: the rows of `matrix`. */
  readonly candidateLayers: readonly string[];
  /** matrix[i][j]: candidate layer i vs teacher layer j (teacher layers as in TableTeacher.layers). */
  readonly matrix: readonly (readonly number[])[];
  /** TG over all teacher layers: mean over j of max over i. */
  readonly tg: number;
}

export interface TableCurvePoint {
  readonly step: number;
  /** P: validation accuracy after `step` steps. */
  readonly p: number;
  readonly trainLoss: number;
  /** Cumulative seconds of training up to this step (no evaluation, scoring or queueing). */
  readonly trainSeconds: number;
  readonly evalSeconds: number;
  readonly scoreSeconds: number;
  /** By comparator; absent when the run was not scored. */
  readonly similarity: Partial<Record<TableComparator, TableSimilarity>>;
}

export interface TableRun {
  /** Index of the architecture in the table's sampling order (stable across extensions). */
  readonly architecture: number;
  /** Seed the genome was sampled with (SampleGenome). */
  readonly genomeSeed: number;
  /** Canonical genome JSON (services/spaces genomeToJsonValue). */
  readonly genome: unknown;
  /** Canonical genome JSON string, the architecture's identity (two rows with one key are one architecture). */
  readonly genomeKey: string;
  readonly parameters: number;
  readonly flops: number;
  /** Seed of initialisation and batch order. */
  readonly trainingSeed: number;
  readonly curve: readonly TableCurvePoint[];
  /** P at the final budget. */
  readonly finalP: number;
  readonly wallSeconds: number;
  readonly queueSeconds: number;
  /** Where it came from, for provenance. */
  readonly studyId: string;
  readonly trialId: string;
  readonly trainer: string;
}

export interface TableSampling {
  readonly seed: number;
  /** FLOPs cap of one forward pass (0 = none). */
  readonly maxFlops: number;
  /** Trainable-parameter cap (0 = none). */
  readonly maxParams: number;
}

export interface TableProvenance {
  readonly command: string;
  readonly machine: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Controller studies this run created or resumed (a re-run resumes them). */
  readonly studies?: readonly string[];
}

export interface BenchmarkTable {
  readonly format: typeof TABLE_FORMAT;
  readonly space: string;
  readonly dataset: TableDataset;
  readonly teacher: TableTeacher;
  readonly training: TableTraining;
  readonly comparators: readonly TableComparator[];
  /**
   * How the architectures were sampled (services/experiment/plan.ts): architecture i is the i-th distinct draw within
   * the caps of the sequence seeded `seed`. Absent in tables not made by `experiment run`.
   */
  readonly sampling?: TableSampling;
  /** How the rows were made: commands, machine, dates; free-form, appended to by every run. */
  readonly provenance: readonly TableProvenance[];
  readonly runs: readonly TableRun[];
}

/** TG from a similarity matrix over a subset of teacher layer columns (all when `columns` is undefined). */
export function tgOf(sim: TableSimilarity, columns?: readonly number[]): number {
  const cols = columns ?? sim.matrix[0]?.map((_, j) => j) ?? [];
  if (cols.length === 0 || sim.matrix.length === 0) return Number.NaN;
  let sum = 0;
  for (const j of cols) {
    let best = -Infinity;
    for (const row of sim.matrix) best = Math.max(best, row[j]!);
    sum += best;
  }
  return sum / cols.length;
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
