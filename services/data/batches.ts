// Training batches from a split: seeded, shuffled epochs (a fresh permutation each epoch; a batch never straddles
// two epochs). Images are copied row by row from the split straight into one staging buffer of batchSize images
// (the split itself is never copied) and handed to the backend as a tensor. Backends that copy the data on upload
// (wasm, tensorflow) reuse the one staging buffer; the others (cpu keeps a reference to the array it is given)
// get a fresh batch-sized array per batch. Memory: batchSize x h x w x 4 bytes (200 KB for 64 28x28 images).
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../spaces/rng.ts';
import type { Split } from './dataset.ts';

export interface BatchSamplerOptions {
  readonly batchSize: number;
  readonly seed: number;
  /** Image shape [h, w, c] of the split's rows. */
  readonly imageShape: readonly [number, number, number];
  /** 'int': int32 class indices [batch]; 'onehot': float32 [batch, numClasses]. Default 'int'. */
  readonly labels?: 'int' | 'onehot';
  /** Needed for 'onehot'. */
  readonly numClasses?: number;
}

export interface Batch {
  readonly images: tf.Tensor4D;
  readonly labels: tf.Tensor;
}

export interface BatchSampler {
  /** The next batch; the caller disposes its tensors. */
  next(): Batch;
  /** The next batch's row indices into the split without building tensors (advances the sampler). */
  nextIndices(): Int32Array;
  /** Completed epochs so far. */
  readonly epoch: number;
}

const COPYING_BACKENDS = new Set(['wasm', 'tensorflow']);

export function createBatchSampler(split: Split, options: BatchSamplerOptions): BatchSampler {
  const { seed, imageShape } = options;
  if (split.count < 1) throw new RangeError('createBatchSampler: the split is empty');
  const batchSize = Math.min(options.batchSize, split.count);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`createBatchSampler: bad batch size ${options.batchSize}`);
  const labelsKind = options.labels ?? 'int';
  if (labelsKind === 'onehot' && !options.numClasses) throw new RangeError('createBatchSampler: onehot labels need numClasses');
  const rowSize = imageShape[0] * imageShape[1] * imageShape[2];
  if (split.images.length !== split.count * rowSize) throw new RangeError('createBatchSampler: split size does not match imageShape');

  const rng = createRng(seed, 'tgsage-batches');
  const perm = new Int32Array(split.count);
  let pos = split.count;
  let epoch = -1;
  const staging = new Float32Array(batchSize * rowSize);
  const labelStaging = new Int32Array(batchSize);

  const nextIndices = (): Int32Array => {
    if (pos + batchSize > split.count) {
      for (let i = 0; i < perm.length; i++) perm[i] = i;
      rng.shuffle(perm);
      pos = 0;
      epoch++;
    }
    const batch = perm.subarray(pos, pos + batchSize);
    pos += batchSize;
    return batch;
  };

  return {
    get epoch() {
      return Math.max(0, epoch);
    },
    nextIndices: () => nextIndices().slice(),
    next(): Batch {
      const rows = nextIndices();
      const reuse = COPYING_BACKENDS.has(tf.getBackend());
      const images = reuse ? staging : new Float32Array(batchSize * rowSize);
      const labels = reuse ? labelStaging : new Int32Array(batchSize);
      for (let r = 0; r < rows.length; r++) {
        const src = rows[r]!;
        images.set(split.images.subarray(src * rowSize, (src + 1) * rowSize), r * rowSize);
        labels[r] = split.labels[src]!;
      }
      const imageTensor = tf.tensor4d(images, [batchSize, imageShape[0], imageShape[1], imageShape[2]]);
      const labelTensor =
        labelsKind === 'int'
          ? tf.tensor1d(labels, 'int32')
          : tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), options.numClasses!), 'float32'));
      return { images: imageTensor, labels: labelTensor };
    },
  };
}

/** A whole split as tensors (one upload; for evaluation or for backends that gather batches on the device). */
export function splitTensors(split: Split, imageShape: readonly [number, number, number]): { images: tf.Tensor4D; labels: tf.Tensor1D; count: number } {
  return {
    images: tf.tensor4d(split.images, [split.count, imageShape[0], imageShape[1], imageShape[2]]),
    labels: tf.tensor1d(split.labels, 'int32'),
    count: split.count,
  };
}
