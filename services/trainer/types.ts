// Domain types of the trainer: what a training run needs and what it reports. No gRPC types here.
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { LrScheduleName } from './schedule.ts';

/** Images and integer labels, resident on the compute backend once. */
export interface ImageSet {
  /** [count, height, width, channels], normalised. */
  readonly images: tf.Tensor4D;
  /** [count] int32 class labels. */
  readonly labels: tf.Tensor1D;
  readonly count: number;
}

/** What training needs from a dataset: a train split and a held-out validation split. */
export interface TrainingData {
  readonly train: ImageSet;
  readonly validation: ImageSet;
  readonly numClasses: number;
}

export interface TrainingConfig {
  readonly steps: number;
  readonly batchSize: number;
  readonly optimizer: 'sgd_momentum' | 'adam';
  readonly learningRate: number;
  readonly momentum: number;
  readonly schedule: LrScheduleName;
  /** Seed of the batch order (the model's initialisation is seeded where it is built). */
  readonly seed: number;
  /** Read the loss back (a device sync) every this many steps; progress events follow it. */
  readonly readLossEvery: number;
  /** Validation batch size. */
  readonly evalBatchSize: number;
  /** Clip the gradients' joint L2 norm to this (0 = no clipping). */
  readonly clipNorm: number;
  /**
   * Evaluation budgets: steps (strictly increasing, each 1 to `steps`) at which the loop measures P and calls its
   * budget hook; the final budget `steps` is always one, listed or not. The learning rate follows one schedule over
   * `scheduleSteps` (default `steps`) whatever the budgets: evaluating does not change training.
   */
  readonly evalSteps: readonly number[];
  /** Steps the learning-rate schedule spans (unset or 0 = `steps`); see scheduleSpan in schedule.ts. */
  readonly scheduleSteps?: number;
}

/** Where a run continued from a checkpoint starts (checkpoint.ts): the weights are already in the model. */
export interface TrainingResume {
  /** Steps already trained (and batches already drawn). */
  readonly step: number;
  /** Loads the optimizer's state (moments, iteration count) into the fresh optimizer, before the first step. */
  readonly restoreOptimizer: (optimizer: tf.Optimizer) => Promise<void>;
}

/** The live state at the end of training, before evaluation (what a checkpoint captures). */
export interface TrainedState {
  readonly model: LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly step: number;
}

export interface TrainingProgressEvent {
  readonly step: number;
  readonly totalSteps: number;
  /** Mean training loss over the steps since the previous event. */
  readonly loss: number;
  readonly imagesPerSecond: number;
}

export interface TrainingOutcome {
  /** Steps trained. */
  readonly steps: number;
  /** Mean training loss over the last read-back window. */
  readonly finalLoss: number;
  /** Every read-back's mean loss, in order (for tests and curves). */
  readonly lossHistory: readonly number[];
  /** P: accuracy on the validation split. */
  readonly validationAccuracy: number;
  /** Seconds spent in training steps only (no evaluation, no budget hooks). */
  readonly trainSeconds: number;
  /** One point per evaluation budget, in step order; the last is the final budget. */
  readonly curve: readonly BudgetPoint[];
}

/** The candidate measured at one evaluation budget. */
export interface BudgetPoint {
  readonly step: number;
  readonly validationAccuracy: number;
  /** Mean training loss over the steps since the previous budget. */
  readonly trainLoss: number;
  /** Cumulative seconds of training steps up to this budget. */
  readonly trainSeconds: number;
  /** Seconds this budget's validation took. */
  readonly evalSeconds: number;
}

/** The evaluation budgets of a config: `evalSteps` below `steps`, then `steps`. */
export function budgetsOf(config: Pick<TrainingConfig, 'steps' | 'evalSteps'>): number[] {
  return [...config.evalSteps.filter((s) => s < config.steps), config.steps];
}

export const DEFAULT_TRAINING: TrainingConfig = {
  steps: 150,
  batchSize: 64,
  optimizer: 'sgd_momentum',
  learningRate: 0.05,
  momentum: 0.9,
  schedule: 'cosine',
  seed: 0,
  readLossEvery: 10,
  evalBatchSize: 250,
  clipNorm: 5,
  evalSteps: [],
};
