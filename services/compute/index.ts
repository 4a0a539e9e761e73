// createCompute: picks the backend by name. 'auto' takes the native BLAS addon when it loads, else tfjs wasm, else
// tfjs cpu; an explicit name that cannot be used throws BackendUnavailableError with the reason. tfjs is imported
// only when a tfjs backend is asked for, so a process computing on BLAS (a scorer, a teacher cache) never loads it.
import { createBlasCompute } from './blas.ts';
import { withEdgeSafety } from './edge-safe.ts';
import { BACKENDS, BackendUnavailableError, type BackendName, type Compute } from './types.ts';

export { BACKENDS };

const createTfjsCompute: typeof import('./tfjs-compute.ts').createTfjsCompute = async (...args) =>
  (await import('./tfjs-compute.ts')).createTfjsCompute(...args);

export interface ComputeOptions {
  readonly backend?: BackendName;
  /** Threads for OpenBLAS / tfjs wasm (default: the library's own choice, usually the number of cores). */
  readonly threads?: number;
  /** One line per decision (which backend, why another was skipped). */
  readonly log?: (line: string) => void;
}


/** The backend by name, wrapped for exact ties and scale-safe euclidean RDMs (edge-safe.ts). */
export async function createCompute(options: ComputeOptions = {}): Promise<Compute> {
  return withEdgeSafety(await createBackend(options));
}

async function createBackend(options: ComputeOptions): Promise<Compute> {
  const backend = options.backend ?? 'auto';
  const log = options.log ?? (() => {});
  switch (backend) {
    case 'blas':
      return createBlasCompute({ threads: options.threads });
    case 'wasm':
    case 'cpu':
    case 'webgpu':
    case 'tensorflow':
      return createTfjsCompute(backend, { threads: options.threads });
    case 'auto': {
      const skipped: string[] = [];
      try {
        return createBlasCompute({ threads: options.threads });
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        skipped.push(err.message);
        log(`compute: ${err.message}; trying wasm`);
      }
      try {
        return await createTfjsCompute('wasm', { threads: options.threads });
      } catch (err) {
        if (!(err instanceof BackendUnavailableError)) throw err;
        log(`compute: ${err.message}; falling back to cpu`);
      }
      return createTfjsCompute('cpu');
    }
    default:
      throw new BackendUnavailableError(
        `unknown compute backend '${String(backend)}' (expected one of ${BACKENDS.join(', ')})`,
      );
  }
}

export { BackendUnavailableError } from './types.ts';
export { ComputeInputError } from './types.ts';
export type * from './types.ts';
