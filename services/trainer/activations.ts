// A trained candidate's activations on the stimulus set, layer by layer, for scoring.
//
// One multi-output model over the representation layers runs the stimuli in batches; its outputs are copied once
// into one Float32Array per layer. Layers are grouped so that a group's activations stay under `maxGroupBytes`
// (a wide early conv layer on 1000 stimuli can take hundreds of MB); each group is one pass over the stimuli, and
// its layers are handed out one after another, so at most one group is held at a time.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { yieldToEventLoop } from '../common/event-loop.ts';

/** One layer's activations: `shape[0]` rows (stimuli) in stimulus order, features row-major. */
export interface LayerActivations {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface ActivationOptions {
  /** Images per forward pass (with maxBatchMs: at most). */
  readonly batchSize?: number;
  /**
   * Size batches so that each takes about this long (ms), up to batchSize: the event loop is held at most about this
   * long, however heavy the model (a teacher cache computing a user's model must keep answering health checks).
   */
  readonly maxBatchMs?: number;
  readonly maxGroupBytes?: number;
  readonly signal?: AbortSignal;
  /** Called after each batch of each group: (stimuli done in this group, stimuli, group index, groups). */
  readonly onBatch?: (done: number, total: number, group: number, groups: number) => void;
}

export async function* layerActivations(
  model: tfl.LayersModel,
  layerNames: readonly string[],
  stimuli: tf.Tensor4D,
  options: ActivationOptions = {},
): AsyncGenerator<LayerActivations> {
  const batchSize = options.batchSize ?? 100;
  const n = stimuli.shape[0];
  const layers = layerNames.map((name) => {
    const output = model.getLayer(name).output;
    if (Array.isArray(output)) throw new Error(`layer ${name} is used more than once; it has no single output`);
    const features = output.shape.slice(1).reduce((a: number, b) => a * (b ?? 1), 1);
    return { name, output, shape: [n, ...output.shape.slice(1).map((s) => s ?? 1)], features };
  });
  const groups = groupByBytes(layers, (l) => l.features * n * 4, options.maxGroupBytes ?? 256 * 2 ** 20);
  for (const [g, group] of groups.entries()) {
    // Shares the candidate's layers and weights; it owns nothing, so it is not disposed (that would free them).
    const probe = tfl.model({ inputs: model.inputs, outputs: group.map((l) => l.output) });
    const buffers = group.map((l) => new Float32Array(n * l.features));
    let next = options.maxBatchMs === undefined ? batchSize : Math.min(batchSize, FIRST_TIMED_BATCH);
    for (let start = 0, size = 0; start < n; start += size) {
      options.signal?.throwIfAborted();
      size = Math.min(next, n - start);
      const started = performance.now();
      const outputs = tf.tidy(() => {
        const x = tf.slice(stimuli, [start, 0, 0, 0], [size, -1, -1, -1]);
        const y = probe.predict(x);
        return Array.isArray(y) ? y : [y];
      });
      try {
        for (const [i, out] of outputs.entries()) {
          buffers[i]!.set((await out.data()) as Float32Array, start * group[i]!.features);
        }
      } finally {
        tf.dispose(outputs);
      }
      options.onBatch?.(start + size, n, g, groups.length);
      if (options.maxBatchMs !== undefined) next = nextBatchSize(batchSize, (performance.now() - started) / size, options.maxBatchMs);
      await yieldToEventLoop(); // a teacher's forward pass is seconds: let health checks and cancellations through
    }
    for (const [i, layer] of group.entries()) {
      yield { name: layer.name, shape: layer.shape, data: buffers[i]! };
      buffers[i] = new Float32Array(0); // let the consumer's copy be the last reference
    }
  }
}

/** The first batch of a timed pass: small, since nothing is known yet of the model's cost. */
const FIRST_TIMED_BATCH = 4;

/** The batch size that should take about `targetMs` at `msPerImage` (measured), from 1 to `max`. */
export function nextBatchSize(max: number, msPerImage: number, targetMs: number): number {
  if (!(msPerImage > 0)) return max;
  return Math.max(1, Math.min(max, Math.floor(targetMs / msPerImage)));
}

/** Consecutive groups whose summed `bytes` stay under `max` (a single item over it forms its own group). */
export function groupByBytes<T>(items: readonly T[], bytes: (item: T) => number, max: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let sum = 0;
  for (const item of items) {
    const b = bytes(item);
    if (current.length > 0 && sum + b > max) {
      groups.push(current);
      current = [];
      sum = 0;
    }
    current.push(item);
    sum += b;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
