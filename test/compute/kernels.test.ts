// Each wasm training kernel against an independent float64 reference and against tfjs's cpu backend.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGradViaConv, conv2dInputGradViaConv } from '../../services/compute/kernels/filter-grad-via-conv.ts';
import { jsTrainingMath, type TrainingMath } from '../../services/compute/kernels/impl.ts';
import { loadNativeTrainingMath } from '../../services/compute/kernels/native.ts';
import {
  assertClose, convGeometry, kernels, randomArray, refConv, refDepthwise, refPoolGrads, rng, runOn, type Geometry,
} from './kernels-helpers.ts';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase { x: [number, number, number, number]; k: [number, number]; co: number; s: number | [number, number];
  pad: Pad; d: number | [number, number] }

const convCases: ConvCase[] = [
  { x: [2, 8, 8, 3], k: [3, 3], co: 4, s: 1, pad: 'same', d: 1 },
  { x: [3, 9, 11, 2], k: [3, 3], co: 5, s: 2, pad: 'same', d: 1 },
  { x: [2, 9, 11, 3], k: [3, 3], co: 4, s: 2, pad: 'valid', d: 1 },
  { x: [2, 7, 7, 5], k: [1, 1], co: 6, s: 1, pad: 'valid', d: 1 },
  { x: [2, 7, 9, 4], k: [1, 1], co: 3, s: 2, pad: 'same', d: 1 },
  { x: [2, 10, 10, 3], k: [5, 5], co: 4, s: 1, pad: 'same', d: 1 },
  { x: [2, 13, 12, 2], k: [7, 7], co: 3, s: 2, pad: 'same', d: 1 },
  { x: [2, 9, 9, 4], k: [1, 7], co: 4, s: 1, pad: 'same', d: 1 },
  { x: [2, 9, 9, 4], k: [7, 1], co: 4, s: 1, pad: 'same', d: 1 },
  { x: [2, 8, 9, 3], k: [3, 3], co: 2, s: 1, pad: [[0, 0], [2, 0], [1, 3], [0, 0]], d: 1 },
  { x: [2, 10, 10, 3], k: [3, 3], co: 4, s: 1, pad: 'same', d: 2 },
  { x: [2, 11, 12, 2], k: [3, 3], co: 3, s: 1, pad: 'valid', d: [2, 3] },
];

const shapeOf = (g: Geometry, c: number): [number, number, number, number] => [g.n, g.oh, g.ow, c];

describe('wasm conv2d kernels (forward, input and filter gradients)', () => {
  it('uses the native math when the addon is built', () => {
    assert.ok(kernels.math === 'native' || kernels.math === 'js');
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'MaxPoolGrad', 'AvgPoolGrad']) {
      assert.ok(kernels.kernels.includes(k), k);
    }
  });

  for (const [i, c] of convCases.entries()) {
    it(`case ${i}: x ${c.x} k ${c.k} co ${c.co} s ${c.s} pad ${JSON.stringify(c.pad)} d ${c.d}`, async () => {
      const rand = rng(100 + i);
      const fShape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.co];
      const g = convGeometry(c.x, fShape, c.s, c.pad, c.d);
      const x = randomArray(c.x.reduce((a, b) => a * b), rand);
      const f = randomArray(fShape.reduce((a, b) => a * b), rand);
      const dy = randomArray(g.n * g.oh * g.ow * c.co, rand);
      const bias = randomArray(c.co, rand);
      const ref = refConv(x, f, dy, g);
      for (const backend of ['wasm', 'cpu'] as const) {
        const [y, dx, df] = await runOn(backend, () => {
          const xt = tf.tensor4d(x, c.x), ft = tf.tensor4d(f, fShape), dyt = tf.tensor4d(dy, shapeOf(g, c.co));
          const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(a, b, c.s, c.pad, 'NHWC', c.d), dyt));
          const [gx, gf] = tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([xt, ft]);
          return [tf.conv2d(xt, ft, c.s, c.pad, 'NHWC', c.d), gx!, gf!];
        });
        assertClose(y!, ref.y, `${backend} y`);
        assertClose(dx!, ref.dx, `${backend} dx`);
        assertClose(df!, ref.df, `${backend} dfilter`);
      }
      // The no-addon Conv2DBackpropFilter (through wasm's XNNPACK Conv2D), exercised here whichever math is in use.
      const [viaConv, viaConvDx] = await runOn('wasm', () => {
        const xt = tf.tensor4d(x, c.x), dyt = tf.tensor4d(dy, shapeOf(g, c.co));
        const ft = tf.tensor4d(f, fShape);
        const b = tf.backend() as BackendWasm;
        return [conv2dFilterGradViaConv(b, xt, dyt, g), conv2dInputGradViaConv(b, dyt, ft, g)]
          .map((info) => tf.engine().makeTensorFromTensorInfo(info));
      });
      assertClose(viaConv!, ref.df, 'dfilter via XNNPACK conv');
      assertClose(viaConvDx!, ref.dx, 'dx via XNNPACK conv');
      if (c.d !== 1) return; // tf.fused.conv2d's own gradient refuses dilation
      // The fused path (tf.layers.conv2d trains through it): bias + relu forward, custom gradient.
      const [wasm, cpu] = [await fusedRun('wasm'), await fusedRun('cpu')];
      wasm.forEach((v, j) => assertClose(v, cpu[j]!, `fused output ${j}`));
      async function fusedRun(backend: 'wasm' | 'cpu') {
        return runOn(backend, () => {
          const xt = tf.tensor4d(x, c.x), ft = tf.tensor4d(f, fShape), bt = tf.tensor1d(bias);
          const dyt = tf.tensor4d(dy, shapeOf(g, c.co));
          const fwd = (a: tf.Tensor4D, b: tf.Tensor4D, bb: tf.Tensor1D) =>
            tf.fused.conv2d({ x: a, filter: b, strides: c.s, pad: c.pad, bias: bb, activation: 'relu' });
          const loss = (a: tf.Tensor4D, b: tf.Tensor4D, bb: tf.Tensor1D) => tf.sum(tf.mul(fwd(a, b, bb), dyt));
          const grads = tf.grads(loss as (...t: tf.Tensor[]) => tf.Tensor)([xt, ft, bt]);
          return [fwd(xt, ft, bt), ...grads];
        });
      }
    });
  }
});

