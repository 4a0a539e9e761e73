// Study configuration: validated before any work, defaults filled in. Errors are InvalidArgumentError naming the
// proto field (snake_case path), or NotFoundError for an unknown teacher.
import type { StudyConfig } from '../../gen/tgsage/v1/search_controller.ts';
import { ScoreKind, TgKind } from '../../gen/tgsage/v1/search_controller.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { Comparator } from '../../gen/tgsage/v1/similarity.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../common/errors.ts';
import { DEFAULT_TEACHER_ID, isValidId } from '../common/ids.ts';
import { TRAINING_LIMITS } from '../common/limits.ts';
import { DATASET_NAMES } from '../data/dataset.ts';
import { checkRequestLayersForm, fixStudyTeacherLayers } from '../teachers/tg-layers.ts';
import { plannedRungSizes, resolveHalvingConfig } from './halving.ts';
import { DEFAULT_ALPHA, DEFAULT_SCORE } from './score.ts';
import { createStrategyRegistry, type StrategyRegistry } from './strategies/registry.ts';

export const LIMITS = {
  maxStepsPerTrial: TRAINING_LIMITS.maxSteps,
  maxTrials: 10_000,
  maxParallelism: 64,
  maxAttempts: 20,
  maxRungs: 8,
} as const;

export interface ValidateDeps {
  /** Strategies the controller knows (validates the strategy settings). */
  registry?: StrategyRegistry;
  /**
   * Throws NotFoundError if the teacher is unknown (e.g. TeacherCache.GetTeacher); returns what the study needs of
   * it: its number of stimuli (the dataset's stimulus count when the config leaves it 0), whether it has noise
   * ceilings, and its layers (the study's teacher_layers are fixed against them). Skipped for score = P.
   */
  checkTeacher?: (teacherId: string, signal?: AbortSignal) => Promise<CheckedTeacher | void>;
}

/** What checkTeacher tells about a teacher; with its layers, the study's teacher_layers are fixed against them. */
export interface CheckedTeacher {
  readonly id: string;
  readonly numStimuli: number;
  readonly repetitions?: boolean;
  readonly layerNames?: readonly string[];
  readonly tgLayers?: readonly string[];
}

function intIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function realIn(field: string, value: number, min: number, max: number, openMax = false): number {
  if (!Number.isFinite(value) || value < min || (openMax ? value >= max : value > max)) {
    throw new InvalidArgumentError(field, `must be in [${min}, ${max}${openMax ? ')' : ']'}, got ${value}`);
  }
  return value;
}

