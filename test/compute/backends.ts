// Which compute backends the tests run: every one that can run here. blas runs when its addon was built (the
// build skips it cleanly without gcc / OpenBLAS); when built, it must load.
import { existsSync } from 'node:fs';
import { BLAS_ADDON_PATH } from '../../services/compute/blas.ts';
import type { BackendName } from '../../services/compute/types.ts';

export const BLAS_BUILT = existsSync(BLAS_ADDON_PATH);

export const RUNNABLE: BackendName[] = [...(BLAS_BUILT ? (['blas'] as const) : []), 'wasm', 'cpu'];
