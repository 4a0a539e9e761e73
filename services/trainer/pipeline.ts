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
import { scoreLayers } from './scoring.ts';
import type { Slots } from './slots.ts';
import { trainCandidate } from './train.ts';
import type { TrainingConfig, TrainingData } from './types.ts';

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

export interface TeacherInfo {
  readonly id: string;
  readonly numStimuli: number;
  readonly dataset: string;
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
}

export interface TrainRequest {
  readonly genome: Genome;
  readonly training: TrainingConfig;
  readonly dataset: DatasetRequest;
  readonly teacherId: string;
  readonly comparator: Comparator;
  readonly skipScoring: boolean;
  readonly trialId: string;
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
}

export async function runTraining(
  deps: PipelineDeps,
  request: TrainRequest,
  onProgress: (p: PipelineProgress) => void,
  signal?: AbortSignal,
): Promise<PipelineResult> {
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const total = request.training.steps;
  const emit = (phase: Phase, step = 0, loss = 0, imagesPerSecond = 0) =>
    onProgress({ phase, step, totalSteps: total, loss, imagesPerSecond, elapsedSeconds: elapsed() });

  // Cheap checks first: nothing is trained for a request that cannot succeed.
  validateGenome(request.genome);
  validateTraining(request.training);
  if (!request.skipScoring) {
    const teacher = await deps.getTeacher(request.teacherId, signal);
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
    emit('training', 0);
    const outcome = await trainCandidate({
      model: built.model,
      data: data.training,
      config: request.training,
      signal,
      onProgress: (e) => emit('training', e.step, e.loss, e.imagesPerSecond),
      onEvaluating: () => emit('evaluating', total),
    });
    let similarity: SimilarityResult | undefined;
    let previews: RdmPreview[] = [];
    if (!request.skipScoring) {
      emit('scoring', outcome.steps, outcome.finalLoss);
      const scored = await scoreLayers({
        scorer: deps.scorer,
        teacherId: request.teacherId,
        comparator: request.comparator,
        layers: layerActivations(built.model, built.representationLayers, data.stimuli, { signal }),
        signal,
      });
      similarity = scored.similarity;
      previews = scored.previews;
    }
    return {
      validationAccuracy: outcome.validationAccuracy,
      finalLoss: outcome.finalLoss,
      parameterCount: built.parameterCount,
      flops: built.flops,
      wallSeconds: elapsed(),
      similarity,
      backend: deps.backend(),
      steps: outcome.steps,
      representationLayers: built.representationLayers,
      rdmPreviews: previews,
    };
  } finally {
    built?.model.dispose();
    release();
  }
}
