// Scoring (pure domain, no gRPC). A session is opened from a header (checked against the teacher before any
// activations are read), takes candidate layers one at a time — each becomes an RDM (or a centred Gram matrix for
// CKA), is prepared, compared with every teacher layer and dropped — and ends with the similarity matrix, each
// teacher layer's best candidate layer and TG — under one comparator or several at once (each layer's RDM and Gram
// matrix computed once, then compared under every comparator). compareRdms does the same for RDMs the caller brings.
import type { Layer, Matrix } from '../common/chunks.ts';
import { isGramComparator } from '../common/convert.ts';
import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError } from '../common/errors.ts';
import { checkRows } from '../common/rows.ts';
import {
  ComputeInputError,
  type ComparatorName,
  type Compute,
  type PreparedRdm,
  type RdmComparator,
  type RdmMethod,
} from '../compute/types.ts';
import {
  MAX_BOOTSTRAP_ENTRIES,
  bootstrapSimilarities,
  checkBootstrap,
  summariseBootstrap,
  type BootstrapSummary,
} from './bootstrap.ts';
import { resolveTeacherLayers } from '../teachers/tg-layers.ts';
import type { PreparedCache } from './prepared-cache.ts';
import type { TeacherSource, TeacherView } from './teacher-source.ts';

export interface Similarity {
  teacherId: string;
  comparator: ComparatorName;
  /** RDM method on both sides; undefined for CKA (and for CompareRdms without a teacher). */
  rdmMethod: RdmMethod | undefined;
  candidateLayers: string[];
  teacherLayers: string[];
  /** Row-major candidate x teacher. */
  similarity: number[];
  best: BestMatch[];
  tg: number;
  numStimuli: number;
  computeSeconds: number;
  /** The same candidate under ScoreHeader.also_comparators, in that order (each with an empty `also`). */
  also: Similarity[];
  /** Per teacher layer, the noise ceiling for this comparator (undefined when the teacher has none). */
  ceilings?: number[];
  /** Row-major similarity / ceiling (NaN where the ceiling is not positive). */
  normalizedSimilarity?: number[];
  /** Mean over teacher layers of the best similarity / ceiling (NaN without ceilings). */
  tgNormalized: number;
  bootstrap?: BootstrapSummary;
}

export interface BestMatch {
  teacherLayer: string;
  candidateLayer: string;
  similarity: number;
  /** similarity / the teacher layer's ceiling (NaN without one). */
  normalizedSimilarity: number;
  /** With a bootstrap: how often this candidate layer was the best; NaN without. */
  pBest: number;
}

export interface ScorerDeps {
  compute: Compute;
  teachers: TeacherSource;
  cache: PreparedCache;
  /** Most candidate layers (or RDMs) per call. */
  maxLayers: number;
}

export interface ScoreHeaderInput {
  teacherId: string;
  /** undefined = the teacher's method. */
  rdmMethod: RdmMethod | undefined;
  comparator: ComparatorName;
  /** Empty = all. */
  teacherLayers: string[];
  /** More comparators scored in the same pass (results in Similarity.also); each must differ from the others. */
  alsoComparators?: ComparatorName[];
  /** Bootstrap resamples (0 / undefined = none). */
  bootstrap?: number;
  bootstrapSeed?: number;
}

export interface ScoreSession {
  readonly numStimuli: number;
  addLayer(layer: Layer): Promise<void>;
  finish(signal?: AbortSignal): Promise<Similarity>;
}

type TeacherSide = { kind: 'rdm'; prepared: PreparedRdm[] } | { kind: 'gram'; grams: Float64Array[] };

const seconds = (t0: number) => (performance.now() - t0) / 1000;

async function named<T>(layer: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error: unknown) {
    if (error instanceof ComputeInputError) throw new InvalidArgumentError('chunk.data', `layer "${layer}": ${error.message}`);
    throw error;
  }
}

/** Row index of each column's best (first highest) value in a row-major rows x cols matrix. */
export function bestRows(similarity: ArrayLike<number>, rows: number, cols: number): number[] {
  return Array.from({ length: cols }, (_, j) => {
    let bi = 0;
    for (let i = 1; i < rows; i++) if (similarity[i * cols + j]! > similarity[bi * cols + j]!) bi = i;
    return bi;
  });
}

