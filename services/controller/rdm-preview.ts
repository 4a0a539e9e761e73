// Teacher RDM previews for reports: each teacher layer's RDM streamed from TeacherCache.GetRdm and restricted, chunk by
// chunk, to rows and columns floor(k * N / size) (the same stimuli the trainer's candidate previews use), so a
// 1000 x 1000 RDM never has to be held whole.
import type { RdmPreview } from '../../gen/tgsage/v1/similarity.ts';
import { DType, type MatrixChunk } from '../../gen/tgsage/v1/tensor.ts';
import { previewIndices, PREVIEW_SIZE } from '../trainer/previews.ts';

/** Restricts a streamed N x N float32 RDM to its preview rows and columns. */
export async function previewFromChunks(
  layer: string,
  chunks: AsyncIterable<MatrixChunk>,
  size = PREVIEW_SIZE,
): Promise<RdmPreview> {
  let n = 0;
  let idx: number[] = [];
  let rowPos = new Map<number, number>();
  let out = new Float32Array(0);
  for await (const c of chunks) {
    if (c.size && c.size !== n) {
      // the first chunk names the size; later chunks may repeat it (the teacher cache's do) and must not reset
      if (n) throw new Error(`RDM of ${layer}: size changed from ${n} to ${c.size} mid-stream`);
      n = c.size;
      idx = previewIndices(n, size);
      rowPos = new Map(idx.map((r, k) => [r, k]));
      out = new Float32Array(idx.length * idx.length);
    }
    if (!n) throw new Error(`RDM of ${layer}: first chunk without size`);
    if (c.dtype !== DType.DTYPE_FLOAT32) throw new Error(`RDM of ${layer}: expected float32 chunks`);
    const data = new Float32Array(c.data.buffer.slice(c.data.byteOffset, c.data.byteOffset + c.data.byteLength));
    const start = Number(c.offset);
    const end = start + data.length;
    for (let row = Math.floor(start / n); row * n < end; row++) {
      const k = rowPos.get(row);
      if (k === undefined) continue;
      idx.forEach((col, j) => {
        const at = row * n + col;
        if (at >= start && at < end) out[k * idx.length + j] = data[at - start]!;
      });
    }
  }
  return { layer, size: idx.length, data: Buffer.from(out.buffer) };
}
