// One TrainCandidate request from start to result, in domain terms: check everything cheap first (genome, budget,
// teacher), wait for a training slot, build, train, evaluate, then stream the candidate's activations to the scorer.
// Dependencies (datasets, model builder, teacher lookup, scorer) are injected; see service.ts for the gRPC side.
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Client } from 'nice-grpc';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import type { ScorerDefinition } from '../../gen/tgsage/v1/scorer.ts';
import type { Comparator, RdmPreview, SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../common/errors.ts';
import { TRAINING_LIMITS } from '../common/limits.ts';
import type { ResolvedDatasetSpec } from '../data/dataset.ts';
import { validateGenome } from '../spaces/validate.ts';
import { layerActivations } from './activations.ts';
import { checkCheckpointMatches, checkpointPlan, type CheckpointRequest } from './checkpoint.ts';
import { DEFAULT_MAX_CHECKPOINT_BYTES, type Checkpoint } from './checkpoint-format.ts';
import { scoreLayers } from './scoring.ts';
import type { RdmMethod as RdmMethodName } from '../compute/types.ts';
import type { Slots } from './slots.ts';
import { trainCandidate } from './train.ts';
import type { BudgetPoint, TrainingConfig, TrainingData } from './types.ts';
import { resolveTeacherLayers, type TeacherLayersView } from '../teachers/tg-layers.ts';

/** Which dataset, in domain terms (the proto's DatasetSpec with defaults applied, checked). */
export type DatasetRequest = ResolvedDatasetSpec;

/** A loaded dataset: training splits plus the fixed, class-ordered stimulus set. */
export interface LoadedDataset {
  readonly name: string;
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly training: TrainingData;
  readonly stimuli: tf.Tensor4D;
}

export interface BuiltModel {
  readonly model: LayersModel;
  readonly representationLayers: readonly string[];
  readonly parameterCount: number;
  readonly flops: number;
}

export interface TeacherInfo extends TeacherLayersView {
  readonly numStimuli: number;
  readonly dataset: string;
  /** The teacher's RDM method, which candidate layers are scored with (default correlation, the strictest). */
  readonly rdmMethod?: RdmMethodName;
}

export interface PipelineDeps {
  /** Loads (and may cache) a dataset; FailedPreconditionError when it is not installed. */
  readonly loadDataset: (spec: DatasetRequest, signal?: AbortSignal) => Promise<LoadedDataset>;
  readonly buildModel: (
    genome: Genome,
    options: { inputShape: readonly [number, number, number]; numClasses: number; seed: number },
  ) => BuiltModel;
  /** NotFoundError for an unknown teacher. */
  readonly getTeacher: (id: string, signal?: AbortSignal) => Promise<TeacherInfo>;
  readonly scorer: Client<ScorerDefinition>;
  readonly slots: Slots;
  /** Compute backend training runs on (for the result). */
  readonly backend: () => string;
  /** Largest checkpoint this trainer sends or accepts, in bytes (default DEFAULT_MAX_CHECKPOINT_BYTES). */
  readonly maxCheckpointBytes?: number;
}

export interface TrainRequest {
  readonly genome: Genome;
  readonly training: TrainingConfig;
  readonly dataset: DatasetRequest;
  readonly teacherId: string;
  readonly comparator: Comparator;
  /** More comparators scored in the same pass (results in each SimilarityResult's `also`). */
  readonly alsoComparators?: readonly Comparator[];
  readonly skipScoring: boolean;
  /** TrainCandidateRequest.teacher_layers: resolved against the teacher before training (tg-layers.ts). */
  readonly teacherLayers?: readonly string[];
  readonly trialId: string;
  /** Return a checkpoint of the trained candidate. */
  readonly checkpoint?: CheckpointRequest | undefined;
  /** Continue from this (verified) checkpoint instead of step 0 (ContinueCandidate). */
  readonly resume?: Checkpoint | undefined;
}

export type Phase = 'queued' | 'building' | 'training' | 'evaluating' | 'scoring';

export interface PipelineProgress {
  readonly phase: Phase;
  readonly step: number;
  readonly totalSteps: number;
  readonly loss: number;
  readonly imagesPerSecond: number;
  readonly elapsedSeconds: number;
}

/** One point of the learning curve: the candidate measured (and scored) at an evaluation budget. */
export interface PipelineCurvePoint extends BudgetPoint {
  /** Absent with skipScoring. */
  readonly similarity: SimilarityResult | undefined;
  /** Seconds this point's scoring took (activations, transfer, the scorer's compute). */
  readonly scoreSeconds: number;
}

/** What a run reports while it goes: progress, and each curve point as soon as it is measured. */
export interface PipelineEvents {
  progress(p: PipelineProgress): void;
  curvePoint?(point: PipelineCurvePoint): void;
}

export interface PipelineResult {
  readonly validationAccuracy: number;
  readonly finalLoss: number;
  readonly parameterCount: number;
  readonly flops: number;
  readonly wallSeconds: number;
  readonly similarity: SimilarityResult | undefined;
  readonly backend: string;
  readonly steps: number;
  readonly representationLayers: readonly string[];
  readonly rdmPreviews: readonly RdmPreview[];
  readonly curve: readonly PipelineCurvePoint[];
  /** Seconds waiting for a training slot. */
  readonly queueSeconds: number;
  /** Seconds in training steps only. */
  readonly trainSeconds: number;
  /** The checkpoint asked for, encoded (checkpoint-format.ts). */
  readonly checkpoint?: Uint8Array | undefined;
  /** Why no checkpoint was made although one was asked for "if it fits". */
  readonly checkpointOmitted?: string;
  /** Step training started from (the checkpoint's; 0 from scratch). */
  readonly startStep?: number;
}

export const LIMITS = TRAINING_LIMITS;

/** Throws InvalidArgumentError for a budget or schedule out of range. */
export function validateTraining(t: TrainingConfig): void {
  const int = (field: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new InvalidArgumentError(field, `must be an integer from ${lo} to ${hi} (got ${v})`);
    }
  };
  int('training.steps', t.steps, 1, LIMITS.maxSteps);
  int('training.batch_size', t.batchSize, 1, LIMITS.maxBatchSize);
  if (!(t.learningRate > 0 && t.learningRate <= 10)) {
    throw new InvalidArgumentError('training.learning_rate', `must be in (0, 10] (got ${t.learningRate})`);
  }
  if (!(t.momentum >= 0 && t.momentum < 1)) {
    throw new InvalidArgumentError('training.momentum', `must be in [0, 1) (got ${t.momentum})`);
  }
  if (t.evalSteps.length > LIMITS.maxEvalSteps) {
    throw new InvalidArgumentError('training.eval_steps', `at most ${LIMITS.maxEvalSteps} budgets (got ${t.evalSteps.length})`);
  }
  t.evalSteps.forEach((s, i) => {
    int(`training.eval_steps[${i}]`, s, 1, t.steps);
    if (i > 0 && s <= t.evalSteps[i - 1]!) {
      throw new InvalidArgumentError('training.eval_steps', `must be strictly increasing (${t.evalSteps[i - 1]} then ${s})`);
    }
  });
  if (t.scheduleSteps) int('training.schedule_steps', t.scheduleSteps, t.steps, LIMITS.maxSteps);
}

