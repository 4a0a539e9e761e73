// Debian's OpenBLAS 0.3.21 (DYNAMIC_ARCH) does not know AVX-512 AMD CPUs (Zen 4) and runs its Haswell (AVX2) kernels
// there; forcing its SkylakeX kernels makes sgemm 1.6-2x faster on such machines (measured on this project's CI
// host: 68-97 -> 139-152 GFLOP/s per core). OpenBLAS reads OPENBLAS_CORETYPE once, when the library is loaded, so
// call this before the first OpenBLAS-linked addon is required. A value the user set is left alone.

import { readFileSync } from 'node:fs';

const AVX512_FOR_SKYLAKEX = ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'];

/** Sets OPENBLAS_CORETYPE=SKYLAKEX when the CPU has the AVX-512 subsets those kernels use; returns the value in force. */
export function preferAvx512OpenBlas(): string | undefined {
  if (process.env['OPENBLAS_CORETYPE'] || process.platform !== 'linux' || process.arch !== 'x64') {
    return process.env['OPENBLAS_CORETYPE'];
  }
  let flags: Set<string>;
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags')) ?? '';
    flags = new Set(line.split(/\s+/));
  } catch {
    return undefined;
  }
  if (AVX512_FOR_SKYLAKEX.every((f) => flags.has(f))) process.env['OPENBLAS_CORETYPE'] = 'SKYLAKEX';
  return process.env['OPENBLAS_CORETYPE'];
}
