// The `blas` backend: RDMs and centred Grams in our native addon (native/src/tgsage_blas.c, Debian OpenBLAS),
// ranking in the addon too; comparators are the shared pure ones.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkShape } from './activations.ts';
import { compareRdms, linearCka, prepareRdm } from './comparators.ts';
import type { FloatArray } from './ranks.ts';
import { BackendUnavailableError, ComputeInputError, type Activations, type Compute, type RdmMethod } from './types.ts';

interface BlasAddon {
  rdm(x: Float32Array, n: number, d: number, method: number, out: Float32Array): Promise<void>;
  gram(x: Float32Array, n: number, d: number, out: Float64Array): Promise<void>;
  rankAverage(values: FloatArray, out: Float64Array): void;
  setThreads(k: number): void;
  info(): string;
}

const METHOD: Record<RdmMethod, number> = { correlation: 0, cosine: 1, euclidean: 2 };

export const BLAS_ADDON_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'tgsage_blas.node');

/** Loads the addon or throws BackendUnavailableError saying why. */
export function loadBlasAddon(path = BLAS_ADDON_PATH): BlasAddon {
  if (!existsSync(path)) {
    throw new BackendUnavailableError(
      `backend 'blas' unavailable: ${path} is not built (needs gcc, libopenblas-dev and Node headers; run npm run build:native)`,
    );
  }
  try {
    return createRequire(import.meta.url)(path) as BlasAddon;
  } catch (err) {
    throw new BackendUnavailableError(
      `backend 'blas' unavailable: ${path} failed to load (${err instanceof Error ? err.message : String(err)})`,
    );
  }
}

/** Maps the addon's rejections to ComputeInputError. */
function inputError(err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code === 'E_NONFINITE' || code === 'E_CONSTANT') return new ComputeInputError((err as Error).message);
  return err;
}

export function createBlasCompute(options: { threads?: number; addonPath?: string } = {}): Compute {
  const addon = loadBlasAddon(options.addonPath);
  if (options.threads && options.threads > 0) addon.setThreads(options.threads);
  // OpenBLAS is driven from the libuv pool: one call at a time, so its own threads do not oversubscribe the cores
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  const rank = (values: FloatArray): Float64Array => {
    const out = new Float64Array(values.length);
    addon.rankAverage(values, out);
    return out;
  };
  return {
    backend: 'blas',
    details: `native addon tgsage_blas over ${addon.info()}`,
    async rdm(x: Activations, method: RdmMethod): Promise<Float32Array> {
      checkShape(x);
      if (!(method in METHOD)) throw new ComputeInputError(`unknown RDM method '${String(method)}'`);
      const out = new Float32Array(x.n * x.n);
      return serial(() => addon.rdm(x.data, x.n, x.d, METHOD[method], out)).then(
        () => out,
        (err: unknown) => Promise.reject(inputError(err)),
      );
    },
    async centeredGram(x: Activations): Promise<Float64Array> {
      checkShape(x);
      const out = new Float64Array(x.n * x.n);
      return serial(() => addon.gram(x.data, x.n, x.d, out)).then(
        () => out,
        (err: unknown) => Promise.reject(inputError(err)),
      );
    },
    async prepare(rdm, n, comparator) {
      return prepareRdm(rdm, n, comparator, rank);
    },
    compare: compareRdms,
    cka: linearCka,
    async dispose() {},
  };
}