/** similarity / ceiling, NaN where the ceiling is not positive (a ceiling of 0 or below says nothing is reliable). */
export function normalise(similarity: number, ceiling: number | undefined): number {
  return ceiling !== undefined && ceiling > 0 ? similarity / ceiling : Number.NaN;
}

/**
 * Each column's best row, TG and (with the teacher layers' ceilings) the ceiling-normalised similarities and TG.
 * The best row is the same both ways: a column's values are divided by one positive number.
 */
export function summarise(
  similarity: number[],
  candidateLayers: string[],
  teacherLayers: string[],
  ceilings?: readonly number[],
  pBest?: readonly number[],
): Pick<Similarity, 'best' | 'tg' | 'tgNormalized' | 'normalizedSimilarity' | 'ceilings'> {
  const cols = teacherLayers.length;
  const rows = bestRows(similarity, candidateLayers.length, cols);
  const best = teacherLayers.map((teacherLayer, j) => {
    const value = similarity[rows[j]! * cols + j]!;
    return {
      teacherLayer,
      candidateLayer: candidateLayers[rows[j]!]!,
      similarity: value,
      normalizedSimilarity: normalise(value, ceilings?.[j]),
      pBest: pBest?.[j] ?? Number.NaN,
    };
  });
  return {
    best,
    tg: best.reduce((s, b) => s + b.similarity, 0) / best.length,
    tgNormalized: ceilings ? best.reduce((s, b) => s + b.normalizedSimilarity, 0) / best.length : Number.NaN,
    ...(ceilings ? { ceilings: [...ceilings], normalizedSimilarity: similarity.map((v, q) => normalise(v, ceilings[q % cols])) } : {}),
  };
}

/** The teacher layers' ceilings for `comparator`, or undefined when the teacher has no ceilings (or lacks one). */
export function ceilingsFor(teacher: TeacherView, layers: readonly string[], comparator: ComparatorName): number[] | undefined {
  const out: number[] = [];
  for (const name of layers) {
    const c = teacher.layers.find((l) => l.name === name)?.ceilings?.find((x) => x.comparator === comparator);
    if (!c) return undefined;
    out.push(c.splitHalf);
  }
  return out;
}

/** Keeps RDMs for a bootstrap within a memory bound. */
function checkBootstrapSize(layers: number, n: number, field: string): void {
  const entries = (layers * n * (n - 1)) / 2;
  if (entries > MAX_BOOTSTRAP_ENTRIES) {
    throw new ResourceExhaustedError(
      `${field}: a bootstrap over ${layers} RDMs of ${n} stimuli needs ${entries} entries held, over the limit of ${MAX_BOOTSTRAP_ENTRIES}`,
    );
  }
}

function checkSimilarity(value: number, candidate: string, teacherLayer: string, comparator: ComparatorName): number {
  if (!Number.isFinite(value)) {
    throw new InvalidArgumentError(
      'chunk.data',
      `layer "${candidate}": ${comparator} similarity with teacher layer "${teacherLayer}" is undefined ` +
        '(all its pairwise dissimilarities are equal)',
    );
  }
  return value;
}

function selectLayers(teacher: TeacherView, wanted: readonly string[], field: string): string[] {
  return resolveTeacherLayers({ id: teacher.id, layerNames: teacher.layers.map((l) => l.name), tgLayers: teacher.tgLayers }, wanted, field);
}

async function loadTeacherSide(
  deps: ScorerDeps,
  teacher: TeacherView,
  layers: string[],
  comparator: ComparatorName,
  signal: AbortSignal,
  timing: { seconds: number },
): Promise<TeacherSide> {
  const { compute, cache, teachers } = deps;
  if (isGramComparator(comparator)) {
    const grams = await Promise.all(
      layers.map((layer) =>
        cache.get(teacher.id, teacher.version, `gram/${layer}`, async () => {
          const g = await teachers.gram(teacher.id, layer, signal);
          return { value: g, bytes: g.byteLength };
        }),
      ),
    );
    return { kind: 'gram', grams };
  }
  const prepared: PreparedRdm[] = [];
  for (const layer of layers) {
    prepared.push(
      await cache.get(teacher.id, teacher.version, `${comparator}/${layer}`, async () => {
        const rdm = await teachers.rdm(teacher.id, layer, signal);
        const t0 = performance.now();
        const p = await compute.prepare(rdm, teacher.numStimuli, comparator as RdmComparator);
        timing.seconds += seconds(t0);
        return { value: p, bytes: p.bytes };
      }),
    );
  }
  return { kind: 'rdm', prepared };
}

