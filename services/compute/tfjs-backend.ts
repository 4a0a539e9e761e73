// The one place that initialises tfjs for a backend name. Everything tfjs-related (the compute layer's tfjs
// backends, the trainer's kernels) calls initTfjs() once at start-up and then uses `tf` from '@tensorflow/tfjs-core'.
//
//   wasm        @tensorflow/tfjs-backend-wasm (XNNPACK; SIMD; threads forced on in Node, see enableWasmThreads)
//   cpu         @tensorflow/tfjs-backend-cpu (pure JS; slow, for tests and as the last resort)
//   webgpu      Dawn's `webgpu` package + @tensorflow/tfjs-backend-webgpu (optional; needs a GPU adapter)
//   tensorflow  @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (optional; not installable everywhere)
import * as tf from '@tensorflow/tfjs-core';
import { BackendUnavailableError } from './types.ts';

export type TfjsBackendName = 'wasm' | 'cpu' | 'webgpu' | 'tensorflow';

export interface TfjsInit {
  /** tf.getBackend() after initialisation, e.g. "wasm", "cpu", "webgpu", "tensorflow". */
  readonly backend: string;
  /** Human-readable details for logs and info calls (SIMD / threads, adapter, library). */
  readonly details: string;
}

export interface TfjsOptions {
  /** wasm: number of threads (0 or undefined: the number of CPU cores; 1: single-threaded SIMD). */
  readonly threads?: number;
  /**
   * wasm: threads of the native training kernels' pool (convolutions and their gradients; default: `threads` when
   * given, else the number of CPU cores). Training sets threads 1 and this to the cores (see services/trainer/backend.ts).
   */
  readonly kernelThreads?: number;
  /** Called with one line per step; defaults to no logging. */
  readonly log?: (line: string) => void;
}

export { BackendUnavailableError };

function reason(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

async function activate(name: string): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    throw new BackendUnavailableError(`tfjs backend '${name}' failed to initialise: ${reason(err)}`);
  }
  if (!ok) throw new BackendUnavailableError(`tfjs backend '${name}' failed to initialise (setBackend returned false)`);
  await tf.ready();
  if (tf.getBackend() !== name) {
    throw new BackendUnavailableError(`tfjs backend '${name}' requested but '${tf.getBackend()}' is active`);
  }
}

async function initWasm(options: TfjsOptions): Promise<string> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const { enableWasmThreads, unrefWasmWorkers } = await import('./wasm-threads.ts');
  const threads = enableWasmThreads(options.threads, wasm.setThreadsCount);
  // Training kernels wasm lacks (conv / depthwise / pool gradients) and native OpenBLAS convolutions and matmuls.
  const { registerWasmTrainingKernels } = await import('./kernels/index.ts');
  const kernelThreads = options.kernelThreads || options.threads;
  const kernels = registerWasmTrainingKernels(kernelThreads ? { threads: kernelThreads } : {});
  try {
    await activate('wasm');
  } finally {
    threads.done();
  }
  if (threads.requested > 1) unrefWasmWorkers();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const actual = threads.requested > 1 ? wasm.getThreadsCount() : 1;
  const why = threads.reason ? ` (${threads.reason})` : '';
  return `tfjs-backend-wasm ${wasm.version_wasm}; simd ${simd ? 'on' : 'off'}; threads ${actual}${why}; ` +
    `training kernels ${kernels.math}${kernels.math === 'native' ? ` (native threads ${kernels.threads})` : ''}`;
}

async function initWebgpu(): Promise<string> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    let webgpu: { create: (flags: string[]) => unknown; globals: object };
    try {
      webgpu = (await import('webgpu')) as unknown as typeof webgpu;
    } catch (err) {
      throw new BackendUnavailableError(`backend 'webgpu' unavailable: package 'webgpu' cannot be loaded (${reason(err)})`);
    }
    Object.assign(globalThis, webgpu.globals);
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(g.navigator ?? {}), gpu: webgpu.create([]) },
      configurable: true,
      writable: true,
    });
  }
  const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<unknown> } } }).navigator.gpu;
  let adapter: unknown;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    throw new BackendUnavailableError(`backend 'webgpu' unavailable: requestAdapter failed (${reason(err)})`);
  }
  if (!adapter) throw new BackendUnavailableError("backend 'webgpu' unavailable: no WebGPU adapter (no GPU or no Vulkan driver)");
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
  } catch (err) {
    throw new BackendUnavailableError(
      `backend 'webgpu' unavailable: @tensorflow/tfjs-backend-webgpu cannot be loaded (${reason(err)})`,
    );
  }
  await activate('webgpu');
  const info = (adapter as { info?: { vendor?: string; architecture?: string; device?: string; description?: string } })
    .info;
  const desc = info ? [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') : '';
  return `tfjs-backend-webgpu over Dawn; adapter ${desc || 'unknown'}`;
}

async function initTensorflow(): Promise<string> {
  const failures: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      // variable specifier: these packages are optional and usually absent, so the type checker must not resolve them
      const mod = (await import(/* @vite-ignore */ pkg as string)) as { version?: { [k: string]: string } };
      await activate('tensorflow');
      const v = mod.version ? Object.entries(mod.version).map(([k, x]) => `${k} ${x}`).join(', ') : '';
      return `${pkg}${v ? ` (${v})` : ''}`;
    } catch (err) {
      failures.push(`${pkg}: ${reason(err)}`);
    }
  }
  throw new BackendUnavailableError(`backend 'tensorflow' unavailable: ${failures.join('; ')}`);
}

/**
 * Initialises tfjs with `name` and makes it the active backend: checks `await tf.setBackend()`, awaits
 * `tf.ready()`, logs. Throws BackendUnavailableError with the reason when it cannot.
 */
export async function initTfjs(name: TfjsBackendName, options: TfjsOptions = {}): Promise<TfjsInit> {
  const log = options.log ?? (() => {});
  // tfjs has one global engine: switching it moves every live tensor to the new backend on next use
  const current = (tf.engine() as unknown as { backendName: string | null }).backendName;
  if (current && current !== name && tf.memory().numTensors > 0) {
    log(`tfjs: switching the process-wide backend from ${current} to ${name} with ${tf.memory().numTensors} live tensors`);
  }
  let details: string;
  switch (name) {
    case 'wasm':
      details = await initWasm(options);
      break;
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      await activate('cpu');
      // its one-time "install tfjs-node" banner is noise here: the compute layer picks its own fast path
      (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      details = 'tfjs-backend-cpu (pure JavaScript)';
      break;
    case 'webgpu':
      details = await initWebgpu();
      break;
    case 'tensorflow':
      details = await initTensorflow();
      break;
    default:
      throw new BackendUnavailableError(`unknown tfjs backend '${String(name)}'`);
  }
  log(`tfjs backend ${tf.getBackend()}: ${details}`);
  return { backend: tf.getBackend(), details };
}

export { tf };
