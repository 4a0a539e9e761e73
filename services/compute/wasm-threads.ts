// Multithreaded tfjs wasm in Node.
//
// tfjs turns wasm threads off in Node (flag WASM_HAS_MULTITHREAD_SUPPORT is false there) because its emscripten
// glue is wired for browsers: the pthread worker script is handed over as a blob: URL (from URL.createObjectURL),
// and the main script each worker must load (`mainScriptUrlOrBlob`) is a Blob. Node's worker_threads cannot start a
// worker from a blob: URL, and the worker's Node shim loads scripts with fs.readFileSync. The glue itself is
// Node-aware otherwise (worker_threads, shared WebAssembly.Memory, workers unref'd once loaded).
//
// So, before the backend initialises, we:
//   1. write the worker script (tfjs' `wasmWorkerContents`, escaped exactly as tfjs escapes it) and the main script
//      (`var WasmBackendModuleThreadedSimd = <factory source>`, exactly what tfjs puts in its Blob) into a private
//      temporary directory, once per process;
//   2. make URL.createObjectURL return the worker file's path for tfjs' worker Blob (recognised by type and exact
//      size; every other call goes to the original);
//   3. turn the Blob tfjs assigns to `mainScriptUrlOrBlob` into that file's path (an accessor on Object.prototype,
//      present only while the backend initialises, synchronous with the factory call);
//   4. set WASM_HAS_MULTITHREAD_SUPPORT and tfjs' thread count;
//   5. while the module initialises, report twice the wanted thread count from os.cpus(): tfjs' C++ caps the pool at
//      emscripten_num_logical_cores() / 2 (it assumes 2 hyperthreads per core), which in Node is os.cpus().length,
//      so on a 2-core machine it would silently stay at 1 thread.
// When any step fails, nothing is changed and the backend runs single-threaded SIMD (the details string says so).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

interface ThreadFiles {
  worker: string;
  workerBlobSize: number;
  main: string;
}

let files: ThreadFiles | null = null;
let patchedCreateObjectURL = false;

function writeFiles(): ThreadFiles {
  if (files) return files;
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as {
    wasmWorkerContents: string;
  };
  const factoryModule = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js') as
    | ((...a: unknown[]) => unknown)
    | { default: (...a: unknown[]) => unknown };
  const factory = typeof factoryModule === 'function' ? factoryModule : factoryModule.default;
  const workerSource = wasmWorkerContents.replace(/\n/g, '\\n'); // what tfjs puts in its Blob
  const dir = mkdtempSync(join(tmpdir(), 'tgsage-wasm-'));
  const worker = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  const main = join(dir, 'tfjs-backend-wasm-threaded-simd.main.js');
  writeFileSync(worker, workerSource);
  writeFileSync(main, `var WasmBackendModuleThreadedSimd = ${factory.toString()}`);
  files = { worker, workerBlobSize: Buffer.byteLength(workerSource), main };
  return files;
}

function patchCreateObjectURL(f: ThreadFiles): void {
  if (patchedCreateObjectURL) return;
  const original = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (obj: Blob | unknown): string => {
    if (obj instanceof Blob && obj.type === 'application/javascript' && obj.size === f.workerBlobSize) return f.worker;
    return original(obj as Blob);
  };
  patchedCreateObjectURL = true;
}

/**
 * Configures the wasm backend for `threads` threads before it initialises (undefined or 0: the number of CPU
 * cores; 1: single-threaded). Returns a function to call once `tf.setBackend('wasm')` has settled, and the thread
 * count asked for (1 when threads could not be set up; `reason` then says why).
 */
export function enableWasmThreads(
  threads: number | undefined,
  setThreadsCount: (n: number) => void,
): { requested: number; done: () => void; reason?: string } {
  const requested = threads && threads > 0 ? Math.floor(threads) : availableParallelism();
  if (requested <= 1) return { requested: 1, done: () => {}, reason: 'one thread requested' };
  if (typeof SharedArrayBuffer === 'undefined') {
    return { requested: 1, done: () => {}, reason: 'no SharedArrayBuffer' };
  }
  let f: ThreadFiles;
  try {
    f = writeFiles();
  } catch (err) {
    return { requested: 1, done: () => {}, reason: `worker scripts unavailable (${(err as Error).message})` };
  }
  patchCreateObjectURL(f);
  const key = 'mainScriptUrlOrBlob';
  Object.defineProperty(Object.prototype, key, {
    configurable: true,
    enumerable: false,
    get(): undefined {
      return undefined;
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, key, {
        value: value instanceof Blob ? f.main : value,
        writable: true,
        enumerable: true,
        configurable: true,
      });
    },
  });
  const cpus = os.cpus;
  os.cpus = () => {
    const list = cpus();
    while (list.length < 2 * requested) list.push(list[0]);
    return list;
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(requested);
  return {
    requested,
    done: () => {
      delete (Object.prototype as Record<string, unknown>)[key];
      os.cpus = cpus;
    },
  };
}

interface PoolWorker {
  ref?: () => void;
  unref?: () => void;
}

/**
 * Lets the process exit while the wasm thread pool lives: emscripten ref()s a Node worker while a pthread runs on
 * it, and XNNPACK's pool threads run for the backend's lifetime, so without this a script or test never ends.
 * Call after the backend has initialised (the pool is created then).
 */
export function unrefWasmWorkers(): number {
  const backend = tf.findBackend('wasm') as unknown as {
    wasm?: { PThread?: { runningWorkers?: PoolWorker[]; unusedWorkers?: PoolWorker[] } };
  } | null;
  const pthread = backend?.wasm?.PThread;
  if (!pthread) return 0;
  const workers = [...(pthread.runningWorkers ?? []), ...(pthread.unusedWorkers ?? [])];
  for (const w of workers) {
    w.unref?.();
    w.ref = () => {}; // a pool worker that later runs another pthread stays unref'd
  }
  return workers.length;
}
