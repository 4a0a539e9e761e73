// The native addons check every offset and length they are given before any work: hostile ones (past the end,
// negative, misaligned, not integers, dims whose sizes overflow, indices inside the arrays) throw a RangeError that
// names the argument, the heap is left untouched, and the process carries on.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { ConvGeometry } from '../../services/compute/kernels/impl.ts';
import { loadNativeTrainingMath } from '../../services/compute/kernels/native.ts';
import { BLAS_ADDON_PATH, loadBlasAddon } from '../../services/compute/blas.ts';
import { bootstrapAddon } from '../../services/scorer/bootstrap.ts';

const HEAP_FLOATS = 4096; // 16 KiB
const BIG = 2 ** 31 - 1; // the largest dim accepted: four of them overflow int64

// 1 image 4x4x2, 3x3 filter to 3 channels, 'same', stride 1: x 32 floats, w 54, y 48.
const g: ConvGeometry = { n: 1, h: 4, w: 4, ci: 2, kh: 3, kw: 3, co: 3, oh: 4, ow: 4, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1,
  pl: 1 };
const X = 0, W = 1024, Y = 2048, BIAS = 3072; // byte offsets

/** A heap filled with a pattern, and a check that a call left it exactly as it was. */
function patternHeap(): { heap: Float32Array; untouched(): void } {
  const heap = new Float32Array(HEAP_FLOATS);
  for (let i = 0; i < heap.length; i++) heap[i] = (i % 97) / 97 - 0.5;
  const copy = heap.slice();
  return { heap, untouched: () => assert.deepEqual(heap, copy, 'the heap changed') };
}

function rangeError(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (err: unknown) => err instanceof RangeError && pattern.test(err.message),
    `expected a RangeError matching ${pattern}`);
}

