// The tfjs backends (wasm, cpu, webgpu, tensorflow): Y Y^T by tf.matMul over column blocks of the centred / scaled
// activations (built in JS in float32, with Y^T made explicitly: on wasm matMul(a, transpose(b)) is much faster than
// matMul(a, b, false, true)); validation, ranking and comparators are the shared pure ones.
import { checkShape, fillBlock, finishRdm, transformFor } from './activations.ts';
import { compareRdms, linearCka, prepareRdm } from './comparators.ts';
import { initTfjs, tf, type TfjsBackendName } from './tfjs-backend.ts';
import { ComputeInputError, type Activations, type Compute, type RdmMethod } from './types.ts';

/** Columns per matMul block: bounds the JS-side copies to n x BLOCK floats. */
const BLOCK = 4096;

function gramBlocks(x: Activations, method: RdmMethod | 'gram', sq: Float64Array | null): Float32Array {
  const t = transformFor(x, method);
  const { n, d } = x;
  const bw = Math.min(d, BLOCK);
  const y = new Float32Array(n * bw);
  const yt = new Float32Array(bw * n);
  let acc: tf.Tensor2D | null = null;
  for (let k0 = 0; k0 < d; k0 += bw) {
    const w = Math.min(bw, d - k0);
    fillBlock(x, t, k0, w, y, yt, sq);
    const next: tf.Tensor2D = tf.tidy(() => {
      const a = tf.tensor2d(y.subarray(0, n * w), [n, w]);
      const b = tf.tensor2d(yt.subarray(0, w * n), [w, n]);
      const p = tf.matMul(a, b);
      return (acc ? tf.add(acc, p) : p) as tf.Tensor2D;
    });
    acc?.dispose();
    acc = next;
  }
  const g = acc!.dataSync() as Float32Array;
  acc!.dispose();
  return new Float32Array(g);
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
      const g = gramBlocks(x, method, sq);
      return finishRdm(g, x, method, sq);
    },
    async centeredGram(x: Activations): Promise<Float64Array> {
      checkShape(x);
      const g = gramBlocks(x, 'gram', null);
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
