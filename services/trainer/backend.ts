// Makes the process's tfjs ready to train on `name`, once (initTfjs('wasm') also registers our gradient kernels).
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, type TfjsBackendName, type TfjsOptions } from '../compute/tfjs-backend.ts';

/**
 * The thread set-up training uses on wasm: tfjs's wasm (XNNPACK) single-threaded, the native training kernels'
 * pool on all `threads` cores (default: every core). Measured on 2 cores (npm run bench:trainer and steps with idle
 * gaps): the convolutions and their gradients are ~90% of a step and run in the native pool; wasm's own pthreads
 * add little to the remaining element-wise ops and, after any idle gap (data loading, evaluation, the PyTorch turns
 * of the bench), slowed steps by 10-35% (small CNN 15.4 vs 20.2 ms, Fashion convnet 46.5 vs 52.2 ms per step).
 */
export function trainingTfjsOptions(threads?: number): Pick<TfjsOptions, 'threads' | 'kernelThreads'> {
  return { threads: 1, kernelThreads: threads && threads > 0 ? Math.floor(threads) : availableParallelism() };
}

let ready: Promise<{ backend: string; details: string }> | undefined;

export function initTrainingBackend(
  name: TfjsBackendName,
  log?: (line: string) => void,
): Promise<{ backend: string; details: string }> {
  ready ??= (async () => {
    if (tf.getBackend() === name && name !== 'wasm') return { backend: name, details: 'already active' };
    const init = await initTfjs(name, name === 'wasm' ? { log, ...trainingTfjsOptions() } : { log });
    return { backend: init.backend, details: init.details };
  })();
  return ready;
}
