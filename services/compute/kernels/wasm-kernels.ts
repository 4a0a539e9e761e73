// Kernel configs for tfjs's wasm backend: the convolution gradients it lacks (Conv2DBackpropFilter, depthwise
// gradients) and, when the native addon is built, native replacements for its convolutions, their input gradient and
// its matmuls. Each reads and writes the wasm heap in place; cases we do not handle go to the original wasm kernel.

import {
  backend_util,
  broadcast_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter,
  DepthwiseConv2dNativeBackpropInput,
  FusedConv2D,
  _FusedMatMul,
  AvgPoolGrad,
  Cast,
  FusedBatchNorm,
  Identity,
  MaxPoolGrad,
  Mean,
  Sum,
  Tile,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGradViaConv, conv2dInputGradViaConv } from './filter-grad-via-conv.ts';
import type { ConvGeometry, TrainingMath } from './impl.ts';

type Inputs = Record<string, TensorInfo | undefined>;
type Attrs = NamedAttrMap & Record<string, unknown>;
type Fallback = ((args: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) => TensorInfo) | undefined;

const offset = (b: BackendWasm, t: TensorInfo): number => b.dataIdMap.get(t.dataId)!.memoryOffset;
interface HeapModule { HEAPF32: Float32Array; wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } }
/**
 * The heap as float32; read it after every allocation. Memory growth replaces the buffer, and with wasm threads the
 * module's own view is refreshed lazily, so compare with the memory's current buffer.
 */
function heapOf(b: BackendWasm): Float32Array {
  const m = b.wasm as unknown as HeapModule;
  const memory = m.wasmMemory ?? m.asm?.memory;
  return memory && m.HEAPF32.buffer !== memory.buffer ? new Float32Array(memory.buffer) : m.HEAPF32;
}

function geometry(info: backend_util.Conv2DInfo, depthwise: boolean, filterShape: number[]): ConvGeometry {
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, ci: info.inChannels,
    kh: info.filterHeight, kw: info.filterWidth, co: depthwise ? filterShape[3]! : info.outChannels,
    oh: info.outHeight, ow: info.outWidth, sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth, pt: info.padInfo.top, pl: info.padInfo.left,
  };
}

type Dilations = number | [number, number];
const dilationsOf = (attrs: Attrs): Dilations => (attrs['dilations'] as Dilations | undefined) ?? 1;

function convInfo(xShape: number[], filterShape: number[], attrs: Attrs, depthwise: boolean): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs['strides'] as [number, number] | number, dilationsOf(attrs), attrs['pad'] as 'same' | 'valid' | number | backend_util.ExplicitPadding,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, depthwise);
}

const isNchw = (attrs: Attrs): boolean => attrs['dataFormat'] === 'NCHW' || attrs['dataFormat'] === 'channelsFirst';
const empty = (shape: number[]): boolean => util.sizeFromShape(shape) === 0;

function zeros(backend: BackendWasm, shape: number[]): TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  heapOf(backend).fill(0, offset(backend, out) >> 2, (offset(backend, out) >> 2) + util.sizeFromShape(shape));
  return out;
}

function kernel(name: string, func: (inputs: Inputs, backend: BackendWasm, attrs: Attrs) => TensorInfo,
  original: KernelConfig | undefined): KernelConfig {
  const config: KernelConfig = {
    kernelName: name,
    backendName: 'wasm',
    kernelFunc: (({ inputs, backend, attrs }: { inputs: Inputs; backend: BackendWasm; attrs: Attrs }) =>
      func(inputs, backend, attrs)) as unknown as KernelFunc,
  };
  // The original kernel stays our fallback, so it must still be set up when the backend initialises.
  if (original?.setupFunc) config.setupFunc = original.setupFunc;
  return config;
}

const notHandled = (name: string): Error => new Error(`${name} on wasm: case not supported (NCHW or non-float32)`);

