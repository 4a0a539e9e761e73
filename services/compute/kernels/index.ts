// registerWasmTrainingKernels(): makes CNN training work, and fast, on tfjs's wasm backend.
//
// Registered for 'wasm' (each checked against float64 references and the cpu backend in test/compute/kernels*):
// - missing on wasm: Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter / ...BackpropInput (with dilation);
// - replacing slow or inexact ones: MaxPoolGrad (first maximum, as cpu), AvgPoolGrad (the exact gradient of tfjs's
//   avgPool, which averages in-bounds pixels only; tfjs's own divides by the full window at 'same' borders),
//   Identity and same-dtype Cast without a copy, FusedBatchNorm with per-channel statistics;
// - with the native addon (native/build/wasmconv.node, OpenBLAS, working in place on the wasm heap): Conv2D,
//   FusedConv2D (bias, relu), Conv2DBackpropInput, BatchMatMul, _FusedMatMul as im2col + sgemm; Tile; Sum / Mean over
//   leading axes; and our one-pass batch-norm gradient kernel TgsageBatchNormGrad. Cases they do not cover (NCHW,
//   other fused activations, other dtypes) go to wasm's own kernels.
// - Without the addon, plain-JS loops stand in for the missing gradients (correct, slow).
// Gradients (global, every backend): Conv2D / DepthwiseConv2dNative accept dilation > 1 (tfjs's refuse it); Mean as
// one tile; FusedBatchNorm without tfjs's tile and a dozen passes.
// Env: TGSAGE_NO_NATIVE=1 forces the JS fallback.
// Idempotent; call it before or after tf.setBackend('wasm').

import '@tensorflow/tfjs-backend-wasm';
// tfjs-layers registers tfjs's gradients when evaluated: import it first so that it cannot replace ours later.
import '@tensorflow/tfjs-layers';
import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { registerTrainingGradients } from './gradients.ts';
import { jsTrainingMath, type TrainingMath } from './impl.ts';
import { loadNativeTrainingMath } from './native.ts';
import { BATCH_NORM_GRAD, wasmTrainingKernelConfigs } from './wasm-kernels.ts';

export interface WasmTrainingKernels {
  /** 'native' (OpenBLAS addon) or 'js' (fallback loops). */
  readonly math: 'native' | 'js';
  /** Threads of the native math's pool (1 for js); each runs single-threaded OpenBLAS. */
  readonly threads: number;
  /** Names of the kernels registered for wasm. */
  readonly kernels: readonly string[];
}

export interface WasmTrainingKernelOptions {
  /** Use the native addon when it loads (default true; env TGSAGE_NO_NATIVE=1 also turns it off). */
  native?: boolean;
  /** Native threads (default: the number of CPUs). */
  threads?: number;
  /** Path of the addon (tests). */
  addonPath?: string;
}

let registered: (WasmTrainingKernels & { setThreads: (n: number) => number }) | null = null;

export function registerWasmTrainingKernels(options: WasmTrainingKernelOptions = {}): WasmTrainingKernels {
  if (registered) {
    if (options.threads) registered.setThreads(options.threads);
    return registered;
  }
  const native = options.native === false ? null : loadNativeTrainingMath(options.addonPath);
  const math: TrainingMath = native ?? jsTrainingMath();
  const originals = new Map<string, KernelConfig>();
  for (const config of wasmTrainingKernelConfigs(math, new Map())) {
    const original = getKernel(config.kernelName, 'wasm');
    if (original) originals.set(config.kernelName, original);
  }
  const configs = wasmTrainingKernelConfigs(math, originals);
  for (const config of configs) {
    if (originals.has(config.kernelName)) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  registerTrainingGradients(true, configs.some((c) => c.kernelName === BATCH_NORM_GRAD));
  const setThreads = (n: number): number => (native ? native.threads(n) : 1);
  if (options.threads) setThreads(options.threads);
  registered = {
    math: math.name,
    get threads() { return setThreads(0); },
    kernels: configs.map((c) => c.kernelName),
    setThreads,
  };
  return registered;
}
