// Makes the process's tfjs ready to train on `name`, once (initTfjs('wasm') also registers our gradient kernels).
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, type TfjsBackendName } from '../compute/tfjs-backend.ts';

let ready: Promise<{ backend: string; details: string }> | undefined;

export function initTrainingBackend(
  name: TfjsBackendName,
  log?: (line: string) => void,
): Promise<{ backend: string; details: string }> {
  ready ??= (async () => {
    if (tf.getBackend() === name && name !== 'wasm') return { backend: name, details: 'already active' };
    const init = await initTfjs(name, { log });
    return { backend: init.backend, details: init.details };
  })();
  return ready;
}
