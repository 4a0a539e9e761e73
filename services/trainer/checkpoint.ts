// Checkpoints of training runs, in domain terms: capture the live state at the end of training (weights, optimizer
// state, step), check that a checkpoint belongs to a request, and restore it into a freshly built model and
// optimizer so that training continues exactly where it stopped. The byte format is checkpoint-format.ts.
//
// What makes a continuation exact (bitwise, on the same backend):
// - every model weight, trainable or not (batch-norm moving statistics included);
// - the optimizer's accumulators in update order (momentum, or Adam's first and second moments), its iteration
//   count and, for Adam, its running powers beta^t as the float32 values the uninterrupted run holds (tfjs's own
//   setWeights recomputes them with pow(), which can differ in the last bit);
// - the step: the learning rate is a pure function of (step, schedule span), and the batch order a pure function
//   of (seed, batches drawn = step) (batch-order.ts);
// - no other randomness: genomes have no dropout or noise layers, initialisation is seeded (and overwritten here).
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { FailedPreconditionError, ResourceExhaustedError } from '../common/errors.ts';
import type { ResolvedDatasetSpec } from '../data/dataset.ts';
import { genomeToJsonValue } from '../spaces/json.ts';
import {
  checkpointSize,
  checkSizeLimit,
  encodeCheckpoint,
  mib,
  type Checkpoint,
  type CheckpointHeader,
  type CheckpointTensorInfo,
  type CheckpointTraining,
} from './checkpoint-format.ts';
import { scheduleSpan } from './schedule.ts';
import type { TrainedState, TrainingConfig, TrainingResume } from './types.ts';

/** What a checkpoint must agree with: the run it continues. */
export interface CheckpointContext {
  readonly genome: Genome;
  readonly training: TrainingConfig;
  readonly dataset: ResolvedDatasetSpec;
  readonly backend: string;
}

export function checkpointTraining(t: TrainingConfig): CheckpointTraining {
  return {
    batchSize: t.batchSize,
    optimizer: t.optimizer,
    learningRate: t.learningRate,
    momentum: t.momentum,
    schedule: t.schedule,
    scheduleSteps: scheduleSpan(t),
    seed: t.seed,
    clipNorm: t.clipNorm,
  };
}

/** Optimizer state tensors per weight: momentum keeps one accumulator, Adam two moments. */
export function optimizerSlots(optimizer: TrainingConfig['optimizer']): number {
  return optimizer === 'adam' ? 2 : 1;
}

/**
 * Bytes of the checkpoint a model will have once trained (weights, plus the optimizer's accumulators of the
 * trainable ones), known before training so that an oversized one is refused before any work.
 */
export function expectedCheckpointBytes(model: LayersModel, optimizer: TrainingConfig['optimizer']): number {
  const count = (ws: readonly { shape: readonly (number | null)[] }[]) =>
    ws.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  const elements = count(model.weights) + optimizerSlots(optimizer) * count(model.trainableWeights);
  // header: a genome, a config and one entry per tensor, generously bounded
  const headerBytes = 4096 + 160 * (model.weights.length + optimizerSlots(optimizer) * model.trainableWeights.length);
  return checkpointSize(headerBytes, elements);
}

/** Reads the live state into a checkpoint (header and float32 tensors). Disposes everything it creates. */
export async function captureCheckpoint(
  state: TrainedState,
  context: CheckpointContext,
): Promise<{ header: CheckpointHeader; tensors: Float32Array[] }> {
  const infos: CheckpointTensorInfo[] = [];
  const tensors: Float32Array[] = [];
  for (const [i, w] of state.model.weights.entries()) {
    const value = w.read();
    if (value.dtype !== 'float32') throw new Error(`checkpoint: weight ${w.originalName} is ${value.dtype}, not float32`);
    infos.push({ name: `weights/${i}`, shape: [...value.shape] });
    tensors.push((await value.data()) as Float32Array);
  }
  const named = await state.optimizer.getWeights();
  const scalars: Record<string, number> = {};
  try {
    // the first is the iteration count (a fresh int32 scalar the optimizer made for us)
    scalars['iterations'] = (await named[0]!.tensor.data())[0]!;
    for (const [i, { tensor }] of named.slice(1).entries()) {
      infos.push({ name: `optimizer/${i}`, shape: [...tensor.shape] });
      tensors.push((await tensor.data()) as Float32Array);
    }
  } finally {
    named[0]?.tensor.dispose();
  }
  if (context.training.optimizer === 'adam') {
    const adam = state.optimizer as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
    scalars['accBeta1'] = (await adam.accBeta1.data())[0]!;
    scalars['accBeta2'] = (await adam.accBeta2.data())[0]!;
  }
  const header: CheckpointHeader = {
    genome: genomeToJsonValue(context.genome),
    training: checkpointTraining(context.training),
    dataset: { ...context.dataset },
    step: state.step,
    backend: context.backend,
    optimizerScalars: scalars,
    tensors: infos,
    weightNames: state.model.weights.map((w) => w.originalName),
    createdAt: new Date().toISOString(),
  };
  return { header, tensors };
}

