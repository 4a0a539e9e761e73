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
  best: Array<{ teacherLayer: string; candidateLayer: string; similarity: number }>;
  tg: number;
  numStimuli: number;
  computeSeconds: number;
  /** The same candidate under ScoreHeader.also_comparators, in that order (each with an empty `also`). */
  also: Similarity[];
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
}

export interface ScoreSession {
  readonly numStimuli: number;
  addLayer(layer: Layer): Promise<void>;
  finish(): Similarity;
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

/** Picks each column's best row and TG from a row-major rows x cols matrix. */
export function summarise(
  similarity: number[],
  candidateLayers: string[],
  teacherLayers: string[],
): Pick<Similarity, 'best' | 'tg'> {
  const cols = teacherLayers.length;
  const best = teacherLayers.map((teacherLayer, j) => {
    let bi = 0;
    for (let i = 1; i < candidateLayers.length; i++) if (similarity[i * cols + j]! > similarity[bi * cols + j]!) bi = i;
    return { teacherLayer, candidateLayer: candidateLayers[bi]!, similarity: similarity[bi * cols + j]! };
  });
  return { best, tg: best.reduce((s, b) => s + b.similarity, 0) / best.length };
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

function selectLayers(teacher: TeacherView, wanted: string[], field: string): string[] {
  const names = teacher.layers.map((l) => l.name);
  if (wanted.length === 0) return names;
  const seen = new Set<string>();
  for (const w of wanted) {
    if (!names.includes(w)) {
      throw new InvalidArgumentError(field, `teacher "${teacher.id}" has no layer "${w}" (it has: ${names.join(', ')})`);
    }
    if (seen.has(w)) throw new InvalidArgumentError(field, `layer "${w}" is listed twice`);
    seen.add(w);
  }
  return names.filter((n) => seen.has(n));
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
  // One timing per comparator; the shared work (each layer's RDM or Gram matrix) counts toward the first.
  const timings = comparators.map(() => ({ seconds: 0 }));
  // Teacher matrices load while the first candidate layer arrives.
  const teacherSides = Promise.all(comparators.map((c, k) => loadTeacherSide(deps, teacher, teacherLayers, c, signal, timings[k]!)));
  teacherSides.catch(() => undefined);
  const candidateLayers: string[] = [];
  const similarities: number[][] = comparators.map(() => []);

  return {
    numStimuli: n,
    async addLayer(layer) {
      if (candidateLayers.length >= deps.maxLayers) {
        throw new ResourceExhaustedError(`chunk.layer: more than ${deps.maxLayers} candidate layers`);
      }
      const sides = await teacherSides;
      let t0 = performance.now();
      if (anyRdm) checkRows(layer, method);
      const rdm = anyRdm ? await named(layer.name, () => deps.compute.rdm(layer, method)) : undefined;
      const gram = anyGram ? await named(layer.name, () => deps.compute.centeredGram(layer)) : undefined;
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
    finish() {
      if (candidateLayers.length === 0) throw new InvalidArgumentError('chunk', 'no candidate layers were sent');
      const results: Similarity[] = comparators.map((comparator, k) => ({
        teacherId: teacher.id,
        comparator,
        rdmMethod: isGramComparator(comparator) ? undefined : method,
        candidateLayers,
        teacherLayers,
        similarity: similarities[k]!,
        ...summarise(similarities[k]!, candidateLayers, teacherLayers),
        numStimuli: n,
        computeSeconds: timings[k]!.seconds,
        also: [],
      }));
      return { ...results[0]!, also: results.slice(1) };
    },
  };
}

export interface CompareHeaderInput {
  /** '' = teacher RDMs come in the stream. */
  teacherId: string;
  comparator: ComparatorName;
  /** 0 = the teacher's (only with teacherId). */
  numStimuli: number;
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
  const teacherSide = teacher
    ? loadTeacherSide(deps, teacher, teacher.layers.map((l) => l.name), comparator, signal, timing)
    : undefined;
  teacherSide?.catch(() => undefined);
  const sides: Record<RdmSideName, Array<{ name: string; prepared: PreparedRdm }>> = { candidate: [], teacher: [] };

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
      const t0 = performance.now();
      list.push({ name: matrix.name, prepared: await deps.compute.prepare(matrix.data, n, comparator) });
      timing.seconds += seconds(t0);
    },
    async finish() {
      if (sides.candidate.length === 0) throw new InvalidArgumentError('rdm', 'no candidate RDMs were sent');
      const teacherLayers = teacher ? teacher.layers.map((l) => l.name) : sides.teacher.map((r) => r.name);
      const teacherPrepared = teacherSide ? ((await teacherSide) as { prepared: PreparedRdm[] }).prepared : sides.teacher.map((r) => r.prepared);
      if (teacherPrepared.length === 0) throw new InvalidArgumentError('rdm', 'no teacher RDMs were sent (and no header.teacher_id)');
      const t0 = performance.now();
      const similarity: number[] = [];
      for (const c of sides.candidate) {
        teacherPrepared.forEach((tp, j) => similarity.push(checkSimilarity(deps.compute.compare(c.prepared, tp), c.name, teacherLayers[j]!, comparator)));
      }
      timing.seconds += seconds(t0);
      const candidateLayers = sides.candidate.map((r) => r.name);
      return {
        teacherId: teacher?.id ?? '',
        comparator,
        rdmMethod: teacher?.rdmMethod,
        candidateLayers,
        teacherLayers,
        similarity,
        ...summarise(similarity, candidateLayers, teacherLayers),
        numStimuli: n,
        computeSeconds: timing.seconds,
        also: [],
      };
    },
  };
}
