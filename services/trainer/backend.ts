// Makes the process's tfjs ready to train on `name`, once: on wasm, registers our gradient kernels first.
import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from '../compute/kernels/index.ts';
import { initTfjs, type TfjsBackendName } from '../compute/tfjs-backend.ts';

let ready: Promise<{ backend: string; details: string }> | undefined;

export function initTrainingBackend(
  name: TfjsBackendName,
  log?: (line: string) => void,
): Promise<{ backend: string; details: string }> {
  ready ??= (async () => {
    let kernels = '';
    if (name === 'wasm') {
      const k = registerWasmTrainingKernels();
      kernels = `; training kernels ${k.math} (${k.threads} thread${k.threads === 1 ? '' : 's'})`;
    }
    if (tf.getBackend() === name) return { backend: name, details: `already active${kernels}` };
    const init = await initTfjs(name, { log });
    return { backend: init.backend, details: init.details + kernels };
  })();
  return ready;
}