/**
 * Throws FailedPreconditionError naming the first request field the checkpoint disagrees with (the genome, a
 * training setting, the dataset), or a budget below the checkpoint's step. A checkpoint only continues its own run.
 */
export function checkCheckpointMatches(checkpoint: CheckpointHeader, context: CheckpointContext): void {
  const mismatch = (field: string, had: unknown, asked: unknown) =>
    new FailedPreconditionError(
      `${field}: the checkpoint was trained with ${JSON.stringify(had)}, the request asks for ${JSON.stringify(asked)}; ` +
        'a checkpoint continues only its own run (same genome, training config and dataset)',
    );
  if (JSON.stringify(checkpoint.genome) !== JSON.stringify(genomeToJsonValue(context.genome))) {
    throw new FailedPreconditionError(
      'genome: the checkpoint is of another genome; a checkpoint continues only its own run (same genome, training ' +
        'config and dataset)',
    );
  }
  const asked = checkpointTraining(context.training);
  const fields: Array<[keyof CheckpointTraining, string]> = [
    ['batchSize', 'training.batch_size'],
    ['optimizer', 'training.optimizer'],
    ['learningRate', 'training.learning_rate'],
    ['momentum', 'training.momentum'],
    ['schedule', 'training.schedule'],
    ['seed', 'training.seed'],
    ['clipNorm', 'training.clip_norm'],
  ];
  for (const [key, field] of fields) {
    if (checkpoint.training[key] !== asked[key]) throw mismatch(field, checkpoint.training[key], asked[key]);
  }
  // A constant rate does not depend on the span; any other schedule must be the one the checkpoint followed.
  if (asked.schedule !== 'constant' && checkpoint.training.scheduleSteps !== asked.scheduleSteps) {
    throw new FailedPreconditionError(
      `training.schedule_steps: the checkpoint followed a ${checkpoint.training.schedule} schedule over ` +
        `${checkpoint.training.scheduleSteps} steps, the request's spans ${asked.scheduleSteps}; set ` +
        `training.schedule_steps to ${checkpoint.training.scheduleSteps} (a run continues under its own schedule)`,
    );
  }
  const dataset = context.dataset as unknown as Record<string, unknown>;
  for (const key of ['name', 'directory', 'numValidation', 'splitSeed', 'numStimuli'] as const) {
    const field = `training.dataset.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
    if (checkpoint.dataset[key] !== dataset[key]) throw mismatch(field, checkpoint.dataset[key], dataset[key]);
  }
  if (context.training.steps < checkpoint.step) {
    throw new FailedPreconditionError(
      `training.steps: ${context.training.steps} is below the checkpoint's step ${checkpoint.step}; a continuation ` +
        'can only train further',
    );
  }
}

/**
 * Loads the checkpoint's weights into `model` (built from the same genome) and returns how the training loop
 * resumes. Throws FailedPreconditionError if the model's weights are not the checkpoint's (another build).
 */
