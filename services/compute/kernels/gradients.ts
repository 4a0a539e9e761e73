// Gradients for Conv2D and DepthwiseConv2dNative that also handle dilation (tfjs's own refuse dilation > 1), on
// every backend: a dilated convolution equals an undilated one with a zero-filled (expanded) filter, so its input
// gradient is the undilated gradient with the expanded filter and its filter gradient is the undilated filter
// gradient taken every `dilation` taps. On wasm with our kernels, the dilations go straight to the kernels instead.
// Note: tf.layers.conv2d trains through tf.fused.conv2d, whose built-in gradient still refuses dilation; a dilated
// convolution layer must call tf.conv2d (see ./dilated-conv2d.ts) or be separable (tf.layers.separableConv2d).

import { BATCH_NORM_GRAD } from './wasm-kernels.ts';
import {
  add,
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  div,
  engine,
  FusedBatchNorm,
  getBackend,
  type GradConfig,
  Mean,
  mul,
  neg,
  ones,
  type NamedAttrMap,
  pad,
  pow,
  registerGradient,
  reshape,
  rsqrt,
  slice,
  stridedSlice,
  sub,
  sum,
  type Tensor,
  type Tensor4D,
  tile,
  util,
} from '@tensorflow/tfjs-core';

type Pair = [number, number];
const pair = (v: unknown): Pair =>
  v == null ? [1, 1] : typeof v === 'number' ? [v, v] : [(v as number[])[0]!, (v as number[])[1]!];

/** [kh, kw, a, b] -> [(kh-1)dh+1, (kw-1)dw+1, a, b] with the taps spread `dilation` apart and zeros between. */
function expandFilter(f: Tensor4D, [dh, dw]: Pair): Tensor4D {
  const [kh, kw, a, b] = f.shape;
  const spread = pad(reshape(f, [kh, 1, kw, 1, a, b]), [[0, 0], [0, dh - 1], [0, 0], [0, dw - 1], [0, 0], [0, 0]]);
  const full = reshape(spread, [kh * dh, kw * dw, a, b]) as Tensor4D;
  return slice(full, [0, 0, 0, 0], [(kh - 1) * dh + 1, (kw - 1) * dw + 1, a, b]);
}

function contractFilter(g: Tensor4D, [dh, dw]: Pair): Tensor4D {
  return stridedSlice(g, [0, 0, 0, 0], g.shape, [dh, dw, 1, 1]) as Tensor4D;
}

function run(kernel: string, inputs: Record<string, Tensor>, attrs: Record<string, unknown>): Tensor {
  return engine().runKernel(kernel, inputs, attrs as NamedAttrMap) as Tensor;
}

function convGrad(forward: string, inputGrad: string, filterGrad: string, nativeDilation: () => boolean): GradConfig {
  return {
    kernelName: forward,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, filter] = saved as [Tensor4D, Tensor4D];
      const g = dy as Tensor4D;
      const dil = pair(attrs['dilations']);
      const base = { strides: attrs['strides'], pad: attrs['pad'], dataFormat: attrs['dataFormat'],
        dimRoundingMode: attrs['dimRoundingMode'] };
      const dilated = dil[0] !== 1 || dil[1] !== 1;
      if (!dilated || nativeDilation()) {
        const extra = dilated ? { dilations: dil } : { dilations: [1, 1] };
        return {
          x: () => run(inputGrad, { dy: g, filter }, { ...base, ...extra, inputShape: x.shape }),
          filter: () => run(filterGrad, { x, dy: g }, { ...base, ...extra, filterShape: filter.shape }),
        };
      }
      return {
        x: () => run(inputGrad, { dy: g, filter: expandFilter(filter, dil) },
          { ...base, dilations: [1, 1], inputShape: x.shape }),
        filter: () => {
          const e = expandFilter(filter, dil).shape;
          return contractFilter(run(filterGrad, { x, dy: g }, { ...base, dilations: [1, 1], filterShape: e }) as Tensor4D,
            dil);
        },
      };
    },
  };
}

