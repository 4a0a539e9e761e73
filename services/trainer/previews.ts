// RDM previews: a layer's RDM restricted to `size` stimuli spaced evenly through the (class-ordered) stimulus set,
// rows floor(k * N / size). Distances between two stimuli depend only on their two rows, so the preview holds exactly
// the full RDM's entries at those rows and columns.
import type { RdmMethod } from '../compute/types.ts';

export const PREVIEW_SIZE = 64;

/** Indices of the preview rows: floor(k * n / size), k = 0 .. size - 1 (all rows when n <= size). */
export function previewIndices(n: number, size = PREVIEW_SIZE): number[] {
  const m = Math.min(n, size);
  return Array.from({ length: m }, (_, k) => Math.floor((k * n) / m));
}

/** Copies the preview rows of an n x d row-major matrix. */
export function previewRows(data: Float32Array, n: number, size = PREVIEW_SIZE): { rows: Float32Array; m: number } {
  const d = data.length / n;
  const idx = previewIndices(n, size);
  const rows = new Float32Array(idx.length * d);
  idx.forEach((r, k) => rows.set(data.subarray(r * d, (r + 1) * d), k * d));
  return { rows, m: idx.length };
}

/** m x m RDM (float64 arithmetic, float32 result) of m rows of d features. */
export function smallRdm(rows: Float32Array, m: number, method: RdmMethod): Float32Array {
  const d = rows.length / m;
  const z = new Float64Array(rows.length);
  for (let i = 0; i < m; i++) {
    let mean = 0;
    if (method === 'correlation') {
      for (let k = 0; k < d; k++) mean += rows[i * d + k]!;
      mean /= d;
    }
    let norm = 0;
    for (let k = 0; k < d; k++) {
      const v = rows[i * d + k]! - mean;
      z[i * d + k] = v;
      norm += v * v;
    }
    if (method !== 'euclidean') {
      const s = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let k = 0; k < d; k++) z[i * d + k]! *= s;
    }
  }
  const out = new Float32Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      let acc = 0;
      if (method === 'euclidean') {
        for (let k = 0; k < d; k++) {
          const t = z[i * d + k]! - z[j * d + k]!;
          acc += t * t;
        }
        acc = Math.sqrt(acc);
      } else {
        for (let k = 0; k < d; k++) acc += z[i * d + k]! * z[j * d + k]!;
        acc = 1 - acc;
      }
      out[i * m + j] = acc;
      out[j * m + i] = acc;
    }
  }
  return out;
}
