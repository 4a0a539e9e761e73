// Loads the native training-math addon (native/build/wasmconv.node, built by native/build.mjs with OpenBLAS).
// Returns null when it is not built or fails to load, so callers fall back to plain JS.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { geometryArgs, type TrainingMath } from './impl.ts';
import { preferAvx512OpenBlas } from './openblas-env.ts';

interface Addon {
  conv2d(heap: Float32Array, ...args: number[]): void;
  conv2dFilterGrad(heap: Float32Array, ...args: number[]): void;
  conv2dInputGrad(heap: Float32Array, ...args: number[]): void;
  depthwiseFilterGrad(heap: Float32Array, ...args: number[]): void;
  depthwiseInputGrad(heap: Float32Array, ...args: number[]): void;
  maxPoolGrad(heap: Float32Array, ...args: number[]): void;
  avgPoolGrad(heap: Float32Array, ...args: number[]): void;
  matmul(heap: Float32Array, ...args: number[]): void;
  tile(heap: Float32Array, ...args: number[]): void;
  affineChannels(heap: Float32Array, coeffs: Float32Array, ...args: number[]): void;
  batchNormGrad(heap: Float32Array, coeffs: Float32Array, sums: Float64Array, ...args: number[]): void;
  reduceRows(heap: Float32Array, ...args: number[]): void;
  threads(n: number): number;
}

export const DEFAULT_ADDON_PATH = fileURLToPath(new URL('../../../native/build/wasmconv.node', import.meta.url));

export interface NativeTrainingMath extends TrainingMath {
  /**
   * Threads of the addon's own pool (sets them when n > 0; default: the number of CPUs). The convolutions split
   * their images over the pool, one single-threaded OpenBLAS sgemm per thread (OpenBLAS's own threads are set to 1).
   */
  threads(n?: number): number;
}

export function loadNativeTrainingMath(path = DEFAULT_ADDON_PATH): NativeTrainingMath | null {
  if (process.env['TGSAGE_NO_NATIVE'] === '1' || !existsSync(path)) return null;
  preferAvx512OpenBlas();
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(path) as Addon;
  } catch {
    return null;
  }
  return {
    name: 'native',
    threads: (n = 0) => addon.threads(n),
    conv2d: (heap, x, w, y, bias, relu, g) => addon.conv2d(heap, x, w, y, bias, relu ? 1 : 0, ...geometryArgs(g)),
    matmul: (heap, a, b, c, bias, relu, batchA, batchB, m, k, n, transA, transB) =>
      addon.matmul(heap, a, b, c, bias, relu ? 1 : 0, batchA, batchB, m, k, n, transA ? 1 : 0, transB ? 1 : 0),
    conv2dFilterGrad: (heap, x, dy, dw, g) => addon.conv2dFilterGrad(heap, x, dy, dw, ...geometryArgs(g)),
    conv2dInputGrad: (heap, dy, w, dx, g) => addon.conv2dInputGrad(heap, dy, w, dx, ...geometryArgs(g)),
    depthwiseFilterGrad: (heap, x, dy, dw, g) => addon.depthwiseFilterGrad(heap, x, dy, dw, ...geometryArgs(g)),
    depthwiseInputGrad: (heap, dy, w, dx, g) => addon.depthwiseInputGrad(heap, dy, w, dx, ...geometryArgs(g)),
    tile: (heap, x, out, shape, reps) => {
      const pad = (v: number[]) => [...new Array<number>(6 - v.length).fill(1), ...v];
      addon.tile(heap, x, out, ...pad(shape), ...pad(reps));
    },
    reduceRows: (heap, x, out, rows, cols, mean) => addon.reduceRows(heap, x, out, rows, cols, mean ? 1 : 0),
    affineChannels: (heap, coeffs, x, out, rows, c) => addon.affineChannels(heap, coeffs, x, out, rows, c),
    batchNormGrad: (heap, coeffs, sums, x, dy, dx, rows) => addon.batchNormGrad(heap, coeffs, sums, x, dy, dx, rows),
    maxPoolGrad: (heap, x, dy, dx, g) => addon.maxPoolGrad(heap, x, dy, dx, ...geometryArgs(g)),
    avgPoolGrad: (heap, dy, dx, g) => addon.avgPoolGrad(heap, dy, dx, ...geometryArgs(g)),
  };
}
