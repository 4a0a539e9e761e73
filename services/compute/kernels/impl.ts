// The arithmetic behind our wasm training kernels, as one interface with two implementations: the native addon
// (OpenBLAS on the wasm heap, native/src/wasmconv.c) and a plain-JS fallback with the same signatures, used when the
// addon is not built. Every function reads and writes tensors in place on the wasm heap (byte offsets into `heap`).

/** Geometry of a 2-D convolution, NHWC activations, [KH, KW, CI, CO] filters (depthwise: CI = C, CO = M). */
export interface ConvGeometry {
  n: number; h: number; w: number; ci: number;
  kh: number; kw: number; co: number;
  oh: number; ow: number;
  sh: number; sw: number; dh: number; dw: number;
  pt: number; pl: number;
}

export interface TrainingMath {
  readonly name: 'native' | 'js';
  /** y = conv(x, w) (+ bias) (relu); bias -1 = none. Only the native implementation provides it. */
  conv2d?(heap: Float32Array, x: number, w: number, y: number, bias: number, relu: boolean, g: ConvGeometry): void;
  /** C = op(A) op(B) (+ bias) (relu), batched; a batch of 1 broadcasts. Native only. */
  matmul?(heap: Float32Array, a: number, b: number, c: number, bias: number, relu: boolean, batchA: number,
    batchB: number, m: number, k: number, n: number, transA: boolean, transB: boolean): void;
  /** Tiles a 4-byte-element tensor (shapes and reps of rank <= 6). Native only. */
  tile?(heap: Float32Array, x: number, out: number, shape: number[], reps: number[]): void;
  /** out[c] = sum (mean) over rows r of x[r, c]. Native only. */
  reduceRows?(heap: Float32Array, x: number, out: number, rows: number, cols: number, mean: boolean): void;
  /** out[r, c] = (x[r, c] - mean[c]) * mul[c] + shift[c]; coeffs = [mean, mul, shift] (3C floats). */
  affineChannels(heap: Float32Array, coeffs: Float32Array, x: number, out: number, rows: number, c: number): void;
  /** dx = dy * rs; sums[c] = sum dy, sums[C + c] = sum dy * (x - mean); coeffs = [mean, rs]. Native only. */
  batchNormGrad?(heap: Float32Array, coeffs: Float32Array, sums: Float64Array, x: number, dy: number, dx: number,
    rows: number): void;
  conv2dFilterGrad(heap: Float32Array, x: number, dy: number, dw: number, g: ConvGeometry): void;
  conv2dInputGrad(heap: Float32Array, dy: number, w: number, dx: number, g: ConvGeometry): void;
  depthwiseFilterGrad(heap: Float32Array, x: number, dy: number, dw: number, g: ConvGeometry): void;
  depthwiseInputGrad(heap: Float32Array, dy: number, w: number, dx: number, g: ConvGeometry): void;
  /** Pools use ConvGeometry with ci = channels (co, dilations unused). dy goes to each window's first maximum. */
  maxPoolGrad(heap: Float32Array, x: number, dy: number, dx: number, g: ConvGeometry): void;
  /** Exact gradient of tfjs's avgPool, which averages over in-bounds pixels only (padding excluded). */
  avgPoolGrad(heap: Float32Array, dy: number, dx: number, g: ConvGeometry): void;
}

export function geometryArgs(g: ConvGeometry): number[] {
  return [g.n, g.h, g.w, g.ci, g.kh, g.kw, g.co, g.oh, g.ow, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl];
}

/** Visits every (output pixel, filter tap) pair that reads an in-bounds input pixel. */
function forEachTap(g: ConvGeometry, visit: (outBase: number, inBase: number, tap: number) => void): void {
  for (let n = 0; n < g.n; n++) {
    for (let oh = 0; oh < g.oh; oh++) {
      for (let ow = 0; ow < g.ow; ow++) {
        const outPixel = (n * g.oh + oh) * g.ow + ow;
        for (let i = 0; i < g.kh; i++) {
          const ih = oh * g.sh + i * g.dh - g.pt;
          if (ih < 0 || ih >= g.h) continue;
          for (let j = 0; j < g.kw; j++) {
            const iw = ow * g.sw + j * g.dw - g.pl;
            if (iw < 0 || iw >= g.w) continue;
            visit(outPixel, (n * g.h + ih) * g.w + iw, i * g.kw + j);
          }
        }
      }
    }
  }
}