describe('wasm depthwise conv gradients', () => {
  const cases: { x: [number, number, number, number]; k: number; m: number; s: number; pad: 'same' | 'valid';
    d: number }[] = [
    { x: [2, 8, 8, 3], k: 3, m: 1, s: 1, pad: 'same', d: 1 },
    { x: [2, 9, 11, 4], k: 3, m: 2, s: 2, pad: 'same', d: 1 },
    { x: [2, 11, 10, 2], k: 5, m: 1, s: 1, pad: 'valid', d: 1 },
    { x: [2, 9, 9, 3], k: 7, m: 1, s: 2, pad: 'same', d: 1 },
    { x: [2, 10, 10, 3], k: 3, m: 1, s: 1, pad: 'same', d: 2 },
  ];
  for (const [i, c] of cases.entries()) {
    it(`case ${i}: x ${c.x} k ${c.k} m ${c.m} s ${c.s} ${c.pad} d ${c.d}`, async () => {
      const rand = rng(200 + i);
      const fShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.m];
      const g = convGeometry(c.x, fShape, c.s, c.pad, c.d, true);
      const x = randomArray(c.x.reduce((a, b) => a * b), rand);
      const f = randomArray(fShape.reduce((a, b) => a * b), rand);
      const dy = randomArray(g.n * g.oh * g.ow * c.x[3] * c.m, rand);
      const ref = refDepthwise(x, f, dy, g);
      for (const backend of ['wasm', 'cpu'] as const) {
        const [y, dx, df] = await runOn(backend, () => {
          const xt = tf.tensor4d(x, c.x), ft = tf.tensor4d(f, fShape);
          const dyt = tf.tensor4d(dy, shapeOf(g, c.x[3] * c.m));
          const fwd = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.depthwiseConv2d(a, b, c.s, c.pad, 'NHWC', c.d);
          const [gx, gf] = tf.grads(((a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.mul(fwd(a, b), dyt))) as
            (...t: tf.Tensor[]) => tf.Tensor)([xt, ft]);
          return [fwd(xt, ft), gx!, gf!];
        });
        assertClose(y!, ref.y, `${backend} y`);
        assertClose(dx!, ref.dx, `${backend} dx`);
        assertClose(df!, ref.df, `${backend} dfilter`);
      }
    });
  }
});

