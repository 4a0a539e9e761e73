// The tabular benchmark: what `tgsage experiment run` writes and `experiment analyze` / the replays read. One JSON file
// per (space, dataset, teacher, training recipe); each row is one architecture trained with one training seed, with
// its learning curve (P and the similarity to every teacher layer at each evaluation budget). The file is the unit
// that is committed, extended by later runs and replayed by search strategies without training. Pure data + checks.

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