export function restoreCheckpoint(model: LayersModel, checkpoint: Checkpoint, optimizer: TrainingConfig['optimizer']): TrainingResume {
  const { header, tensors } = checkpoint;
  const weights = model.weights;
  const nWeights = header.weightNames.length;
  const built = weights.map((w) => w.originalName);
  if (nWeights !== weights.length || built.some((name, i) => name !== header.weightNames[i])) {
    throw new FailedPreconditionError(
      `genome: the model this trainer builds has weights [${built.slice(0, 4).join(', ')}...] (${weights.length}), ` +
        `the checkpoint [${header.weightNames.slice(0, 4).join(', ')}...] (${nWeights}); it was made by another version`,
    );
  }
  for (const [i, w] of weights.entries()) {
    const shape = header.tensors[i]!.shape;
    if (shape.length !== w.shape.length || shape.some((d, k) => d !== w.shape[k])) {
      throw new FailedPreconditionError(`genome: weight ${w.originalName} is [${w.shape}] here, [${shape}] in the checkpoint`);
    }
  }
  const values = weights.map((w, i) => tf.tensor(tensors[i]!, w.shape as number[], 'float32'));
  try {
    model.setWeights(values);
  } finally {
    tf.dispose(values);
  }
  const state = tensors.slice(nWeights).map((t, i) => ({ data: t, shape: [...header.tensors[nWeights + i]!.shape] }));
  const expected = state.length === 0 ? 0 : optimizerSlots(optimizer) * model.trainableWeights.length;
  if (state.length !== expected) {
    throw new FailedPreconditionError(
      `training.optimizer: the checkpoint holds ${state.length} optimizer tensors, ${optimizer} needs ${expected}`,
    );
  }
  return {
    step: header.step,
    restoreOptimizer: async (opt) => {
      const named = [
        { name: 'iterations', tensor: tf.scalar(header.optimizerScalars['iterations'] ?? header.step, 'int32') },
        ...state.map((s, i) => ({ name: `state/${i}`, tensor: tf.tensor(s.data, s.shape, 'float32') })),
      ];
      try {
        await opt.setWeights(named);
        const b1 = header.optimizerScalars['accBeta1'];
        const b2 = header.optimizerScalars['accBeta2'];
        if (optimizer === 'adam' && b1 !== undefined && b2 !== undefined) {
          const adam = opt as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
          tf.tidy(() => {
            adam.accBeta1.assign(tf.scalar(b1));
            adam.accBeta2.assign(tf.scalar(b2));
          });
        }
      } finally {
        tf.dispose(named.map((n) => n.tensor));
      }
    },
  };
}

/** A request's checkpoint wishes, in domain terms. */
export interface CheckpointRequest {
  readonly mode: 'required' | 'if_fits';
  /** The caller's limit in bytes (0 = the trainer's). */
  readonly maxBytes: number;
}

/** What the training loop and the result need for one request's checkpoints (see checkpointPlan). */
export interface CheckpointPlan {
  readonly resume: TrainingResume | undefined;
  readonly onTrained: ((state: TrainedState) => Promise<void>) | undefined;
  /** The encoded checkpoint once training ended (undefined if none was asked for or it did not fit). */
  bytes(): Uint8Array | undefined;
  /** Why none was made although CHECKPOINT_MODE_IF_FITS asked for one. */
  omitted(): string;
}

/**
 * Restores `resume` into the freshly built model (before training) and prepares the capture a request asks for.
 * A checkpoint that would exceed the limit is refused before training (RESOURCE_EXHAUSTED naming the limit) when
 * required, or skipped with a reason when asked for "if it fits".
 */
export function checkpointPlan(
  model: LayersModel,
  request: { readonly checkpoint?: CheckpointRequest | undefined; readonly resume?: Checkpoint | undefined },
  context: CheckpointContext,
  trainerLimit: number,
): CheckpointPlan {
  const resume = request.resume ? restoreCheckpoint(model, request.resume, context.training.optimizer) : undefined;
  const want = request.checkpoint;
  let omitted = '';
  let bytes: Uint8Array | undefined;
  const limit = want?.maxBytes ? Math.min(want.maxBytes, trainerLimit) : trainerLimit;
  let capture = want !== undefined;
  if (want) {
    const expected = expectedCheckpointBytes(model, context.training.optimizer);
    try {
      checkSizeLimit(expected, limit, `the checkpoint of this model (${model.countParams()} parameters)`);
    } catch (e) {
      if (want.mode === 'required') throw e;
      omitted = (e as Error).message;
      capture = false;
    }
  }
  return {
    resume,
    onTrained: capture
      ? async (state) => {
          const { header, tensors } = await captureCheckpoint(state, context);
          const encoded = encodeCheckpoint(header, tensors);
          if (encoded.byteLength > limit) {
            const e = `checkpoint of ${mib(encoded.byteLength)} exceeds the checkpoint size limit of ${mib(limit)}`;
            if (want!.mode === 'required') throw new ResourceExhaustedError(e);
            omitted = e;
          } else {
            bytes = encoded;
          }
        }
      : undefined,
    bytes: () => bytes,
    omitted: () => omitted,
  };
}
