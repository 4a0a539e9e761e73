// The convnet macro space as a tfjs-layers graph.
//
// Layer i: conv (k x k, 'same', stride 2 if downsample = STRIDE2, bias only without batch norm) -> batch norm (if on)
// -> activation -> 2x2 pooling, stride 2, 'same' (if MAX_POOL / AVG_POOL) -> + output of layer skip_from (if set;
// through a 1x1 conv with stride 2^k when the channels or the size differ; with 'same' padding,
// ceil(ceil(h / 2) / 2) = ceil(h / 4), so a single strided 1x1 conv always lands on the right size).
// The last layer of block i is named `conv{i}`: that is its representation layer. Head: see proto Head.
import * as tfl from '@tensorflow/tfjs-layers';
import { Activation, Downsample, Head, type ConvNetGenome } from '../../gen/tgsage/v1/genome.ts';
import { BN_EPSILON, BN_MOMENTUM, type Initializers } from './init.ts';

type Sym = tfl.SymbolicTensor;

const ACTIVATION_NAMES: Record<Activation, 'relu' | 'elu' | 'tanh' | 'swish'> = {
  [Activation.ACTIVATION_RELU]: 'relu',
  [Activation.ACTIVATION_ELU]: 'elu',
  [Activation.ACTIVATION_TANH]: 'tanh',
  [Activation.ACTIVATION_SWISH]: 'swish',
  [Activation.UNRECOGNIZED]: 'relu',
};

export const HEAD_HIDDEN_UNITS = 128;

export function buildConvNet(
  g: ConvNetGenome,
  input: Sym,
  numClasses: number,
  init: Initializers,
): { output: Sym; representationLayers: string[] } {
  const outputs: { tensor: Sym; size: number; channels: number }[] = [];
  let x = input;
  let size = input.shape[1]!;
  g.layers.forEach((gene, i) => {
    const name = `conv${i}`;
    const pool = gene.downsample === Downsample.DOWNSAMPLE_MAX_POOL || gene.downsample === Downsample.DOWNSAMPLE_AVG_POOL;
    const last = gene.skipFrom !== undefined ? 'add' : pool ? 'pool' : 'act';
    const stride = gene.downsample === Downsample.DOWNSAMPLE_STRIDE2 ? 2 : 1;
    x = tfl.layers
      .conv2d({
        name: `${name}_conv`,
        filters: gene.filters,
        kernelSize: gene.kernelSize,
        strides: stride,
        padding: 'same',
        useBias: !gene.batchNorm,
        kernelInitializer: init.conv(`${name}_conv`),
      })
      .apply(x) as Sym;
    if (gene.batchNorm) {
      x = tfl.layers.batchNormalization({ name: `${name}_bn`, momentum: BN_MOMENTUM, epsilon: BN_EPSILON }).apply(x) as Sym;
    }
    x = tfl.layers
      .activation({ name: last === 'act' ? name : `${name}_act`, activation: ACTIVATION_NAMES[gene.activation] })
      .apply(x) as Sym;
    if (pool) {
      const args = { name: last === 'pool' ? name : `${name}_pool`, poolSize: 2, strides: 2, padding: 'same' as const };
      x = (gene.downsample === Downsample.DOWNSAMPLE_MAX_POOL ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args)).apply(
        x,
      ) as Sym;
    }
    if (stride === 2 || pool) size = Math.ceil(size / 2);
    if (gene.skipFrom !== undefined) {
      const src = outputs[gene.skipFrom]!;
      let skip = src.tensor;
      if (src.size !== size || src.channels !== gene.filters) {
        skip = tfl.layers
          .conv2d({
            name: `${name}_skip`,
            filters: gene.filters,
            kernelSize: 1,
            strides: stridesBetween(src.size, size),
            padding: 'same',
            useBias: false,
            kernelInitializer: init.conv(`${name}_skip`),
          })
          .apply(skip) as Sym;
      }
      x = tfl.layers.add({ name }).apply([x, skip]) as Sym;
    }
    outputs.push({ tensor: x, size, channels: gene.filters });
  });

  const representationLayers = g.layers.map((_, i) => `conv${i}`);
  let h: Sym;
  if (g.head === Head.HEAD_FLATTEN) {
    h = tfl.layers.flatten({ name: 'head_flatten' }).apply(x) as Sym;
  } else {
    h = tfl.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as Sym;
    if (g.head === Head.HEAD_GLOBAL_AVG_POOL_HIDDEN) {
      h = tfl.layers
        .dense({ name: 'head_hidden', units: HEAD_HIDDEN_UNITS, activation: 'relu', kernelInitializer: init.dense('head_hidden') })
        .apply(h) as Sym;
    }
  }
  const output = tfl.layers
    .dense({ name: 'head_dense', units: numClasses, activation: 'softmax', kernelInitializer: init.dense('head_dense') })
    .apply(h) as Sym;
  return { output, representationLayers };
}

/** The power-of-two stride s with ceil(from / s) = to. */
function stridesBetween(from: number, to: number): number {
  let s = 1;
  while (Math.ceil(from / s) > to) s *= 2;
  if (Math.ceil(from / s) !== to) throw new Error(`internal: no stride maps ${from} to ${to}`);
  return s;
}