/** Validates and fills defaults without touching other services. */
export function normalizeStudyConfig(
  input: StudyConfig | undefined,
  registry: StrategyRegistry = createStrategyRegistry(),
): StudyConfig {
  if (!input) throw new InvalidArgumentError('config', 'is required');
  const c = structuredClone(input);
  if (c.space !== SearchSpace.SEARCH_SPACE_CONVNET && c.space !== SearchSpace.SEARCH_SPACE_NASNET) {
    throw new InvalidArgumentError('space', 'must be SEARCH_SPACE_CONVNET or SEARCH_SPACE_NASNET');
  }
  c.strategy = registry.resolveConfig(c.strategy, 'strategy');
  checkRequestLayersForm(c.teacherLayers ?? [], 'teacher_layers');
  const listed = c.strategy.strategy?.$case === 'listed' ? c.strategy.strategy.value.trials : undefined;
  if (listed) {
    // a listed study runs its list: num_trials defaults to its length and may not exceed it
    c.numTrials ||= listed.length;
    if (c.numTrials > listed.length) {
      throw new InvalidArgumentError('num_trials', `a listed study has ${listed.length} trials; num_trials ${c.numTrials} exceeds it`);
    }
    const space = c.space === SearchSpace.SEARCH_SPACE_CONVNET ? 'convnet' : 'nasnet';
    listed.forEach((t, i) => {
      if (t.genome?.space?.$case !== space) {
        throw new InvalidArgumentError(`strategy.listed.trials[${i}].genome`, `is a ${t.genome?.space?.$case} genome; the study's space is ${space}`);
      }
    });
  }
  if (c.score === ScoreKind.SCORE_KIND_UNSPECIFIED) c.score = DEFAULT_SCORE;
  if (![ScoreKind.SCORE_KIND_P, ScoreKind.SCORE_KIND_TG, ScoreKind.SCORE_KIND_P_TG].includes(c.score)) {
    throw new InvalidArgumentError('score', `unknown score kind ${c.score}`);
  }
  c.alpha = realIn('alpha', c.alpha ?? DEFAULT_ALPHA, 0, 1);
  c.stepsPerTrial = intIn('steps_per_trial', c.stepsPerTrial, 1, LIMITS.maxStepsPerTrial);
  c.numTrials = intIn('num_trials', c.numTrials, 1, LIMITS.maxTrials);
  c.parallelism = intIn('parallelism', c.parallelism || 1, 1, LIMITS.maxParallelism);
  c.teacherId = c.teacherId || DEFAULT_TEACHER_ID;
  if (!isValidId(c.teacherId)) {
    throw new InvalidArgumentError('teacher_id', `${JSON.stringify(c.teacherId)} is not a valid teacher id`);
  }
  const d = c.dataset ?? { name: '', directory: '', numStimuli: 0, numValidation: 0, splitSeed: 0 };
  d.name = d.name || 'mnist';
  if (!(DATASET_NAMES as readonly string[]).includes(d.name)) {
    throw new InvalidArgumentError('dataset.name', `must be one of ${DATASET_NAMES.join(', ')}, got ${JSON.stringify(d.name)}`);
  }
  if (d.name === 'idx' && !d.directory) throw new InvalidArgumentError('dataset.directory', 'is required for idx');
  if (d.numStimuli) intIn('dataset.num_stimuli', d.numStimuli, 4, 100_000);
  c.dataset = d;
  if (!Number.isSafeInteger(c.seed) || c.seed < 0) throw new InvalidArgumentError('seed', 'must be a safe integer >= 0');
  if (c.training) {
    if (c.training.batchSize) intIn('training.batch_size', c.training.batchSize, 1, TRAINING_LIMITS.maxBatchSize);
    if (c.training.learningRate) realIn('training.learning_rate', c.training.learningRate, 1e-9, 10);
    const budgets = c.training.evalSteps;
    if (budgets.length > 64) throw new InvalidArgumentError('training.eval_steps', `at most 64 budgets (got ${budgets.length})`);
    budgets.forEach((s, i) => {
      intIn(`training.eval_steps[${i}]`, s, 1, c.stepsPerTrial);
      if (i > 0 && s <= budgets[i - 1]!) {
        throw new InvalidArgumentError('training.eval_steps', `must be strictly increasing (${budgets[i - 1]} then ${s})`);
      }
    });
  }
  if (c.comparator === Comparator.COMPARATOR_UNSPECIFIED) c.comparator = Comparator.COMPARATOR_SPEARMAN;
  if (!Object.values(Comparator).includes(c.comparator) || c.comparator < 0) {
    throw new InvalidArgumentError('comparator', `unknown comparator ${c.comparator}`);
  }
  const mf = c.multiFidelity;
  const halving = resolveHalvingConfig(mf, c.stepsPerTrial, c.numTrials, 'multi_fidelity');
  if (mf && halving) {
    mf.eta = halving.eta;
    mf.rungs = halving.rungs;
    mf.minSteps = intIn('multi_fidelity.min_steps', halving.budgets[0]!, 1, c.stepsPerTrial);
    mf.lastRungByP ??= true;
  } else {
    c.multiFidelity = { enabled: false, minSteps: 0, eta: 0, rungs: 0 };
  }
  c.maxAttempts = intIn('max_attempts', c.maxAttempts || 3, 1, LIMITS.maxAttempts);
  c.alsoComparators = (c.alsoComparators ?? []).map((a, i) => {
    if (!Object.values(Comparator).includes(a) || a <= 0) throw new InvalidArgumentError(`also_comparators[${i}]`, `unknown comparator ${a}`);
    if (a === c.comparator || c.alsoComparators.indexOf(a) !== i) {
      throw new InvalidArgumentError(`also_comparators[${i}]`, `repeats comparator ${Comparator[a]}`);
    }
    return a;
  });
  if (c.tgKind === TgKind.TG_KIND_UNSPECIFIED || c.tgKind === undefined) c.tgKind = TgKind.TG_KIND_RAW;
  if (c.tgKind !== TgKind.TG_KIND_RAW && c.tgKind !== TgKind.TG_KIND_CEILING_NORMALIZED) {
    throw new InvalidArgumentError('tg_kind', `unknown TG kind ${c.tgKind}`);
  }
  return c;
}

/**
 * The seed a trial trains with (weight initialisation and batch order): its ListedTrial's training_seed in a listed
 * study (trial number i is trials[i]; a promoted trial keeps its seed), the study's seed otherwise.
 */
export function trainingSeedOf(c: StudyConfig, trial: { number: number; trainingSeed?: number | undefined }): number {
  if (trial.trainingSeed !== undefined) return trial.trainingSeed;
  const s = c.strategy?.strategy;
  if (s?.$case === 'listed') return s.value.trials[trial.number]?.trainingSeed ?? c.seed;
  return c.seed;
}

/**
 * Validates, fills defaults, and checks the teacher (it exists; teacher_layers name its layers; it has noise
 * ceilings for ceiling-normalised TG) when the score uses it, or when the config names one: a study ranked by P
 * still scores the activations an ask/tell client sends against its teacher, and a teacher asked for by name must not
 * turn out missing later.
 */
export async function validateStudyConfig(
  input: StudyConfig | undefined,
  deps: ValidateDeps,
  signal?: AbortSignal,
): Promise<StudyConfig> {
  const c = normalizeStudyConfig(input, deps.registry);
  const namesTeacher = !!input?.teacherId || (input?.teacherLayers?.length ?? 0) > 0 || c.tgKind === TgKind.TG_KIND_CEILING_NORMALIZED;
  if ((c.score !== ScoreKind.SCORE_KIND_P || namesTeacher) && deps.checkTeacher) {
    const teacher = await deps.checkTeacher(c.teacherId, signal);
    if (teacher && c.dataset && !c.dataset.numStimuli) c.dataset.numStimuli = teacher.numStimuli;
    if (teacher?.layerNames) c.teacherLayers = fixStudyTeacherLayers({ ...teacher, layerNames: teacher.layerNames }, c.teacherLayers, 'teacher_layers');
    if (teacher && c.tgKind === TgKind.TG_KIND_CEILING_NORMALIZED && !teacher.repetitions) {
      throw new FailedPreconditionError(
        `tg_kind: ceiling-normalised TG needs noise ceilings, and teacher "${c.teacherId}" was not uploaded with repetitions`,
      );
    }
  }
  return c;
}

export { rungPlan, type Rung } from './halving.ts';
