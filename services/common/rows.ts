// Row checks before an RDM is computed, so a client learns which layer and row is unusable: correlation distance
// needs every row to vary, cosine distance needs every row to be non-zero.
import type { RdmMethod } from '../compute/types.ts';
import { InvalidArgumentError } from './errors.ts';

export interface RowsLike {
  readonly name: string;
  readonly n: number;
  readonly d: number;
  readonly data: Float32Array;
}

export function checkRows(layer: RowsLike, method: RdmMethod, field = 'chunk.data'): void {
  if (method === 'euclidean') return;
  const { n, d, data } = layer;
  for (let i = 0; i < n; i++) {
    const off = i * d;
    const first = data[off]!;
    let varies = false;
    let nonZero = first !== 0;
    for (let j = 1; j < d; j++) {
      const v = data[off + j]!;
      if (v !== first) {
        varies = true;
        nonZero = true;
        break;
      }
    }
    if (method === 'correlation' && !varies) {
      throw new InvalidArgumentError(
        field,
        `layer "${layer.name}" row ${i} is constant (zero variance): correlation distance is undefined for it`,
      );
    }
    if (method === 'cosine' && !nonZero) {
      throw new InvalidArgumentError(field, `layer "${layer.name}" row ${i} is all zeros: cosine distance is undefined for it`);
    }
  }
}
