// Shared helpers for the wasm training-kernel tests: seeded data, running a function on one backend, comparing, and
// independent float64 references for convolutions and pools.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { registerWasmTrainingKernels } from '../../services/compute/kernels/index.ts';
import { initTfjs } from '../../services/compute/tfjs-backend.ts';

// TGSAGE_TEST_WASM_THREADS=N runs these tests on a multithreaded wasm backend (a shared-memory heap).
const wasmThreads = Number(process.env['TGSAGE_TEST_WASM_THREADS'] ?? 0);
if (wasmThreads > 1) await initTfjs('wasm', { threads: wasmThreads });
export const kernels = registerWasmTrainingKernels();

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(n: number, rand: () => number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rand() * 2 - 1;
  return a;
}

/** Runs f on a backend with fresh tensors; returns the outputs' data. Asserts no tensor leaks. */
export async function runOn(backend: 'cpu' | 'wasm', f: () => tf.Tensor[]): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend), `backend ${backend}`);
  await tf.ready();
  const before = tf.memory().numTensors;
  const outs = tf.tidy(f);
  const data = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, before, `${backend}: leaked tensors`);
  return data;
}

/** max |a - b| <= tol * max(1, max |b|). */
export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-4): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let maxDiff = 0, maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= maxDiff)) maxDiff = d; // catches NaN
    maxAbs = Math.max(maxAbs, Math.abs(b[i]!));
  }
  assert.ok(maxDiff <= tol * Math.max(1, maxAbs), `${what}: max abs diff ${maxDiff} (scale ${maxAbs})`);
}

export interface Geometry {
  n: number; h: number; w: number; ci: number; kh: number; kw: number; co: number;
  oh: number; ow: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
}

export function convGeometry(xShape: number[], fShape: number[], strides: number | [number, number],
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]],
  dilations: number | [number, number], depthwise = false): Geometry {
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
    fShape as [number, number, number, number], strides, dilations, pad, undefined, depthwise);
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, ci: info.inChannels, kh: info.filterHeight,
    kw: info.filterWidth, co: depthwise ? fShape[3]! : info.outChannels, oh: info.outHeight, ow: info.outWidth,
    sh: info.strideHeight, sw: info.strideWidth, dh: info.dilationHeight, dw: info.dilationWidth,
    pt: info.padInfo.top, pl: info.padInfo.left,
  };
}

function taps(g: Geometry, visit: (o: number, p: number, tap: number) => void): void {
  for (let n = 0; n < g.n; n++)
    for (let oh = 0; oh < g.oh; oh++)
      for (let ow = 0; ow < g.ow; ow++)
        for (let i = 0; i < g.kh; i++) {
          const ih = oh * g.sh + i * g.dh - g.pt;
          if (ih < 0 || ih >= g.h) continue;
          for (let j = 0; j < g.kw; j++) {
            const iw = ow * g.sw + j * g.dw - g.pl;
            if (iw >= 0 && iw < g.w) visit((n * g.oh + oh) * g.ow + ow, (n * g.h + ih) * g.w + iw, i * g.kw + j);
          }
        }
}

/** float64 conv forward and both gradients of sum(y * dy). */
export function refConv(x: Float32Array, f: Float32Array, dy: Float32Array, g: Geometry) {
  const { ci, co } = g;
  const y = new Float64Array(g.n * g.oh * g.ow * co);
  const dx = new Float64Array(x.length), df = new Float64Array(f.length);
  taps(g, (o, p, tap) => {
    for (let c = 0; c < ci; c++)
      for (let k = 0; k < co; k++) {
        const fi = (tap * ci + c) * co + k;
        y[o * co + k]! += x[p * ci + c]! * f[fi]!;
        dx[p * ci + c]! += dy[o * co + k]! * f[fi]!;
        df[fi]! += dy[o * co + k]! * x[p * ci + c]!;
      }
  });
  return { y, dx, df };
}

/** float64 depthwise conv (filter [kh, kw, C, M]) forward and gradients. */
export function refDepthwise(x: Float32Array, f: Float32Array, dy: Float32Array, g: Geometry) {
  const C = g.ci, M = g.co;
  const y = new Float64Array(g.n * g.oh * g.ow * C * M);
  const dx = new Float64Array(x.length), df = new Float64Array(f.length);
  taps(g, (o, p, tap) => {
    for (let c = 0; c < C; c++)
      for (let m = 0; m < M; m++) {
        const fi = (tap * C + c) * M + m, yi = o * C * M + c * M + m;
        y[yi]! += x[p * C + c]! * f[fi]!;
        dx[p * C + c]! += dy[yi]! * f[fi]!;
        df[fi]! += dy[yi]! * x[p * C + c]!;
      }
  });
  return { y, dx, df };
}

/** float64 gradient of avgPool (mean over in-bounds pixels) and of maxPool (first maximum). */
export function refPoolGrads(x: Float32Array, dy: Float32Array, g: Geometry) {
  const C = g.ci;
  const avg = new Float64Array(x.length), max = new Float64Array(x.length);
  for (let n = 0; n < g.n; n++)
    for (let oh = 0; oh < g.oh; oh++)
      for (let ow = 0; ow < g.ow; ow++) {
        const cells: number[] = [];
        for (let i = 0; i < g.kh; i++)
          for (let j = 0; j < g.kw; j++) {
            const ih = oh * g.sh + i - g.pt, iw = ow * g.sw + j - g.pl;
            if (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) cells.push((n * g.h + ih) * g.w + iw);
          }
        const o = (n * g.oh + oh) * g.ow + ow;
        for (let c = 0; c < C; c++) {
          let best = -Infinity, at = -1;
          for (const p of cells) {
            avg[p * C + c]! += dy[o * C + c]! / cells.length;
            if (x[p * C + c]! > best) { best = x[p * C + c]!; at = p; }
          }
          if (at >= 0) max[at * C + c]! += dy[o * C + c]!;
        }
      }
  return { avg, max };
}