export async function beginScore(deps: ScorerDeps, header: ScoreHeaderInput, signal: AbortSignal): Promise<ScoreSession> {
  if (!header.teacherId) throw new InvalidArgumentError('header.teacher_id', 'missing');
  const comparators = [header.comparator, ...(header.alsoComparators ?? [])];
  comparators.forEach((c, i) => {
    if (comparators.indexOf(c) !== i) {
      throw new InvalidArgumentError('header.also_comparators', `${c} is asked for twice (comparator and also_comparators must all differ)`);
    }
  });
  const teacher = await deps.teachers.teacher(header.teacherId, signal);
  const anyRdm = comparators.some((c) => !isGramComparator(c));
  const anyGram = comparators.some((c) => isGramComparator(c));
  if (anyRdm && header.rdmMethod !== undefined && header.rdmMethod !== teacher.rdmMethod) {
    throw new InvalidArgumentError(
      'header.rdm_method',
      `teacher "${teacher.id}" stores ${teacher.rdmMethod} RDMs; candidate RDMs must use the same method (got ${header.rdmMethod})`,
    );
  }
  const teacherLayers = selectLayers(teacher, header.teacherLayers, 'header.teacher_layers');
  if (anyGram) {
    const missing = teacher.layers.filter((l) => teacherLayers.includes(l.name) && !l.hasGram);
    if (missing.length > 0) {
      throw new FailedPreconditionError(
        `teacher "${teacher.id}" was stored without Gram matrices, which ${comparators.filter(isGramComparator).join(' and ')} ` +
          `needs (layers: ${missing.map((l) => l.name).join(', ')}); upload it again with store_gram`,
      );
    }
  }
  const method = teacher.rdmMethod;
  const n = teacher.numStimuli;
  const resamples = header.bootstrap ?? 0;
  checkBootstrap(resamples, header.comparator, 'header.bootstrap');
  // One timing per comparator; the shared work (each layer's RDM or Gram matrix) counts toward the first.
  const timings = comparators.map(() => ({ seconds: 0 }));
  // Teacher matrices load while the first candidate layer arrives.
  const teacherSides = Promise.all(comparators.map((c, k) => loadTeacherSide(deps, teacher, teacherLayers, c, signal, timings[k]!)));
  teacherSides.catch(() => undefined);
  // the bootstrap resamples the main comparator's RDMs
  const teacherRdms = resamples > 0 ? Promise.all(teacherLayers.map((l) => deps.teachers.rdm(teacher.id, l, signal))) : undefined;
  teacherRdms?.catch(() => undefined);
  const candidateLayers: string[] = [];
  const candidateRdms: Float32Array[] = [];
  const similarities: number[][] = comparators.map(() => []);
  const ceilings = comparators.map((c) => ceilingsFor(teacher, teacherLayers, c));

  return {
    numStimuli: n,
    async addLayer(layer) {
      if (candidateLayers.length >= deps.maxLayers) {
        throw new ResourceExhaustedError(`chunk.layer: more than ${deps.maxLayers} candidate layers`);
      }
      if (resamples > 0) checkBootstrapSize(candidateLayers.length + 1 + teacherLayers.length, n, 'header.bootstrap');
      const sides = await teacherSides;
      let t0 = performance.now();
      if (anyRdm) checkRows(layer, method);
      const rdm = anyRdm ? await named(layer.name, () => deps.compute.rdm(layer, method)) : undefined;
      const gram = anyGram ? await named(layer.name, () => deps.compute.centeredGram(layer)) : undefined;
      if (resamples > 0 && rdm) candidateRdms.push(rdm);
      timings[0]!.seconds += seconds(t0);
      const rows: number[][] = [];
      for (const [k, comparator] of comparators.entries()) {
        t0 = performance.now();
        const side = sides[k]!;
        let row: number[];
        if (side.kind === 'gram') {
          row = side.grams.map((tg) => deps.compute.cka(gram!, tg, n, comparator === 'cka_unbiased'));
        } else {
          const p = await deps.compute.prepare(rdm!, n, comparator as RdmComparator);
          row = side.prepared.map((tp) => deps.compute.compare(p, tp));
        }
        timings[k]!.seconds += seconds(t0);
        row.forEach((v, j) => checkSimilarity(v, layer.name, teacherLayers[j]!, comparator));
        rows.push(row);
      }
      candidateLayers.push(layer.name);
      rows.forEach((row, k) => similarities[k]!.push(...row));
    },
    async finish(finishSignal = signal) {
      if (candidateLayers.length === 0) throw new InvalidArgumentError('chunk', 'no candidate layers were sent');
      let bootstrap: BootstrapSummary | undefined;
      if (teacherRdms) {
        const t0 = performance.now();
        bootstrap = await runBootstrap(candidateRdms, await teacherRdms, n, header.comparator, resamples, header.bootstrapSeed ?? 0, ceilings[0], similarities[0]!, finishSignal);
        timings[0]!.seconds += seconds(t0);
      }
      const results: Similarity[] = comparators.map((comparator, k) => ({
        teacherId: teacher.id,
        comparator,
        rdmMethod: isGramComparator(comparator) ? undefined : method,
        candidateLayers,
        teacherLayers,
        similarity: similarities[k]!,
        ...summarise(similarities[k]!, candidateLayers, teacherLayers, ceilings[k], k === 0 ? bootstrap?.pBest : undefined),
        numStimuli: n,
        computeSeconds: timings[k]!.seconds,
        also: [],
        ...(k === 0 && bootstrap ? { bootstrap } : {}),
      }));
      return { ...results[0]!, also: results.slice(1) };
    },
  };
}