describe('wasm pooling gradients', () => {
  const cases: { x: [number, number, number, number]; k: number; s: number; pad: 'same' | 'valid' }[] = [
    { x: [2, 8, 8, 3], k: 2, s: 2, pad: 'valid' },
    { x: [2, 9, 11, 3], k: 2, s: 2, pad: 'valid' },
    { x: [2, 9, 7, 4], k: 2, s: 2, pad: 'same' },
    { x: [2, 7, 9, 3], k: 3, s: 1, pad: 'same' },
    { x: [2, 9, 9, 2], k: 3, s: 2, pad: 'same' },
    { x: [2, 9, 10, 3], k: 3, s: 2, pad: 'valid' },
  ];
  for (const [i, c] of cases.entries()) {
    it(`case ${i}: x ${c.x} pool ${c.k} s ${c.s} ${c.pad}`, async () => {
      const rand = rng(300 + i);
      const g = convGeometry(c.x, [c.k, c.k, c.x[3], c.x[3]], c.s, c.pad, 1, true);
      // Rounded values make ties in max windows, as after a relu.
      const x = randomArray(c.x.reduce((a, b) => a * b), rand).map((v) => Math.max(0, Math.round(v * 4) / 4));
      const dy = randomArray(g.n * g.oh * g.ow * c.x[3], rand);
      const ref = refPoolGrads(x, dy, g);
      const run = (backend: 'wasm' | 'cpu') => runOn(backend, () => {
        const xt = tf.tensor4d(x, c.x), dyt = tf.tensor4d(dy, shapeOf(g, c.x[3]));
        const gMax = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, c.k, c.s, c.pad), dyt)))(xt);
        const gAvg = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, c.k, c.s, c.pad), dyt)))(xt);
        return [gMax, gAvg];
      });
      const [wMax, wAvg] = await run('wasm');
      const [cMax, cAvg] = await run('cpu');
      assertClose(wMax!, ref.max, 'wasm max');
      assertClose(cMax!, ref.max, 'cpu max');
      assertClose(wAvg!, ref.avg, 'wasm avg');
      // tfjs's own avgPool gradient divides by the full window even where the forward pass averaged fewer pixels
      // ('same' padding); so it matches the exact gradient only without padding.
      if (c.pad === 'valid') assertClose(cAvg!, ref.avg, 'cpu avg');
    });
  }
});

describe('wasm matmul kernels', () => {
  it('matMul with transposes, batches and fused bias + relu match cpu', async () => {
    const rand = rng(400);
    const a = randomArray(3 * 5 * 7, rand), b = randomArray(3 * 7 * 4, rand), bias = randomArray(4, rand);
    const run = (backend: 'wasm' | 'cpu') => runOn(backend, () => {
      const out: tf.Tensor[] = [];
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const at = tf.tensor2d(a.subarray(0, 35), ta ? [7, 5] : [5, 7]);
        const bt = tf.tensor2d(b.subarray(0, 28), tb ? [4, 7] : [7, 4]);
        out.push(tf.matMul(at, bt, ta, tb));
        out.push(...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.matMul(p, q, ta, tb))))([at, bt]));
      }
      out.push(tf.matMul(tf.tensor3d(a, [3, 5, 7]), tf.tensor3d(b, [3, 7, 4])));
      out.push(tf.matMul(tf.tensor3d(a, [3, 5, 7]), tf.tensor3d(b.subarray(0, 28), [1, 7, 4])));
      out.push(tf.fused.matMul({ a: tf.tensor2d(a.subarray(0, 35), [5, 7]), b: tf.tensor2d(b.subarray(0, 28), [7, 4]),
        bias: tf.tensor1d(bias), activation: 'relu' }));
      return out;
    });
    const w = await run('wasm'), c = await run('cpu');
    w.forEach((v, i) => assertClose(v, c[i]!, `output ${i}`));
  });
});

describe('native and JS training math agree (plain heap)', () => {
  const native = loadNativeTrainingMath();
  it('on conv, depthwise and pool gradients', { skip: native ? false : 'native addon not built' }, () => {
    const js = jsTrainingMath();
    const rand = rng(500);
    const g = convGeometry([2, 9, 8, 3], [3, 3, 3, 4], 2, 'same', 1);
    const gd = convGeometry([2, 9, 8, 3], [3, 3, 3, 2], 1, 'same', 2, true);
    const gp = convGeometry([2, 9, 8, 3], [3, 3, 3, 3], 2, 'same', 1, true);
    const heap = new Float32Array(1 << 16);
    heap.set(randomArray(8192, rand), 0); // inputs live in the first 8192 floats; outputs start at byte 65536
    const run = (m: TrainingMath) => {
      const outs: Float32Array[] = [];
      const take = (n: number) => { outs.push(heap.slice(16384, 16384 + n)); heap.fill(0, 16384); };
      m.conv2dFilterGrad(heap, 0, 4096, 65536, g); take(3 * 3 * 3 * 4);
      m.conv2dInputGrad(heap, 4096, 0, 65536, g); take(2 * 9 * 8 * 3);
      m.depthwiseFilterGrad(heap, 0, 4096, 65536, gd); take(3 * 3 * 3 * 2);
      m.depthwiseInputGrad(heap, 4096, 0, 65536, gd); take(2 * 9 * 8 * 3);
      m.maxPoolGrad(heap, 0, 4096, 65536, gp); take(2 * 9 * 8 * 3);
      m.avgPoolGrad(heap, 4096, 65536, gp); take(2 * 9 * 8 * 3);
      return outs;
    };
    const a = run(native!), b = run(js);
    a.forEach((v, i) => assertClose(v, b[i]!, `function ${i}`));
  });
});