const native = loadNativeTrainingMath();
describe('wasmconv: hostile offsets and dims', { skip: native ? false : 'native addon not built' }, () => {
  const m = native!;

  it('computes the valid call these cases start from', () => {
    const { heap } = patternHeap();
    m.conv2d!(heap, X, W, Y, BIAS, true, g);
    const y = heap.subarray(Y >> 2, (Y >> 2) + 48);
    assert.ok(y.some((v) => v !== 0) && y.every((v) => v >= 0), 'relu output');
  });

  const cases: [string, (heap: Float32Array) => void, RegExp][] = [
    ['y past the end', (h) => m.conv2d!(h, X, W, HEAP_FLOATS * 4 - 4, -1, false, g), /conv2d: y: bytes \[16380, 16380 \+ 192\) lie outside the heap \(16384 bytes\)/],
    ['x negative', (h) => m.conv2d!(h, -4, W, Y, -1, false, g), /conv2d: x: offset -4 is negative/],
    ['w misaligned', (h) => m.conv2d!(h, X, W + 2, Y, -1, false, g), /conv2d: w: offset 1026 is not a multiple of 4/],
    ['bias past the end', (h) => m.conv2d!(h, X, W, Y, HEAP_FLOATS * 4, false, g), /conv2d: bias: bytes/],
    ['bias negative but not -1', (h) => m.conv2d!(h, X, W, Y, -8, false, g), /conv2d: bias: offset -8 is negative/],
    ['offset not an integer', (h) => m.conv2d!(h, 4.5, W, Y, -1, false, g), /conv2d: x must be an integer \(got 4\.5\)/],
    ['offset NaN', (h) => m.conv2d!(h, NaN, W, Y, -1, false, g), /conv2d: x must be an integer/],
    ['offset beyond 2^53', (h) => m.conv2d!(h, 2 ** 60, W, Y, -1, false, g), /conv2d: x must be an integer/],
    ['zero batch', (h) => m.conv2d!(h, X, W, Y, -1, false, { ...g, n: 0 }), /conv2d: g\.n must be in \[1, 2147483647\] \(got 0\)/],
    ['negative width', (h) => m.conv2dFilterGrad(h, X, Y, W, { ...g, w: -3 }), /conv2dFilterGrad: g\.w must be in \[1,/],
    ['zero stride', (h) => m.conv2dInputGrad(h, Y, W, X, { ...g, sh: 0 }), /conv2dInputGrad: g\.sh must be in \[1,/],
    ['negative pad', (h) => m.conv2dInputGrad(h, Y, W, X, { ...g, pt: -1 }), /conv2dInputGrad: g\.pt must be in \[0,/],
    ['a dim beyond int32', (h) => m.conv2d!(h, X, W, Y, -1, false, { ...g, co: 2 ** 40 }), /conv2d: g\.co must be in/],
    ['dims whose size overflows int64', (h) => m.conv2d!(h, X, W, Y, -1, false,
      { ...g, n: BIG, h: BIG, w: BIG, ci: BIG }), /conv2d: the size of x overflows/],
    ['huge dims that fit int64 but not the heap', (h) => m.conv2dFilterGrad(h, X, Y, W, { ...g, n: BIG }),
      /conv2dFilterGrad: x: bytes .* lie outside the heap/],
    ['depthwise dy too long', (h) => m.depthwiseFilterGrad(h, X, Y, W, { ...g, co: 200 }), /depthwiseFilterGrad: dy: bytes/],
    ['depthwise dx past the end', (h) => m.depthwiseInputGrad(h, Y, W, HEAP_FLOATS * 4 - 64, g), /depthwiseInputGrad: dx: bytes/],
    ['max pool dx past the end', (h) => m.maxPoolGrad(h, X, Y, 1 << 20, { ...g, co: 2 }), /maxPoolGrad: dx: bytes/],
    ['avg pool dy negative', (h) => m.avgPoolGrad(h, -1024, X, g), /avgPoolGrad: dy: offset -1024 is negative/],
    ['matmul batches 3 and 2', (h) => m.matmul!(h, X, W, Y, -1, false, 3, 2, 2, 2, 2, false, false), /matmul: batchA \(3\) and batchB \(2\) must be equal or one of them 1/],
    ['matmul c past the end', (h) => m.matmul!(h, X, W, Y, -1, false, 1, 1, 64, 2, 64, false, true), /matmul: c: bytes/],
    ['matmul zero k', (h) => m.matmul!(h, X, W, Y, -1, false, 1, 1, 2, 0, 2, false, false), /matmul: k must be in \[1,/],
    ['matmul sizes overflow', (h) => m.matmul!(h, X, W, Y, -1, false, BIG, 1, BIG, BIG, 1, false, false), /matmul: the size of a overflows/],
    ['tile out past the end', (h) => m.tile!(h, X, Y, [4, 4], [64, 64]), /tile: out: bytes/],
    ['tile reps zero', (h) => m.tile!(h, X, Y, [4, 4], [1, 0]), /tile: reps\[5\] must be in \[1,/],
    ['tile sizes overflow', (h) => m.tile!(h, X, Y, [BIG, BIG, BIG], [1, 1, 1]), /tile: the size of x overflows/],
    ['reduceRows out past the end', (h) => m.reduceRows!(h, X, HEAP_FLOATS * 4, 2, 3, false), /reduceRows: out: bytes/],
    ['reduceRows zero rows', (h) => m.reduceRows!(h, X, Y, 0, 3, true), /reduceRows: rows must be in \[1,/],
    ['affineChannels coeffs too short', (h) => m.affineChannels(h, new Float32Array(5), X, Y, 4, 2), /affineChannels: coeffs has 5 elements, 3 C = 6 expected/],
    ['affineChannels out past the end', (h) => m.affineChannels(h, new Float32Array(6), X, HEAP_FLOATS * 4 - 4, 4, 2), /affineChannels: out: bytes/],
    ['batchNormGrad sums of odd length', (h) => m.batchNormGrad!(h, new Float32Array(4), new Float64Array(3), X, W, Y, 2), /batchNormGrad: sums has 3 elements/],
    ['batchNormGrad dx past the end', (h) => m.batchNormGrad!(h, new Float32Array(4), new Float64Array(4), X, W, HEAP_FLOATS * 4 - 8, 2), /batchNormGrad: dx: bytes/],
  ];
  for (const [what, call, pattern] of cases) {
    it(`${what}: RangeError before any work, heap untouched`, () => {
      const { heap, untouched } = patternHeap();
      rangeError(() => call(heap), pattern);
      untouched();
    });
  }

  it('a heap that is not a Float32Array is a TypeError', () => {
    assert.throws(() => m.conv2d!(new Float64Array(HEAP_FLOATS) as unknown as Float32Array, X, W, Y, -1, false, g),
      (err: unknown) => err instanceof TypeError && /conv2d: heap must be a Float32Array/.test((err as Error).message));
  });

  it('offsets are relative to the heap view: a subarray ends where the view ends', () => {
    const { heap, untouched } = patternHeap();
    const view = heap.subarray(HEAP_FLOATS - 64); // 256 bytes
    rangeError(() => m.reduceRows!(view, 0, 256, 2, 3, false), /reduceRows: out: bytes \[256, 256 \+ 12\)/);
    untouched();
    m.reduceRows!(view, 0, 244, 2, 3, false); // the last 3 floats of the view: fits
  });
});

const blasBuilt = existsSync(BLAS_ADDON_PATH);
describe('tgsage_blas: lengths that disagree with n and d', { skip: blasBuilt ? false : 'tgsage_blas not built' }, () => {
  const blas = blasBuilt ? loadBlasAddon() : null;
  it('n d that wraps around int64 to the array length is refused', () => {
    // 2^32 x 2^32 wraps to 0 = the lengths of empty arrays: once read as a 2^32-row RDM.
    rangeError(() => blas!.rdm(new Float32Array(0), 2 ** 32, 2 ** 32, 0, new Float32Array(0)), /rdm: n and d must be in/);
    rangeError(() => blas!.gram(new Float32Array(6), 2, 3, new Float64Array(3)), /gram: out has 3 elements, n n = 2 x 2 expected/);
    rangeError(() => blas!.rdm(new Float32Array(5), 2, 3, 0, new Float32Array(4)), /rdm: x has 5 elements, n d = 2 x 3 expected/);
  });
  it('method 3 (float64 output) is gram only', () => {
    rangeError(() => blas!.rdm(new Float32Array(6), 2, 3, 3, new Float32Array(4)), /rdm: method must be 0, 1 or 2/);
  });
});

const bootstrap = bootstrapAddon();
describe('tgsage_bootstrap: hostile lengths and indices', { skip: bootstrap ? false : 'tgsage_bootstrap not built' }, () => {
  // n = 3 stimuli: m = 3 pairs; rows = cols = 1: L = 2 layers.
  const n = 3, m = 3, L = 2;
  const spearman = () => {
    const group = new Int32Array(L * m); // one tie group per layer
    const sorted = () => Uint32Array.from({ length: L * m }, (_, k) => [0, 0, 1][k % m]!);
    const sortedJ = Uint32Array.from({ length: L * m }, (_, k) => [1, 2, 2][k % m]!);
    return { group, sortedI: sorted(), sortedJ, groupEnd: Uint32Array.of(m, m), groupOff: Uint32Array.of(0, 1, 2) };
  };
  const call = (a: ReturnType<typeof spearman>, counts = new Float64Array([1, 1, 1]), out = new Float64Array(1)) =>
    bootstrap!.bootstrap(0, n, 1, 1, 1, counts, out, a.group, a.sortedI, a.sortedJ, a.groupEnd, a.groupOff);

  it('runs on the valid arrays these cases start from', async () => {
    await call(spearman());
  });
  it('lengths: out, values, counts and an L m that overflows', () => {
    rangeError(() => call(spearman(), undefined, new Float64Array(2)), /out has 2 elements, 1 expected/);
    rangeError(() => call(spearman(), new Float64Array(4)), /counts has 4 elements, not a multiple of n = 3/);
    rangeError(() => bootstrap!.bootstrap(1, n, 1, 1, 1, new Float64Array(3), new Float64Array(1), new Float64Array(5)),
      /values has 5 elements, 6 expected/);
    rangeError(() => bootstrap!.bootstrap(1, 2 ** 31 - 1, 2 ** 30, 2 ** 30, 1, new Float64Array(0), new Float64Array(0),
      new Float64Array(0)), /the size of L m overflows/);
    const a = spearman();
    a.groupOff[2] = 5;
    rangeError(() => call(a), /groupOff\[L\] = 5, groupEnd's length 2 expected/);
  });
  it('indices inside the arrays: the promise rejects with a RangeError naming the array', async () => {
    const hostile: [(a: ReturnType<typeof spearman>) => void, RegExp][] = [
      [(a) => (a.group[4] = 7), /group\[4\] = 7 is not one of layer 1's 1 tie groups/],
      [(a) => (a.group[0] = -1), /group\[0\] = -1/],
      [(a) => (a.sortedJ[2] = 3), /sortedJ\[2\] = 3 is not one of the 3 stimuli/],
      [(a) => (a.sortedI[5] = 2 ** 32 - 1), /sortedI\[5\] = 4294967295/],
      [(a) => (a.groupEnd[1] = 1000), /groupEnd\[1\] = 1000 exceeds the 3 pairs/],
      [(a) => a.groupOff.set([0, 2, 2]), /group\[3\] = 0 is not one of layer 1's 0 tie groups/],
      [(a) => a.groupOff.set([0, 3, 2]), /groupOff\[0\.\.1\] = 0, 3/],
    ];
    for (const [spoil, pattern] of hostile) {
      const a = spearman();
      spoil(a);
      const out = new Float64Array(1).fill(42);
      await assert.rejects(call(a, undefined, out), (err: unknown) => err instanceof RangeError && pattern.test(err.message),
        String(pattern));
      assert.equal(out[0], 42, 'no resample ran');
    }
  });
});
