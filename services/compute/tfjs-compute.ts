// The tfjs backends (wasm, cpu, webgpu, tensorflow): Y Y^T by tf.matMul over column blocks of the centred / scaled
// activations (built in JS in float32, with Y^T made explicitly: on wasm matMul(a, transpose(b)) is much faster than
// matMul(a, b, false, true)); validation, ranking and comparators are the shared pure ones.
import { checkShape, fillBlock, finishRdm, transformFor } from './activations.ts';
import { compareRdms, linearCka, prepareRdm } from './comparators.ts';
import { initTfjs, tf, type TfjsBackendName } from './tfjs-backend.ts';
import { ComputeInputError, type Activations, type Compute, type RdmMethod } from './types.ts';

/** Columns per matMul block: bounds the JS-side copies to n x BLOCK floats. */
const BLOCK = 4096;

/**
 * Row bands for the product: only the upper block triangle of Y Y^T is formed (band r times bands r.. n), which
 * with 4 bands is 62.5% of the full product's flops; tfjs has no syrk.
 */
function bands(n: number): Array<[number, number]> {
  const p = Math.max(1, Math.min(4, Math.floor(n / 128)));
  const out: Array<[number, number]> = [];
  for (let b = 0; b < p; b++) out.push([Math.floor((n * b) / p), Math.floor((n * (b + 1)) / p)]);
  return out;
}

/** Upper triangle (with diagonal) of Y Y^T as an n x n float32 matrix; the lower triangle is unspecified. */
async function gramBlocks(x: Activations, method: RdmMethod | 'gram', sq: Float64Array | null): Promise<Float32Array> {
  const t = transformFor(x, method);
  const { n, d } = x;
  const bw = Math.min(d, BLOCK);
  const y = new Float32Array(n * bw);
  const yt = new Float32Array(bw * n);
  const rows = bands(n);
  const acc: Array<tf.Tensor2D | null> = rows.map(() => null);
  try {
    for (let k0 = 0; k0 < d; k0 += bw) {
      const w = Math.min(bw, d - k0);
      fillBlock(x, t, k0, w, y, yt, sq);
      tf.tidy(() => {
        const a = tf.tensor2d(y.subarray(0, n * w), [n, w]);
        const b = tf.tensor2d(yt.subarray(0, w * n), [w, n]);
        rows.forEach(([r0, r1], i) => {
          const p = tf.matMul(tf.slice(a, [r0, 0], [r1 - r0, w]), tf.slice(b, [0, r0], [w, n - r0]));
          const prev = acc[i];
          acc[i] = tf.keep((prev ? tf.add(prev, p) : p) as tf.Tensor2D);
          prev?.dispose();
        });
      });
    }
    const g = new Float32Array(n * n);
    for (let i = 0; i < rows.length; i++) {
      const [r0, r1] = rows[i];
      const band = (await acc[i]!.data()) as Float32Array; // data(), not dataSync(): GPU backends read back async
      const width = n - r0;
      for (let r = r0; r < r1; r++) g.set(band.subarray((r - r0) * width, (r - r0 + 1) * width), r * n + r0);
    }
    return g;
  } finally {
    for (const a of acc) a?.dispose();
  }
}

export async function createTfjsCompute(name: TfjsBackendName, options: { threads?: number } = {}): Promise<Compute> {
  const init = await initTfjs(name, { threads: options.threads });
  return {
    backend: init.backend,
    details: init.details,
    async rdm(x: Activations, method: RdmMethod): Promise<Float32Array> {
      if (method !== 'correlation' && method !== 'cosine' && method !== 'euclidean') {
        throw new ComputeInputError(`unknown RDM method '${String(method)}'`);
      }
      const sq = method === 'euclidean' ? new Float64Array(x.n) : null;
      const g = await gramBlocks(x, method, sq);
      return finishRdm(g, x, method, sq);
    },
    async centeredGram(x: Activations): Promise<Float64Array> {
      checkShape(x);
      const g = await gramBlocks(x, 'gram', null);
      const n = x.n;
      const out = new Float64Array(n * n);
      // symmetrise from the upper triangle, as the native path does
      for (let i = 0; i < n; i++) {
        out[i * n + i] = g[i * n + i];
        for (let j = i + 1; j < n; j++) out[i * n + j] = out[j * n + i] = g[i * n + j];
      }
      return out;
    },
    async prepare(rdm, n, comparator) {
      return prepareRdm(rdm, n, comparator);
    },
    compare: compareRdms,
    cka: linearCka,
    async dispose() {},
  };
}