describe('wasm elementwise and reduction kernels', () => {
  it('Sum / Mean over leading axes, Tile, Identity, Cast and batch norm match cpu', async () => {
    const rand = rng(600);
    const x = randomArray(3 * 5 * 4 * 6, rand);
    const stats = [randomArray(6, rand), randomArray(6, rand).map((v) => v + 1.5), randomArray(6, rand),
      randomArray(6, rand)] as const;
    const run = (backend: 'wasm' | 'cpu') => runOn(backend, () => {
      const t = tf.tensor4d(x, [3, 5, 4, 6]);
      const [mean, variance, offset, scale] = stats.map((s) => tf.tensor1d(s)) as [tf.Tensor1D, tf.Tensor1D,
        tf.Tensor1D, tf.Tensor1D];
      return [
        tf.sum(t, [0, 1, 2]), tf.sum(t, [0]), tf.sum(t, [1, 0], true), tf.sum(t), tf.sum(t, [3]), tf.sum(t, [1, 2]),
        tf.mean(t, [0, 1, 2], true), tf.mean(t), tf.mean(t, [2]),
        tf.tile(tf.reshape(mean, [1, 1, 1, 6]), [2, 3, 4, 1]), tf.tile(t, [1, 2, 1, 2]),
        tf.cast(tf.tile(tf.tensor1d([1, 2, 3], 'int32'), [3]), 'float32'),
        tf.clone(t), tf.cast(t, 'float32'), tf.cast(tf.cast(t, 'int32'), 'float32'),
        tf.batchNorm(t, mean, variance, offset, scale, 0.001), tf.batchNorm(t, mean, variance, undefined, undefined, 0.01),
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, [0, 1, 2]), tf.tensor1d([1, 2, 3, 4, 5, 6]))))(t),
      ];
    });
    const w = await run('wasm'), c = await run('cpu');
    assert.equal(w.length, c.length);
    w.forEach((v, i) => assertClose(v, c[i]!, `output ${i}`));
    // Our Mean gradient (used on every backend) against its closed form: d/dx of sum_c w_c mean(x[..., c]).
    const expected = Array.from({ length: x.length }, (_, i) => ((i % 6) + 1) / (3 * 5 * 4));
    assertClose(w[w.length - 1]!, expected, 'mean gradient vs closed form');
    assertClose(c[c.length - 1]!, expected, 'mean gradient (cpu) vs closed form');
  });
});

describe('batch-norm gradients', () => {
  it('match a float64 reference on wasm (one-pass kernel) and cpu (broadcast ops)', async () => {
    const rand = rng(700);
    const [R, C] = [3 * 4 * 5, 6];
    const x = randomArray(R * C, rand), dy = randomArray(R * C, rand);
    const mean = randomArray(C, rand), variance = randomArray(C, rand).map((v) => v + 1.5);
    const offset = randomArray(C, rand), scale = randomArray(C, rand);
    const eps = 0.001;
    const ref = { dx: new Float64Array(R * C), mean: new Float64Array(C), variance: new Float64Array(C),
      offset: new Float64Array(C), scale: new Float64Array(C) };
    for (let i = 0; i < R * C; i++) {
      const c = i % C, s = 1 / Math.sqrt(variance[c]! + eps), d = dy[i]!, xm = x[i]! - mean[c]!;
      ref.dx[i] = d * scale[c]! * s;
      ref.mean[c]! -= d * scale[c]! * s;
      ref.variance[c]! += d * scale[c]! * xm * -0.5 * s * s * s;
      ref.scale[c]! += d * xm * s;
      ref.offset[c]! += d;
    }
    for (const backend of ['wasm', 'cpu'] as const) {
      const out = await runOn(backend, () => {
        const args = [tf.tensor4d(x, [3, 4, 5, C]), tf.tensor1d(mean), tf.tensor1d(variance), tf.tensor1d(offset),
          tf.tensor1d(scale)];
        const dyt = tf.tensor4d(dy, [3, 4, 5, C]);
        return tf.grads(((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
          tf.sum(tf.mul(tf.batchNorm(a, m, v, o, s, eps), dyt))) as (...t: tf.Tensor[]) => tf.Tensor)(args);
      });
      [ref.dx, ref.mean, ref.variance, ref.offset, ref.scale].forEach((r, i) =>
        assertClose(out[i]!, r, `${backend} gradient ${i}`));
    }
  });
});