async function runBootstrap(
  candidates: ReadonlyArray<Float32Array | Float64Array>,
  teachers: ReadonlyArray<Float32Array | Float64Array>,
  n: number,
  comparator: ComparatorName,
  resamples: number,
  seed: number,
  ceilings: number[] | undefined,
  similarity: number[],
  signal: AbortSignal,
): Promise<BootstrapSummary> {
  const input = { candidates, teachers, n, comparator, resamples, seed, signal, ...(ceilings ? { ceilings } : {}) };
  const sims = await bootstrapSimilarities(input);
  return summariseBootstrap(sims, candidates.length, teachers.length, input, bestRows(similarity, candidates.length, teachers.length));
}

export interface CompareHeaderInput {
  /** '' = teacher RDMs come in the stream. */
  teacherId: string;
  comparator: ComparatorName;
  /** 0 = the teacher's (only with teacherId). */
  numStimuli: number;
  bootstrap?: number;
  bootstrapSeed?: number;
  /** With teacherId: ScoreHeader.teacher_layers' rule. */
  teacherLayers?: readonly string[];
}

export type RdmSideName = 'candidate' | 'teacher';

export interface CompareSession {
  readonly numStimuli: number;
  addRdm(side: RdmSideName, matrix: Matrix): Promise<void>;
  finish(): Promise<Similarity>;
}

