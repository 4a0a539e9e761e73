// Ranks, RDM comparators and linear CKA from every backend that runs here against the float64 reference, with ties.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCompute } from '../../services/compute/index.ts';
import { averageRanks, countInversions, denseRanks } from '../../services/compute/ranks.ts';
import { ComputeInputError, type Compute, type RdmComparator } from '../../services/compute/types.ts';
import { loadBlasAddon } from '../../services/compute/blas.ts';
import { BLAS_BUILT, RUNNABLE } from './backends.ts';
import {
  activations,
  maxAbsDiff,
  refCka,
  refCosine,
  refKendallTauA,
  refPearson,
  refRanks,
  refRdm,
  refSpearman,
  rng,
  upper,
} from './reference.ts';

const TOL = 1e-4;

/** A symmetric n x n float32 RDM with zero diagonal from `f(i, j)` (i < j). */
function rdmFrom(n: number, f: (i: number, j: number) => number): Float32Array {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) m[i * n + j] = m[j * n + i] = f(i, j);
  return m;
}

describe('ranks', () => {
  it('average ranks match sorting with ties (float32 and float64, -0 and +0 tie)', () => {
    const r = rng(5);
    const v = Array.from({ length: 5000 }, () => Math.round(r.normal() * 4) / 4);
    v[3] = -0;
    v[4] = 0;
    const want = refRanks(v);
    assert.deepEqual(Array.from(averageRanks(Float32Array.from(v))), want);
    assert.deepEqual(Array.from(averageRanks(Float64Array.from(v))), want);
    const fine = Array.from({ length: 3000 }, () => r.normal() * 1e-3 + 1);
    assert.deepEqual(Array.from(averageRanks(Float64Array.from(fine))), refRanks(fine));
    assert.deepEqual(Array.from(averageRanks(Float32Array.from([-3, -1e-30, 5, Infinity, -Infinity]))), [2, 3, 4, 5, 1]);
  });

  it('the native addon ranks like sorting with ties', { skip: !BLAS_BUILT && 'blas addon not built' }, () => {
    const addon = loadBlasAddon();
    const r = rng(6);
    const v = Array.from({ length: 20000 }, () => Math.round(r.normal() * 50) / 8);
    v[10] = -0;
    v[11] = 0;
    for (const arr of [Float32Array.from(v), Float64Array.from(v)]) {
      const out = new Float64Array(v.length);
      addon.rankAverage(arr, out);
      assert.deepEqual(Array.from(out), refRanks(v));
    }
  });

  it('dense ranks and tied pairs', () => {
    const { dense, tiedPairs, groups } = denseRanks(Float64Array.from([2, 1, 2, 3, 2, 1]));
    assert.deepEqual(Array.from(dense), [1, 0, 1, 2, 1, 0]);
    assert.equal(groups, 3);
    assert.equal(tiedPairs, 3 + 1);
  });

  it('counts inversions like the quadratic count', () => {
    const r = rng(9);
    for (const m of [0, 1, 5, 17, 100, 1000]) {
      const y = Int32Array.from({ length: m }, () => Math.floor(r.uniform() * 20));
      let want = 0;
      for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) if (y[i] > y[j]) want++;
      const sorted = Array.from(y).sort((a, b) => a - b);
      assert.equal(countInversions(y), want);
      assert.deepEqual(Array.from(y), sorted);
    }
  });
});

const REF: Record<RdmComparator, (a: number[], b: number[]) => number> = {
  spearman: refSpearman,
  pearson: refPearson,
  cosine: refCosine,
  kendall: refKendallTauA,
};

