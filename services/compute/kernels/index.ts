// registerWasmTrainingKernels(): makes CNN training work, and fast, on tfjs's wasm backend.
//
// - Conv2DBackpropFilter and the depthwise-conv gradients (missing on wasm) are registered for 'wasm'.
// - With the native addon (native/build/wasmconv.node, OpenBLAS): Conv2D, FusedConv2D, Conv2DBackpropInput,
//   BatchMatMul and _FusedMatMul are replaced by im2col + sgemm run natively on the wasm heap (no copies); cases
//   they do not cover (NCHW, prelu and other fused activations) go to wasm's own kernels.
// - Without it, plain-JS loops (correct, slow) stand in for the missing gradients only.
// - Conv2D / DepthwiseConv2dNative gradients accept dilation > 1 (tfjs's refuse it), on every backend.
// Idempotent; call it before or after tf.setBackend('wasm').

import '@tensorflow/tfjs-backend-wasm';
// tfjs-layers registers tfjs's gradients when evaluated: import it first so that it cannot replace ours later.
import '@tensorflow/tfjs-layers';
import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { registerDilatedConvGradients } from './gradients.ts';
import { jsTrainingMath, type TrainingMath } from './impl.ts';
import { loadNativeTrainingMath } from './native.ts';
import { wasmTrainingKernelConfigs } from './wasm-kernels.ts';

export interface WasmTrainingKernels {
  /** 'native' (OpenBLAS addon) or 'js' (fallback loops). */
  readonly math: 'native' | 'js';
  /** OpenBLAS threads for the native math (1 for js). */
  readonly threads: number;
  /** Names of the kernels registered for wasm. */
  readonly kernels: readonly string[];
}

export interface WasmTrainingKernelOptions {
  /** Use the native addon when it loads (default true; env TGSAGE_NO_NATIVE=1 also turns it off). */
  native?: boolean;
  /** OpenBLAS threads (default: OpenBLAS's own choice, i.e. OPENBLAS_NUM_THREADS or the core count). */
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
  registerDilatedConvGradients(true);
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
