import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DType, type MatrixChunk } from '../../gen/tgsage/v1/tensor.ts';
import { previewFromChunks } from '../../services/controller/rdm-preview.ts';

for (const sizeOnEvery of [false, true]) it(`restricts a chunked N x N RDM to rows and columns floor(k N / 64) (size on ${sizeOnEvery ? 'every chunk, as the teacher cache sends it' : 'the first chunk only'})`, async () => {
  const n = 130;
  const full = Float32Array.from({ length: n * n }, (_, i) => Math.floor(i / n) * 1000 + (i % n));
  const sizes = [7, 500, 1, 3000, 9999, 17];
  const chunks: MatrixChunk[] = [];
  for (let off = 0, s = 0; off < full.length; s++) {
    const len = Math.min(sizes[s % sizes.length]!, full.length - off);
    chunks.push({ layer: 'L', dtype: DType.DTYPE_FLOAT32, size: off === 0 || sizeOnEvery ? n : 0, offset: off, data: Buffer.from(full.slice(off, off + len).buffer) });
    off += len;
  }
  const p = await previewFromChunks('L', (async function* () { yield* chunks; })());
  assert.equal(p.size, 64);
  const got = new Float32Array(p.data.buffer.slice(p.data.byteOffset, p.data.byteOffset + p.data.byteLength));
  for (let a = 0; a < 64; a++) {
    for (let b = 0; b < 64; b++) {
      const r = Math.floor((a * n) / 64);
      const c = Math.floor((b * n) / 64);
      assert.equal(got[a * 64 + b], r * 1000 + c);
    }
  }
});