/**
 * Mean's gradient as one tile of dy / n (tfjs's multiplies dy by a tensor of ones of x's shape, then divides: three
 * passes over x-sized tensors, which dominate batch-norm training on wasm).
 */
const meanGrad = (fastTile: () => boolean): GradConfig => ({
  kernelName: Mean,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved as [Tensor];
    const axes = util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
    const [, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const n = util.sizeFromShape(reduceShape);
    const kept = backend_util.expandShapeToKeepDim((dy as Tensor).shape, axes);
    const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    const scaled = () => reshape(div(dy as Tensor, n), kept);
    // tile is one pass with our native Tile; wasm's own Tile is slow, so without it broadcast against ones.
    return { x: () => (fastTile() ? tile(scaled(), reps) : mul(scaled(), ones(x.shape))) };
  },
});

/**
 * FusedBatchNorm's gradient without tfjs's tile of 1/sqrt(variance) to x's shape and a dozen passes over x-sized
 * tensors: on wasm with the native math one pass (kernel BATCH_NORM_GRAD); elsewhere broadcasting ops.
 */
function batchNormGrad(nativeKernel: () => boolean): GradConfig {
  return {
    kernelName: FusedBatchNorm,
    inputsToSave: ['x', 'mean', 'variance', 'scale'],
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
      const g = dy as Tensor;
      const eps = attrs['varianceEpsilon'] as number;
      const c = x.shape[x.shape.length - 1]!;
      const perChannel = (t: Tensor | undefined) => t == null || (t.rank === 1 && t.shape[0] === c);
      if (nativeKernel() && x.rank >= 2 && x.dtype === 'float32' && [mean, variance, scale].every(perChannel)) {
        const inputs: Record<string, Tensor> = { x, dy: g, mean, variance };
        if (scale) inputs['scale'] = scale;
        const [dx, dMean, dVar, dScale, dOffset] =
          engine().runKernel(BATCH_NORM_GRAD, inputs, { varianceEpsilon: eps }) as unknown as Tensor[];
        return {
          x: () => dx!,
          mean: () => dMean!,
          variance: () => dVar!,
          scale: () => dScale!,
          offset: () => dOffset!,
        };
      }
      const axes = backend_util.getReductionAxes(mean.shape, x.shape);
      const reduce = (t: Tensor) => reshape(axes.length > 0 ? sum(t, axes) : t, mean.shape);
      const r = rsqrt(add(variance, eps));
      const dyScaled = scale ? mul(g, scale) : g;
      const xMinusMean = sub(x, mean);
      return {
        x: () => reshape(mul(dyScaled, r), x.shape),
        mean: () => reduce(mul(dyScaled, neg(r))),
        variance: () => reduce(mul(mul(dyScaled, xMinusMean), mul(pow(r, 3), -0.5))),
        scale: () => reduce(mul(g, mul(xMinusMean, r))),
        offset: () => reduce(g),
      };
    },
  };
}

/**
 * Registers our gradients (global, all backends): dilation-aware convolutions (`wasmKernelsTakeDilations`: our wasm
 * kernels take dilations), Mean, and FusedBatchNorm (`nativeWasmKernels`: the native Tile and BATCH_NORM_GRAD are
 * registered for wasm).
 */
export function registerTrainingGradients(wasmKernelsTakeDilations: boolean, nativeWasmKernels: boolean): void {
  const native = () => wasmKernelsTakeDilations && getBackend() === 'wasm';
  registerGradient(convGrad(Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, native));
  registerGradient(convGrad(DepthwiseConv2dNative, DepthwiseConv2dNativeBackpropInput,
    DepthwiseConv2dNativeBackpropFilter, native));
  registerGradient(meanGrad(() => getBackend() !== 'wasm' || nativeWasmKernels));
  registerGradient(batchNormGrad(() => nativeWasmKernels && getBackend() === 'wasm'));
}