export async function beginCompare(deps: ScorerDeps, header: CompareHeaderInput, signal: AbortSignal): Promise<CompareSession> {
  if (isGramComparator(header.comparator)) {
    throw new InvalidArgumentError('header.comparator', `${header.comparator} works on activations: use ScoreActivations`);
  }
  const comparator = header.comparator as RdmComparator;
  const timing = { seconds: 0 };
  let teacher: TeacherView | undefined;
  let n = header.numStimuli;
  if (header.teacherId) {
    teacher = await deps.teachers.teacher(header.teacherId, signal);
    if (n === 0) n = teacher.numStimuli;
    if (n !== teacher.numStimuli) {
      throw new InvalidArgumentError(
        'header.num_stimuli',
        `${n} differs from teacher "${teacher.id}"'s ${teacher.numStimuli} stimuli`,
      );
    }
  } else if (n < 3) {
    throw new InvalidArgumentError('header.num_stimuli', `must be at least 3 without a teacher_id, got ${n}`);
  }
  const resamples = header.bootstrap ?? 0;
  checkBootstrap(resamples, comparator, 'header.bootstrap');
  if (!teacher && (header.teacherLayers?.length ?? 0) > 0) {
    throw new InvalidArgumentError('header.teacher_layers', 'needs header.teacher_id (without it, every teacher RDM sent is used)');
  }
  const cachedLayers = teacher ? selectLayers(teacher, header.teacherLayers ?? [], 'header.teacher_layers') : [];
  const teacherSide = teacher ? loadTeacherSide(deps, teacher, cachedLayers, comparator, signal, timing) : undefined;
  teacherSide?.catch(() => undefined);
  const teacherRdms =
    teacher && resamples > 0 ? Promise.all(cachedLayers.map((l) => deps.teachers.rdm(teacher!.id, l, signal))) : undefined;
  teacherRdms?.catch(() => undefined);
  const sides: Record<RdmSideName, Array<{ name: string; prepared: PreparedRdm; rdm?: Float32Array | Float64Array }>> = {
    candidate: [],
    teacher: [],
  };

  return {
    numStimuli: n,
    async addRdm(side, matrix) {
      if (side === 'teacher' && teacher) {
        throw new InvalidArgumentError('rdm.side', `teacher RDMs come from teacher "${teacher.id}"; send candidate RDMs only`);
      }
      const list = sides[side];
      if (list.some((r) => r.name === matrix.name)) {
        throw new InvalidArgumentError('rdm.chunk.layer', `duplicate ${side} RDM name "${matrix.name}"`);
      }
      if (sides.candidate.length + sides.teacher.length >= deps.maxLayers) {
        throw new ResourceExhaustedError(`rdm: more than ${deps.maxLayers} RDMs`);
      }
      if (resamples > 0) {
        checkBootstrapSize(sides.candidate.length + sides.teacher.length + 1 + cachedLayers.length, n, 'header.bootstrap');
      }
      const t0 = performance.now();
      const prepared = await deps.compute.prepare(matrix.data, n, comparator);
      list.push({ name: matrix.name, prepared, ...(resamples > 0 ? { rdm: matrix.data } : {}) });
      timing.seconds += seconds(t0);
    },
    async finish() {
      if (sides.candidate.length === 0) throw new InvalidArgumentError('rdm', 'no candidate RDMs were sent');
      const teacherLayers = teacher ? cachedLayers : sides.teacher.map((r) => r.name);
      const teacherPrepared = teacherSide ? ((await teacherSide) as { prepared: PreparedRdm[] }).prepared : sides.teacher.map((r) => r.prepared);
      if (teacherPrepared.length === 0) throw new InvalidArgumentError('rdm', 'no teacher RDMs were sent (and no header.teacher_id)');
      const t0 = performance.now();
      const similarity: number[] = [];
      for (const c of sides.candidate) {
        teacherPrepared.forEach((tp, j) => similarity.push(checkSimilarity(deps.compute.compare(c.prepared, tp), c.name, teacherLayers[j]!, comparator)));
      }
      const candidateLayers = sides.candidate.map((r) => r.name);
      const ceilings = teacher ? ceilingsFor(teacher, teacherLayers, comparator) : undefined;
      let bootstrap: BootstrapSummary | undefined;
      if (resamples > 0) {
        const tRdms = teacherRdms ? await teacherRdms : sides.teacher.map((r) => r.rdm!);
        bootstrap = await runBootstrap(
          sides.candidate.map((r) => r.rdm!),
          tRdms,
          n,
          comparator,
          resamples,
          header.bootstrapSeed ?? 0,
          ceilings,
          similarity,
          signal,
        );
      }
      timing.seconds += seconds(t0);
      return {
        teacherId: teacher?.id ?? '',
        comparator,
        rdmMethod: teacher?.rdmMethod,
        candidateLayers,
        teacherLayers,
        similarity,
        ...summarise(similarity, candidateLayers, teacherLayers, ceilings, bootstrap?.pBest),
        numStimuli: n,
        computeSeconds: timing.seconds,
        also: [],
        ...(bootstrap ? { bootstrap } : {}),
      };
    },
  };
}
