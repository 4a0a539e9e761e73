// The training loop: a step budget of minibatch steps on one compute backend. Pure domain (no gRPC).
//
// At each evaluation budget (config.evalSteps, and always the final budget) the loop measures P on the validation
// split and awaits the caller's `onBudget` hook (the pipeline scores the candidate there) before training on: one
// run gives the whole learning curve, on the learning-rate schedule of the final budget. Time in evaluation and in
// the hook is not counted as training time.
//
// Each step is one synchronous tf.tidy (batch gather, forward, loss, gradients, update); the loss is summed on the
// device and read back only every `readLossEvery` steps, so steps do not stall on a device sync. Between steps the
// loop yields to the event loop and checks the AbortSignal, so a cancel or deadline stops it within one step.
// The caller owns `model` (it built it) and disposes it; the loop disposes everything it created, also on abort.
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DomainError } from '../common/errors.ts';
import { yieldToEventLoop } from '../common/event-loop.ts';
import { batchOrder } from './batch-order.ts';
import { learningRateAt, scheduleSpan } from './schedule.ts';
import {
  budgetsOf,
  type BudgetPoint,
  type ImageSet,
  type TrainedState,
  type TrainingConfig,
  type TrainingData,
  type TrainingOutcome,
  type TrainingProgressEvent,
  type TrainingResume,
} from './types.ts';

export interface TrainCandidateArgs {
  readonly model: LayersModel;
  readonly data: TrainingData;
  readonly config: TrainingConfig;
  readonly signal?: AbortSignal;
  readonly onProgress?: (event: TrainingProgressEvent) => void;
  /** Called at each evaluation budget before validation (to switch a progress phase). */
  readonly onEvaluating?: (step: number) => void;
  /** Awaited at each evaluation budget, after validation, before training goes on (the model is not changing). */
  readonly onBudget?: (point: BudgetPoint) => Promise<void>;
  /** Continue a checkpointed run (checkpoint.ts) instead of starting at step 0. */
  readonly resume?: TrainingResume;
  /** Called once training ends, after the final budget's point, with the live state (to capture a checkpoint). */
  readonly onTrained?: (state: TrainedState) => Promise<void>;
}

export async function trainCandidate(args: TrainCandidateArgs): Promise<TrainingOutcome> {
  const { model, data, config, signal, onProgress } = args;
  signal?.throwIfAborted();
  const started = performance.now();
  const optimizer = makeOptimizer(config);
  const varList = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const first = args.resume?.step ?? 0;
  const nextBatch = batchOrder(data.train.count, config.batchSize, config.seed, first);
  const lossHistory: number[] = [];
  // a continued run measures only the budgets after the step it starts from
  const budgets = budgetsOf(config).filter((b) => b > first);
  const curve: BudgetPoint[] = [];
  let nextBudget = 0;
  let lossSum: tf.Scalar = tf.scalar(0);
  let windowStart = performance.now();
  let windowSteps = 0;
  let windowImages = 0;
  let pointLoss = 0;
  let pointSteps = 0;
  let pausedMs = 0;
  let step = first;
  try {
    if (args.resume) await args.resume.restoreOptimizer(optimizer);
    for (; step < config.steps; step++) {
      await yieldToEventLoop();
      signal?.throwIfAborted();
      setLearningRate(optimizer, config, learningRateAt(config.schedule, config.learningRate, step, scheduleSpan(config)));
      const indices = nextBatch();
      const next = tf.tidy(() => {
        const idx = tf.tensor1d(indices, 'int32');
        const x = tf.gather(data.train.images, idx);
        const y = tf.cast(tf.oneHot(tf.gather(data.train.labels, idx), data.numClasses), 'float32');
        const { value, grads } = optimizer.computeGradients(
          () => crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y),
          varList,
        );
        optimizer.applyGradients(config.clipNorm > 0 ? clipByGlobalNorm(grads, config.clipNorm) : grads);
        return tf.add(lossSum, value) as tf.Scalar;
      });
      lossSum.dispose();
      lossSum = next;
      windowSteps++;
      windowImages += indices.length;
      const atBudget = step + 1 === budgets[nextBudget];
      if (windowSteps >= config.readLossEvery || atBudget || step === config.steps - 1) {
        const total = (await lossSum.data())[0]!;
        lossSum.dispose();
        lossSum = tf.scalar(0);
        const now = performance.now();
        const loss = total / windowSteps;
        if (!Number.isFinite(loss)) throw new TrainingDivergedError(step + 1, loss);
        lossHistory.push(loss);
        pointLoss += total;
        pointSteps += windowSteps;
        onProgress?.({
          step: step + 1,
          totalSteps: config.steps,
          loss,
          imagesPerSecond: windowImages / Math.max(1e-9, (now - windowStart) / 1000),
        });
        windowStart = now;
        windowSteps = 0;
        windowImages = 0;
      }
      if (atBudget) {
        const paused = performance.now();
        args.onEvaluating?.(step + 1);
        const validationAccuracy = await accuracy(model, data.validation, config.evalBatchSize, signal);
        const point: BudgetPoint = {
          step: step + 1,
          validationAccuracy,
          trainLoss: pointLoss / Math.max(1, pointSteps),
          trainSeconds: (paused - started - pausedMs) / 1000,
          evalSeconds: (performance.now() - paused) / 1000,
        };
        curve.push(point);
        await args.onBudget?.(point);
        pointLoss = 0;
        pointSteps = 0;
        nextBudget++;
        pausedMs += performance.now() - paused;
        windowStart = performance.now();
      }
    }
    await args.onTrained?.({ model, optimizer, step });
    const last = curve.at(-1)!;
    return {
      steps: step,
      finalLoss: lossHistory.at(-1) ?? Number.NaN,
      lossHistory,
      validationAccuracy: last.validationAccuracy,
      trainSeconds: last.trainSeconds,
      curve,
    };
  } finally {
    lossSum.dispose();
    disposeOptimizer(optimizer);
  }
}

