// Gradients for Conv2D and DepthwiseConv2dNative that also handle dilation (tfjs's own refuse dilation > 1), on
// every backend: a dilated convolution equals an undilated one with a zero-filled (expanded) filter, so its input
// gradient is the undilated gradient with the expanded filter and its filter gradient is the undilated filter
// gradient taken every `dilation` taps. On wasm with our kernels, the dilations go straight to the kernels instead.
// Note: tf.layers.conv2d trains through tf.fused.conv2d, whose built-in gradient still refuses dilation; a dilated
// convolution layer must call tf.conv2d (see ./dilated-conv2d.ts) or be separable (tf.layers.separableConv2d).

import {
  backend_util,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  div,
  engine,
  getBackend,
  type GradConfig,
  Mean,
  type NamedAttrMap,
  pad,
  registerGradient,
  reshape,
  slice,
  stridedSlice,
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
const meanGrad: GradConfig = {
  kernelName: Mean,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved as [Tensor];
    const axes = util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
    const [, reduceShape] = backend_util.computeOutAndReduceShapes(x.shape, axes);
    const n = util.sizeFromShape(reduceShape);
    const kept = backend_util.expandShapeToKeepDim((dy as Tensor).shape, axes);
    const reps = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    return { x: () => tile(reshape(div(dy as Tensor, n), kept), reps) };
  },
};

/** Registers the dilation-aware gradients (global, all backends). `wasmNative`: our wasm kernels take dilations. */
export function registerDilatedConvGradients(wasmKernelsTakeDilations: boolean): void {
  const native = () => wasmKernelsTakeDilations && getBackend() === 'wasm';
  registerGradient(convGrad(Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter, native));
  registerGradient(convGrad(DepthwiseConv2dNative, DepthwiseConv2dNativeBackpropInput,
    DepthwiseConv2dNativeBackpropFilter, native));
  registerGradient(meanGrad);
}