for (const backend of RUNNABLE) {
  describe(`comparators on ${backend}`, () => {
    let c: Compute;
    before(async () => {
      c = await createCompute({ backend });
    });
    after(async () => {
      await c.dispose();
    });

    async function check(a: Float32Array | Float64Array, b: Float32Array | Float64Array, n: number, cmp: RdmComparator) {
      const want = REF[cmp](upper(a, n), upper(b, n));
      const got = c.compare(await c.prepare(a, n, cmp), await c.prepare(b, n, cmp));
      assert.ok(Math.abs(got - want) < TOL, `${cmp}: got ${got}, want ${want}`);
      return got;
    }

    for (const n of [200, 1000]) {
      it(`spearman / pearson / cosine of RDMs computed here, N=${n}, within ${TOL}`, async () => {
        const d = n === 1000 ? 16 : 120;
        const x = activations(n, d, 21);
        const y = activations(n, d, 22);
        for (let k = 0; k < x.length; k++) y[k] = 0.6 * x[k] + y[k]; // related, not identical
        const a = await c.rdm({ data: x, n, d }, 'correlation');
        const b = await c.rdm({ data: y, n, d }, 'correlation');
        for (const cmp of ['spearman', 'pearson', 'cosine'] as const) await check(a, b, n, cmp);
        // and against the reference computed from the reference RDMs (the whole chain)
        const want = refSpearman(upper(refRdm(x, n, d, 'correlation'), n), upper(refRdm(y, n, d, 'correlation'), n));
        const got = c.compare(await c.prepare(a, n, 'spearman'), await c.prepare(b, n, 'spearman'));
        assert.ok(Math.abs(got - want) < TOL, `chain: got ${got}, want ${want}`);
      });
    }

    it('RDMs with many ties (quantised, categorical), float32 and float64', async () => {
      const n = 300;
      const r = rng(3);
      const cls = Array.from({ length: n }, () => Math.floor(r.uniform() * 4));
      const base = Array.from({ length: n * n }, () => r.uniform());
      const quant = rdmFrom(n, (i, j) => Math.round(base[i * n + j] * 8) / 8);
      const categorical = rdmFrom(n, (i, j) => (cls[i] === cls[j] ? 0 : 1));
      const mixed = rdmFrom(n, (i, j) => (cls[i] === cls[j] ? 0 : 1) + Math.round(base[j * n + i] * 3) / 3);
      for (const cmp of ['spearman', 'pearson', 'cosine'] as const) {
        await check(quant, categorical, n, cmp);
        await check(mixed, quant, n, cmp);
        await check(Float64Array.from(mixed), Float64Array.from(quant), n, cmp);
      }
    });

    it('kendall tau-a against the O(m^2) count, with and without ties', async () => {
      const n = 70;
      const x = activations(n, 40, 31);
      const y = activations(n, 40, 32);
      const a = await c.rdm({ data: x, n, d: 40 }, 'correlation');
      const b = await c.rdm({ data: y, n, d: 40 }, 'euclidean');
      await check(a, b, n, 'kendall');
      const r = rng(4);
      const qa = rdmFrom(n, () => Math.round(r.uniform() * 5));
      const qb = rdmFrom(n, (i, j) => Math.round(r.uniform() * 3) + (i % 2 === j % 2 ? 1 : 0));
      await check(qa, qb, n, 'kendall');
      const self = await check(qa, qa, n, 'kendall');
      assert.ok(self < 1, 'tau-a of a tied RDM with itself is below 1');
      const distinct = rdmFrom(n, (i, j) => i * n + j);
      assert.equal(c.compare(await c.prepare(distinct, n, 'kendall'), await c.prepare(distinct, n, 'kendall')), 1);
      const reversed = rdmFrom(n, (i, j) => -(i * n + j));
      assert.equal(c.compare(await c.prepare(distinct, n, 'kendall'), await c.prepare(reversed, n, 'kendall')), -1);
    });

    it('linear CKA, biased and unbiased, from centred Grams', async () => {
      const n = 120;
      const x = activations(n, 60, 41, { offset: 2 });
      const y = activations(n, 90, 42);
      for (let i = 0; i < n; i++) for (let k = 0; k < 60; k++) y[i * 90 + k] += 0.5 * x[i * 60 + k];
      const kc = await c.centeredGram({ data: x, n, d: 60 });
      const lc = await c.centeredGram({ data: y, n, d: 90 });
      for (const unbiased of [false, true]) {
        const got = c.cka(kc, lc, n, unbiased);
        const want = refCka(x, y, n, 60, 90, unbiased);
        assert.ok(Math.abs(got - want) < TOL, `unbiased=${unbiased}: got ${got}, want ${want}`);
        assert.ok(Math.abs(c.cka(kc, kc, n, unbiased) - 1) < 1e-9);
      }
    });

    it('rejects constant RDMs, NaN entries, and mismatched prepared RDMs', async () => {
      const n = 10;
      const flat = rdmFrom(n, () => 0.5);
      await assert.rejects(c.prepare(flat, n, 'spearman'), ComputeInputError);
      await assert.rejects(c.prepare(flat, n, 'pearson'), ComputeInputError);
      const bad = rdmFrom(n, (i, j) => i + j);
      bad[2 * n + 5] = Number.NaN;
      await assert.rejects(c.prepare(bad, n, 'spearman'), /\(2, 5\).*NaN/);
      await assert.rejects(c.prepare(new Float32Array(10), n, 'spearman'), ComputeInputError);
      const good = rdmFrom(n, (i, j) => i * j);
      const p = await c.prepare(good, n, 'spearman');
      const k = await c.prepare(good, n, 'kendall');
      assert.throws(() => c.compare(p, k), /spearman.*kendall/);
      const other = await c.prepare(rdmFrom(11, (i, j) => i + j), 11, 'spearman');
      assert.throws(() => c.compare(p, other), /10 and 11/);
      assert.ok(Math.abs(c.compare(p, p) - 1) < 1e-12);
    });
  });
}