/**
 * The loss went to NaN or Inf (a learning rate too high for this genome): deterministic, so the failure table's kind
 * "diverged" (FAILED_PRECONDITION, never retried).
 */
export class TrainingDivergedError extends DomainError {
  readonly code = 'FAILED_PRECONDITION';
  override readonly name = 'TrainingDivergedError';
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`training diverged at step ${step} (loss ${loss}): lower training.learning_rate for this candidate`);
  }
}

/** Fraction of `set` the model classifies correctly, evaluated in batches, inference mode. */
export async function accuracy(
  model: LayersModel,
  set: ImageSet,
  batchSize: number,
  signal?: AbortSignal,
): Promise<number> {
  let correct: tf.Scalar = tf.scalar(0, 'int32');
  try {
    for (let start = 0; start < set.count; start += batchSize) {
      await yieldToEventLoop();
      signal?.throwIfAborted();
      const size = Math.min(batchSize, set.count - start);
      const next = tf.tidy(() => {
        const x = tf.slice(set.images, [start, 0, 0, 0], [size, -1, -1, -1]);
        const y = tf.slice(set.labels, [start], [size]);
        const predicted = tf.argMax(model.apply(x, { training: false }) as tf.Tensor, -1);
        return tf.add(correct, tf.sum(tf.cast(tf.equal(predicted, y), 'int32'))) as tf.Scalar;
      });
      correct.dispose();
      correct = next;
    }
    return (await correct.data())[0]! / set.count;
  } finally {
    correct.dispose();
  }
}

/**
 * Scales all gradients by min(1, maxNorm / ||g||) where ||g|| is their joint L2 norm: a short budget with a fixed
 * learning rate then survives genomes whose first steps would otherwise blow up (flatten heads, tanh, no BN).
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): tf.NamedTensorMap {
  const names = Object.keys(grads);
  if (names.length === 0) return grads;
  const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!)))));
  const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6))));
  return Object.fromEntries(names.map((n) => [n, tf.mul(grads[n]!, scale)]));
}

/** Mean categorical cross-entropy of softmax outputs `p` against one-hot `y`. */
function crossEntropy(p: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const eps = 1e-7;
  const loss = tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, eps, 1 - eps))), -1)));
  // clipByValue turns NaN predictions into a finite loss: 0 * sum(p) is NaN exactly when a prediction is not finite,
  // so a model whose weights blew up is reported as diverged instead of training on
  return tf.add(loss, tf.mul(tf.sum(p), 0)) as tf.Scalar;
}

function makeOptimizer(config: TrainingConfig): tf.Optimizer {
  return config.optimizer === 'adam'
    ? tf.train.adam(config.learningRate)
    : tf.train.momentum(config.learningRate, config.momentum);
}

function setLearningRate(optimizer: tf.Optimizer, config: TrainingConfig, lr: number): void {
  if (config.optimizer === 'adam') {
    // AdamOptimizer reads its (protected) learningRate as a number on every update.
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
  } else {
    (optimizer as tf.MomentumOptimizer).setLearningRate(lr);
  }
}

function disposeOptimizer(optimizer: tf.Optimizer): void {
  optimizer.dispose();
  // MomentumOptimizer.dispose() forgets the learning-rate scalar its SGD parent keeps.
  const c = (optimizer as unknown as { c?: tf.Tensor }).c;
  if (c && !c.isDisposed) c.dispose();
}