export async function runTraining(
  deps: PipelineDeps,
  request: TrainRequest,
  events: PipelineEvents,
  signal?: AbortSignal,
): Promise<PipelineResult> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const total = request.training.steps;
  const emit = (phase: Phase, step = 0, loss = 0, imagesPerSecond = 0) =>
    events.progress({ phase, step, totalSteps: total, loss, imagesPerSecond, elapsedSeconds: elapsed() });

  // Cheap checks first: nothing is trained for a request that cannot succeed.
  validateGenome(request.genome);
  validateTraining(request.training);
  if (request.resume) checkCheckpointMatches(request.resume.header, { ...request, backend: deps.backend() });
  // The layers TG averages over, fixed now: the whole curve is scored against the same ones.
  let teacherLayers: string[] = [];
  let rdmMethod: RdmMethodName = 'correlation';
  if (!request.skipScoring) {
    const teacher = await deps.getTeacher(request.teacherId, signal);
    rdmMethod = teacher.rdmMethod ?? rdmMethod;
    teacherLayers = resolveTeacherLayers(teacher, request.teacherLayers ?? [], 'teacher_layers');
    if (teacher.dataset && teacher.dataset !== request.dataset.name) {
      throw new FailedPreconditionError(
        `teacher ${teacher.id} was computed on dataset ${teacher.dataset}, not ${request.dataset.name}: ` +
          `train on ${teacher.dataset}, or pick a teacher for ${request.dataset.name}`,
      );
    }
    if (teacher.numStimuli !== request.dataset.numStimuli) {
      throw new FailedPreconditionError(
        `teacher ${teacher.id} has ${teacher.numStimuli} stimuli but the stimulus set asked for has ` +
          `${request.dataset.numStimuli}: set dataset.num_stimuli to ${teacher.numStimuli}`,
      );
    }
  }

  const release = await deps.slots.acquire(signal, () => emit('queued'));
  const queueSeconds = elapsed();
  let built: BuiltModel | undefined;
  try {
    emit('building');
    const data = await deps.loadDataset(request.dataset, signal);
    signal?.throwIfAborted();
    built = deps.buildModel(request.genome, {
      inputShape: data.inputShape,
      numClasses: data.numClasses,
      seed: request.training.seed,
    });
    const model = built;
    const curve: PipelineCurvePoint[] = [];
    let previews: RdmPreview[] = [];
    const plan = checkpointPlan(
      built.model,
      request,
      { ...request, backend: deps.backend() },
      deps.maxCheckpointBytes ?? DEFAULT_MAX_CHECKPOINT_BYTES,
    );
    emit('training', plan.resume?.step ?? 0);
    const outcome = await trainCandidate({
      model: model.model,
      data: data.training,
      config: request.training,
      signal,
      onProgress: (e) => emit('training', e.step, e.loss, e.imagesPerSecond),
      onEvaluating: (step) => emit('evaluating', step),
      // Each budget is scored before training goes on; the final budget's RDM previews go into the result.
      onBudget: async (point) => {
        let similarity: SimilarityResult | undefined;
        const scoringStarted = performance.now();
        if (!request.skipScoring) {
          emit('scoring', point.step, point.trainLoss);
          const scored = await scoreLayers({
            scorer: deps.scorer,
            teacherId: request.teacherId,
            comparator: request.comparator,
            alsoComparators: request.alsoComparators,
            teacherLayers,
            rdmMethod,
            layers: layerActivations(model.model, model.representationLayers, data.stimuli, { signal }),
            signal,
          });
          similarity = scored.similarity;
          previews = scored.previews;
        }
        const full: PipelineCurvePoint = { ...point, similarity, scoreSeconds: (performance.now() - scoringStarted) / 1000 };
        curve.push(full);
        events.curvePoint?.(full);
        if (point.step < total) emit('training', point.step, point.trainLoss);
      },
      resume: plan.resume,
      onTrained: plan.onTrained,
    });
    return {
      validationAccuracy: outcome.validationAccuracy,
      finalLoss: outcome.finalLoss,
      parameterCount: model.parameterCount,
      flops: model.flops,
      wallSeconds: elapsed(),
      similarity: curve.at(-1)?.similarity,
      backend: deps.backend(),
      steps: outcome.steps,
      representationLayers: model.representationLayers,
      rdmPreviews: previews,
      curve,
      queueSeconds,
      trainSeconds: outcome.trainSeconds,
      checkpoint: plan.bytes(),
      checkpointOmitted: plan.omitted(),
      startStep: plan.resume?.step ?? 0,
    };
  } finally {
    built?.model.dispose();
    release();
  }
}