/**
 * Our own kernel (wasm only): all five batch-norm gradients in one pass. Inputs x, dy, mean, variance (rank 1, size C
 * = last dimension of x), scale (optional, size C); attr varianceEpsilon. Outputs [dx, dmean, dvariance, dscale,
 * doffset], the last four of shape [C].
 */
export const BATCH_NORM_GRAD = 'TgsageBatchNormGrad';

/** Configs for every kernel we provide; `originals` are the wasm backend's own (fallbacks). */
export function wasmTrainingKernelConfigs(math: TrainingMath, originals: Map<string, KernelConfig>): KernelConfig[] {
  const fallback = (name: string): Fallback => originals.get(name)?.kernelFunc as unknown as Fallback;
  const configs: KernelConfig[] = [];

  configs.push(kernel(Conv2DBackpropFilter, (inputs, backend, attrs) => {
    const x = inputs['x']!, dy = inputs['dy']!;
    const filterShape = attrs['filterShape'] as number[];
    if (isNchw(attrs) || x.dtype !== 'float32') throw notHandled(Conv2DBackpropFilter);
    if (empty(x.shape) || empty(dy.shape)) return zeros(backend, filterShape);
    const g = geometry(convInfo(x.shape, filterShape, attrs, false), false, filterShape);
    // Without the native addon, wasm's XNNPACK convolution does it (JS loops would be ~50x slower).
    if (math.name === 'js') return conv2dFilterGradViaConv(backend, x, dy, g);
    const out = backend.makeOutput(filterShape, 'float32');
    math.conv2dFilterGrad(heapOf(backend), offset(backend, x), offset(backend, dy), offset(backend, out), g);
    return out;
  }, originals.get(Conv2DBackpropFilter)));

  configs.push(kernel(DepthwiseConv2dNativeBackpropFilter, (inputs, backend, attrs) => {
    const x = inputs['x']!, dy = inputs['dy']!;
    const filterShape = attrs['filterShape'] as number[];
    if (x.dtype !== 'float32') throw notHandled(DepthwiseConv2dNativeBackpropFilter);
    if (empty(x.shape) || empty(dy.shape)) return zeros(backend, filterShape);
    const g = geometry(convInfo(x.shape, filterShape, attrs, true), true, filterShape);
    const out = backend.makeOutput(filterShape, 'float32');
    math.depthwiseFilterGrad(heapOf(backend), offset(backend, x), offset(backend, dy), offset(backend, out), g);
    return out;
  }, originals.get(DepthwiseConv2dNativeBackpropFilter)));

  configs.push(kernel(DepthwiseConv2dNativeBackpropInput, (inputs, backend, attrs) => {
    const dy = inputs['dy']!, filter = inputs['filter']!;
    const inputShape = attrs['inputShape'] as number[];
    if (dy.dtype !== 'float32') throw notHandled(DepthwiseConv2dNativeBackpropInput);
    if (empty(inputShape) || empty(dy.shape)) return zeros(backend, inputShape);
    const g = geometry(convInfo(inputShape, filter.shape, attrs, true), true, filter.shape);
    const out = backend.makeOutput(inputShape, 'float32');
    math.depthwiseInputGrad(heapOf(backend), offset(backend, dy), offset(backend, filter), offset(backend, out), g);
    return out;
  }, originals.get(DepthwiseConv2dNativeBackpropInput)));

  // Without the native addon: through wasm's XNNPACK Conv2D (wasm's own Conv2DBackpropInput is a naive loop).
  const inputGradFallback = fallback(Conv2DBackpropInput);
  configs.push(kernel(Conv2DBackpropInput, (inputs, backend, attrs) => {
    const dy = inputs['dy']!, filter = inputs['filter']!;
    const inputShape = attrs['inputShape'] as number[];
    if (isNchw(attrs) || dy.dtype !== 'float32') {
      const dilated = dilationsOf(attrs) !== 1 && !util.arraysEqual(dilationsOf(attrs) as number[], [1, 1]);
      if (!inputGradFallback || dilated) throw notHandled(Conv2DBackpropInput);
      return inputGradFallback({ inputs, backend, attrs });
    }
    if (empty(inputShape) || empty(dy.shape)) return zeros(backend, inputShape);
    const g = geometry(convInfo(inputShape, filter.shape, attrs, false), false, filter.shape);
    if (math.name === 'js') return conv2dInputGradViaConv(backend, dy, filter, g);
    const out = backend.makeOutput(inputShape, 'float32');
    math.conv2dInputGrad(heapOf(backend), offset(backend, dy), offset(backend, filter), offset(backend, out), g);
    return out;
  }, originals.get(Conv2DBackpropInput)));

  const poolGeometry = (inShape: number[], attrs: Attrs): ConvGeometry => {
    const info = backend_util.computePool2DInfo(inShape as [number, number, number, number],
      attrs['filterSize'] as [number, number] | number, attrs['strides'] as [number, number] | number, 1,
      attrs['pad'] as 'same' | 'valid' | number | backend_util.ExplicitPadding,
      attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined);
    return geometry(info, false, [info.filterHeight, info.filterWidth, info.inChannels, info.inChannels]);
  };
  configs.push(kernel(MaxPoolGrad, (inputs, backend, attrs) => {
    const dy = inputs['dy']!, x = inputs['input']!;
    if (x.dtype !== 'float32') throw notHandled(MaxPoolGrad);
    if (empty(x.shape) || empty(dy.shape)) return zeros(backend, x.shape);
    const out = backend.makeOutput(x.shape, 'float32');
    math.maxPoolGrad(heapOf(backend), offset(backend, x), offset(backend, dy), offset(backend, out),
      poolGeometry(x.shape, attrs));
    return out;
  }, originals.get(MaxPoolGrad)));
  configs.push(kernel(AvgPoolGrad, (inputs, backend, attrs) => {
    const dy = inputs['dy']!, x = inputs['input']!;
    if (x.dtype !== 'float32') throw notHandled(AvgPoolGrad);
    if (empty(x.shape) || empty(dy.shape)) return zeros(backend, x.shape);
    const out = backend.makeOutput(x.shape, 'float32');
    math.avgPoolGrad(heapOf(backend), offset(backend, dy), offset(backend, out), poolGeometry(x.shape, attrs));
    return out;
  }, originals.get(AvgPoolGrad)));

  // Identity and same-dtype Cast share the input's memory (wasm's own copy it), as the cpu backend does.
  for (const name of [Identity, Cast]) {
    const original = fallback(name);
    configs.push(kernel(name, (inputs, backend, attrs) => {
      const x = inputs['x']!;
      if (x.dtype === 'string' || (name === Cast && attrs['dtype'] !== x.dtype)) {
        return original!({ inputs, backend, attrs });
      }
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }, originals.get(name)));
  }

  // Batch norm over the channel (last) axis with per-channel statistics, as tfjs-layers trains it; wasm's own walks
  // a generic broadcast.
  const batchNormFallback = fallback(FusedBatchNorm);
  configs.push(kernel(FusedBatchNorm, (inputs, backend, attrs) => {
    const x = inputs['x']!;
    const c = x.shape[x.shape.length - 1]!;
    const params = [inputs['mean']!, inputs['variance']!, inputs['offset'], inputs['scale']];
    const fits = (t: TensorInfo | undefined) => t == null ||
      (t.dtype === 'float32' && [1, c].includes(util.sizeFromShape(t.shape)));
    if (x.dtype !== 'float32' || empty(x.shape) || !params.every(fits)) {
      return batchNormFallback!({ inputs, backend, attrs });
    }
    const out = backend.makeOutput(x.shape, 'float32');
    const heap = heapOf(backend);
    const read = (t: TensorInfo | undefined, fill: number): Float64Array => {
      const v = new Float64Array(c).fill(fill);
      if (t) {
        const o = offset(backend, t) >> 2, one = util.sizeFromShape(t.shape) === 1;
        for (let k = 0; k < c; k++) v[k] = heap[o + (one ? 0 : k)]!;
      }
      return v;
    };
    const [mean, variance, shift, scale] = [read(params[0], 0), read(params[1], 1), read(params[2], 0),
      read(params[3], 1)];
    const eps = (attrs['varianceEpsilon'] as number | undefined) ?? 0.001;
    const coeffs = new Float32Array(3 * c);
    for (let k = 0; k < c; k++) {
      coeffs[k] = mean[k]!;
      coeffs[c + k] = scale[k]! / Math.sqrt(variance[k]! + eps);
      coeffs[2 * c + k] = shift[k]!;
    }
    math.affineChannels(heap, coeffs, offset(backend, x), offset(backend, out), util.sizeFromShape(x.shape) / c, c);
    return out;
  }, originals.get(FusedBatchNorm)));

  const { batchNormGrad } = math;
  if (batchNormGrad) {
    configs.push(kernel(BATCH_NORM_GRAD, (inputs, backend, attrs) => {
      const x = inputs['x']!, dy = inputs['dy']!, scale = inputs['scale'];
      const c = x.shape[x.shape.length - 1]!;
      const heap0 = heapOf(backend);
      const read = (t: TensorInfo | undefined, fill: number): Float64Array => {
        const v = new Float64Array(c).fill(fill);
        if (t) for (let k = 0; k < c; k++) v[k] = heap0[(offset(backend, t) >> 2) + k]!;
        return v;
      };
      const mean = read(inputs['mean'], 0), variance = read(inputs['variance'], 1), g = read(scale, 1);
      const eps = (attrs['varianceEpsilon'] as number | undefined) ?? 0.001;
      const r = variance.map((v) => 1 / Math.sqrt(v + eps));
      const coeffs = new Float32Array(2 * c);
      for (let k = 0; k < c; k++) { coeffs[k] = mean[k]!; coeffs[c + k] = r[k]! * g[k]!; }
      const sums = new Float64Array(2 * c);
      const dx = backend.makeOutput(x.shape, 'float32');
      const small = [0, 1, 2, 3].map(() => backend.makeOutput([c], 'float32'));
      const heap = heapOf(backend);
      batchNormGrad(heap, coeffs, sums, offset(backend, x), offset(backend, dy), offset(backend, dx),
        util.sizeFromShape(x.shape) / c);
      const [dMean, dVar, dScale, dOffset] = small.map((t) => offset(backend, t) >> 2) as [number, number, number, number];
      for (let k = 0; k < c; k++) {
        const s1 = sums[k]!, s2 = sums[c + k]!, rk = r[k]!;
        heap[dMean + k] = -rk * g[k]! * s1;
        heap[dVar + k] = -0.5 * rk * rk * rk * g[k]! * s2;
        heap[dScale + k] = rk * s2;
        heap[dOffset + k] = s1;
      }
      return [dx, ...small] as unknown as TensorInfo;
    }, undefined));
  }

  const { tile, reduceRows } = math;
  if (tile) {
    const original = fallback(Tile);
    configs.push(kernel(Tile, (inputs, backend, attrs) => {
      const x = inputs['x']!;
      const reps = attrs['reps'] as number[];
      if ((x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length > 6 || empty(x.shape)) {
        return original!({ inputs, backend, attrs });
      }
      const out = backend.makeOutput(x.shape.map((d, i) => d * reps[i]!), x.dtype);
      if (!empty(out.shape)) tile(heapOf(backend), offset(backend, x), offset(backend, out), x.shape, reps);
      return out;
    }, originals.get(Tile)));
  }
  if (reduceRows) {
    // Sum / Mean over leading axes (per-channel reductions of NHWC tensors: bias and batch-norm gradients, moments):
    // wasm's own transpose the whole tensor first.
    for (const name of [Sum, Mean]) {
      const original = fallback(name);
      configs.push(kernel(name, (inputs, backend, attrs) => {
        const x = inputs['x']!;
        const axes = util.parseAxisParam(attrs['axis'] as number | number[], x.shape).sort((a, b) => a - b);
        const k = axes.length;
        const leading = k > 0 && axes.every((a, i) => a === i);
        if (x.dtype !== 'float32' || !leading || empty(x.shape)) return original!({ inputs, backend, attrs });
        const rows = util.sizeFromShape(x.shape.slice(0, k)), cols = util.sizeFromShape(x.shape.slice(k));
        const shape = attrs['keepDims'] === true ? [...new Array<number>(k).fill(1), ...x.shape.slice(k)] : x.shape.slice(k);
        const out = backend.makeOutput(shape, 'float32');
        reduceRows(heapOf(backend), offset(backend, x), offset(backend, out), rows, cols, name === Mean);
        return out;
      }, originals.get(name)));
    }
  }

  const { conv2d, matmul } = math;
  if (conv2d) {
    for (const name of [Conv2D, FusedConv2D]) {
      const original = fallback(name);
      configs.push(kernel(name, (inputs, backend, attrs) => {
        const x = inputs['x']!, filter = inputs['filter']!, bias = inputs['bias'];
        const activation = (attrs['activation'] as string | undefined) ?? 'linear';
        const co = filter.shape[3]!;
        const ok = !isNchw(attrs) && x.dtype === 'float32' && filter.dtype === 'float32' && !empty(x.shape) &&
          !empty(filter.shape) &&
          (activation === 'linear' || activation === 'relu') &&
          (bias == null || util.sizeFromShape(bias.shape) === co);
        if (!ok) return original!({ inputs, backend, attrs });
        const info = convInfo(x.shape, filter.shape, attrs, false);
        const out = backend.makeOutput(info.outShape, 'float32');
        math.conv2d!(heapOf(backend), offset(backend, x), offset(backend, filter), offset(backend, out),
          bias ? offset(backend, bias) : -1, activation === 'relu', geometry(info, false, filter.shape));
        return out;
      }, originals.get(name)));
    }
  }
  if (matmul) {
    for (const name of [BatchMatMul, _FusedMatMul]) {
      const original = fallback(name);
      configs.push(kernel(name, (inputs, backend, attrs) => {
        const a = inputs['a']!, b = inputs['b']!, bias = inputs['bias'];
        const transA = attrs['transposeA'] === true, transB = attrs['transposeB'] === true;
        const activation = (attrs['activation'] as string | undefined) ?? 'linear';
        const ra = a.shape.length, rb = b.shape.length;
        const m = transA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
        const k = transA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
        const n = transB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
        const batchShapeA = a.shape.slice(0, -2), batchShapeB = b.shape.slice(0, -2);
        const batchA = util.sizeFromShape(batchShapeA), batchB = util.sizeFromShape(batchShapeB);
        const ok = a.dtype === 'float32' && b.dtype === 'float32' && m * k * n * batchA * batchB > 0 &&
          (batchA === batchB ? util.arraysEqual(batchShapeA, batchShapeB) : batchA === 1 || batchB === 1) &&
          (activation === 'linear' || activation === 'relu') &&
          (bias == null || (bias.shape.length === 1 && bias.shape[0] === n));
        if (!ok) return original!({ inputs, backend, attrs });
        const batchShape = broadcast_util.assertAndGetBroadcastShape(batchShapeA, batchShapeB);
        const out = backend.makeOutput([...batchShape, m, n], 'float32');
        matmul(heapOf(backend), offset(backend, a), offset(backend, b), offset(backend, out),
          bias ? offset(backend, bias) : -1, activation === 'relu', batchA, batchB, m, k, n, transA, transB);
        return out;
      }, originals.get(name)));
    }
  }
  return configs;
}