/** Plain-JS loops; correct but slow (about 1 GFLOP/s). */
export function jsTrainingMath(): TrainingMath {
  return {
    name: 'js',
    affineChannels(heap, coeffs, x, out, rows, c) {
      const xo = x >> 2, yo = out >> 2;
      for (let r = 0; r < rows; r++) {
        const b = r * c;
        for (let k = 0; k < c; k++) heap[yo + b + k] = (heap[xo + b + k]! - coeffs[k]!) * coeffs[c + k]! + coeffs[2 * c + k]!;
      }
    },
    conv2dFilterGrad(heap, x, dy, dw, g) {
      const { ci, co } = g;
      const out = heap.subarray(dw >> 2, (dw >> 2) + g.kh * g.kw * ci * co).fill(0);
      const xb = x >> 2, gb = dy >> 2;
      forEachTap(g, (o, p, tap) => {
        const gOff = gb + o * co, xOff = xb + p * ci, wOff = tap * ci * co;
        for (let c = 0; c < ci; c++) {
          const xv = heap[xOff + c]!;
          const row = wOff + c * co;
          for (let k = 0; k < co; k++) out[row + k]! += xv * heap[gOff + k]!;
        }
      });
    },
    conv2dInputGrad(heap, dy, w, dx, g) {
      const { ci, co } = g;
      const out = heap.subarray(dx >> 2, (dx >> 2) + g.n * g.h * g.w * ci).fill(0);
      const wb = w >> 2, gb = dy >> 2;
      forEachTap(g, (o, p, tap) => {
        const gOff = gb + o * co, wOff = wb + tap * ci * co;
        for (let c = 0; c < ci; c++) {
          let s = 0;
          const row = wOff + c * co;
          for (let k = 0; k < co; k++) s += heap[row + k]! * heap[gOff + k]!;
          out[p * ci + c]! += s;
        }
      });
    },
    depthwiseFilterGrad(heap, x, dy, dw, g) {
      const C = g.ci, M = g.co;
      const out = heap.subarray(dw >> 2, (dw >> 2) + g.kh * g.kw * C * M).fill(0);
      const xb = x >> 2, gb = dy >> 2;
      forEachTap(g, (o, p, tap) => {
        const gOff = gb + o * C * M, xOff = xb + p * C, wOff = tap * C * M;
        for (let c = 0; c < C; c++) {
          const xv = heap[xOff + c]!;
          for (let m = 0; m < M; m++) out[wOff + c * M + m]! += xv * heap[gOff + c * M + m]!;
        }
      });
    },
    depthwiseInputGrad(heap, dy, w, dx, g) {
      const C = g.ci, M = g.co;
      const out = heap.subarray(dx >> 2, (dx >> 2) + g.n * g.h * g.w * C).fill(0);
      const wb = w >> 2, gb = dy >> 2;
      forEachTap(g, (o, p, tap) => {
        const gOff = gb + o * C * M, wOff = wb + tap * C * M;
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let m = 0; m < M; m++) s += heap[wOff + c * M + m]! * heap[gOff + c * M + m]!;
          out[p * C + c]! += s;
        }
      });
    },
    maxPoolGrad(heap, x, dy, dx, g) {
      const C = g.ci;
      const out = heap.subarray(dx >> 2, (dx >> 2) + g.n * g.h * g.w * C).fill(0);
      const best = new Float32Array(C), idx = new Int32Array(C);
      const xb = x >> 2, gb = dy >> 2;
      for (let n = 0; n < g.n; n++) {
        for (let oh = 0; oh < g.oh; oh++) {
          for (let ow = 0; ow < g.ow; ow++) {
            best.fill(-Infinity);
            idx.fill(-1);
            for (let i = 0; i < g.kh; i++) {
              const ih = oh * g.sh + i - g.pt;
              if (ih < 0 || ih >= g.h) continue;
              for (let j = 0; j < g.kw; j++) {
                const iw = ow * g.sw + j - g.pl;
                if (iw < 0 || iw >= g.w) continue;
                const p = (n * g.h + ih) * g.w + iw;
                for (let c = 0; c < C; c++) {
                  const v = heap[xb + p * C + c]!;
                  if (v > best[c]!) { best[c] = v; idx[c] = p; }
                }
              }
            }
            const o = gb + ((n * g.oh + oh) * g.ow + ow) * C;
            for (let c = 0; c < C; c++) if (idx[c]! >= 0) out[idx[c]! * C + c]! += heap[o + c]!;
          }
        }
      }
    },
    avgPoolGrad(heap, dy, dx, g) {
      const C = g.ci;
      const out = heap.subarray(dx >> 2, (dx >> 2) + g.n * g.h * g.w * C).fill(0);
      const gb = dy >> 2;
      for (let n = 0; n < g.n; n++) {
        for (let oh = 0; oh < g.oh; oh++) {
          const h0 = oh * g.sh - g.pt, hs = Math.max(h0, 0), he = Math.min(h0 + g.kh, g.h);
          for (let ow = 0; ow < g.ow; ow++) {
            const w0 = ow * g.sw - g.pl, ws = Math.max(w0, 0), we = Math.min(w0 + g.kw, g.w);
            const count = (he - hs) * (we - ws);
            if (count <= 0) continue;
            const scale = Math.fround(1 / count);
            const o = gb + ((n * g.oh + oh) * g.ow + ow) * C;
            for (let ih = hs; ih < he; ih++) {
              for (let iw = ws; iw < we; iw++) {
                const d = ((n * g.h + ih) * g.w + iw) * C;
                for (let c = 0; c < C; c++) out[d + c]! += heap[o + c]! * scale;
              }
            }
          }
        }
      }
    },
  };
}
