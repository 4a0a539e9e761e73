// Teacher RDM previews for the report: GetRdm streams a teacher layer's full n x n RDM; the report shows the
// `size` x `size` sub-matrix over stimuli k*n/size (k = 0 .. size-1), the same stimuli the trainer's candidate
// previews use (proto RdmPreview), so the two pictures line up.

import type { RdmPreview } from '../../../gen/tgsage/v1/similarity.ts';

/** Stimulus indices of a preview: floor(k * n / size). */
export function previewIndices(n: number, size: number): number[] {
  return Array.from({ length: Math.min(size, n) }, (_, k) => Math.floor((k * n) / Math.min(size, n)));
}

/** The preview of a full row-major n x n RDM (size is capped at n). */
export function previewFromRdm(layer: string, rdm: ArrayLike<number>, n: number, size = 48): RdmPreview {
  if (rdm.length !== n * n) throw new RangeError(`previewFromRdm: ${rdm.length} values for n = ${n}`);
  const idx = previewIndices(n, size);
  const out = new Float32Array(idx.length * idx.length);
  idx.forEach((i, r) => idx.forEach((j, c) => (out[r * idx.length + c] = rdm[i * n + j]!)));
  return { layer, size: idx.length, data: Buffer.from(out.buffer) };
}
