// Issue 9 item 8, on every backend the tests cover (blas, wasm, cpu): exact ties survive RDM computation, euclidean
// RDMs and centred Grams are right from 1e-30 to 1e30, against the independent float64 reference (reference.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCompute } from '../../services/compute/index.ts';
import type { Compute, RdmMethod } from '../../services/compute/types.ts';
import { RUNNABLE } from './backends.ts';
import { activations, maxAbsDiff, refCentre, refGram, refRdm, refSpearman, rng, upper } from './reference.ts';

/** Pairs whose reference values are equal must be equal in `r` too (and distinct ones stay ordered). */
function assertTiesKept(r: Float32Array, ref: Float64Array, n: number): void {
  const byValue = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const want = ref[i * n + j]!;
      const got = r[i * n + j]!;
      const seen = byValue.get(want);
      if (seen === undefined) byValue.set(want, got);
      else assert.equal(got, seen, `tie split at (${i}, ${j}): reference ${want}`);
    }
  }
}

function spikeCounts(n: number, d: number, seed: number): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(-Math.log(1 - r.uniform()) * 1.2); // small counts, many ties
  for (let i = 0; i < n; i++) x[i * d] += 1; // no all-zero rows (cosine)
  return x;
}

for (const backend of RUNNABLE) {
  describe(`edge numbers on ${backend}`, () => {
    let c: Compute;
    before(async () => {
      c = await createCompute({ backend });
    });
    after(async () => {
      await c.dispose();
    });

    it('a 1-feature layer: cosine RDM holds exactly 0 and 2', async () => {
      const n = 60;
      const r = rng(3);
      const x = Float32Array.from({ length: n }, () => (r.uniform() - 0.5) * 7.3);
      const rdm = await c.rdm({ data: x, n, d: 1 }, 'cosine');
      assert.deepEqual([...new Set(upper(rdm, n))].sort(), [0, 2]);
    });

    for (const method of ['correlation', 'cosine', 'euclidean'] as RdmMethod[]) {
      it(`integer-valued data (${method}): ties exact, Spearman as the float64 reference`, async () => {
        const n = 80;
        const d = 6;
        const x = spikeCounts(n, d, 5);
        for (let k = 0; k < d; k++) x[7 * d + k] = x[3 * d + k]; // duplicate rows: exact zeros and equal pairs
        const rdm = await c.rdm({ data: x, n, d }, method);
        // the float64 reference itself splits true ties by ~1e-16; integer data has no distinct values that close
        const ref = refRdm(x, n, d, method).map((v) => Math.round(v * 1e12) / 1e12);
        assert.ok(new Set(upper(ref, n)).size < 0.95 * ((n * (n - 1)) / 2), 'the data has ties');
        assert.ok(maxAbsDiff(rdm, ref) < 1e-6 * (method === 'euclidean' ? 10 : 1), `max abs diff ${maxAbsDiff(rdm, ref)}`);
        assertTiesKept(rdm, ref, n);
        assert.equal(rdm[3 * n + 7], 0);
        const other = refRdm(spikeCounts(n, d, 9), n, d, method).map((v) => Math.round(v * 1e12) / 1e12);
        const got = refSpearman(upper(rdm, n), upper(other, n));
        const want = refSpearman(upper(ref, n), upper(other, n));
        assert.ok(Math.abs(got - want) < 1e-9, `Spearman ${got} vs reference ${want}`);
      });
    }

    for (const scale of [1e-30, 1e-20, 1e20, 1e25, 1e30]) {
      it(`euclidean RDM and centred Gram at scale ${scale} match the float64 reference`, async () => {
        const n = 40;
        const d = 64;
        const x = activations(n, d, 17, { scale });
        const rdm = await c.rdm({ data: x, n, d }, 'euclidean');
        const ref = refRdm(x, n, d, 'euclidean');
        const top = Math.max(...ref);
        assert.ok(maxAbsDiff(rdm, ref) / top < 1e-5, `relative diff ${maxAbsDiff(rdm, ref) / top}`);
        const g = await c.centeredGram({ data: x, n, d });
        const gref = refCentre(refGram(x, n, d), n);
        const gtop = Math.max(...gref.map(Math.abs));
        assert.ok(maxAbsDiff(g, gref) / gtop < 1e-5, `Gram relative diff ${maxAbsDiff(g, gref) / gtop}`);
      });
    }
  });
}
