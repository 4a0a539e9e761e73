// RDMs and centred Grams from every backend that runs here against the float64 reference, plus bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createCompute } from '../../services/compute/index.ts';
import { ComputeInputError, type Compute, type RdmMethod } from '../../services/compute/types.ts';
import { RUNNABLE } from './backends.ts';
import { activations, maxAbsDiff, refCentre, refGram, refRdm } from './reference.ts';

const TOL = 1e-4;

function assertRdmShape(r: Float32Array, n: number): void {
  assert.equal(r.length, n * n);
  for (let i = 0; i < n; i++) {
    assert.equal(r[i * n + i], 0, `diagonal ${i} must be exactly 0`);
    for (let j = i + 1; j < n; j++) assert.equal(r[i * n + j], r[j * n + i], `asymmetric at (${i}, ${j})`);
  }
}

for (const backend of RUNNABLE) {
  describe(`rdm on ${backend}`, () => {
    let c: Compute;
    let tensorsBefore = 0;
    before(async () => {
      c = await createCompute({ backend });
      if (backend !== 'blas') tensorsBefore = tf.memory().numTensors;
    });
    after(async () => {
      if (backend !== 'blas') assert.equal(tf.memory().numTensors, tensorsBefore, 'leaked tfjs tensors');
      await c.dispose();
    });

    const cases: Array<[RdmMethod, number, number, { offset?: number; scale?: number }]> = [
      ['correlation', 200, 500, {}],
      ['cosine', 200, 500, { offset: 0.5 }],
      ['euclidean', 200, 500, { scale: 1 / Math.sqrt(500) }],
      ['correlation', 200, 256, { offset: 1000 }], // large row means: centring must happen before the product
      ['correlation', 1000, 24, {}],
      ['cosine', 1000, 24, {}],
      ['euclidean', 1000, 24, { scale: 0.2 }],
    ];
    for (const [method, n, d, opts] of cases) {
      it(`${method} N=${n} D=${d}${opts.offset ? ` offset ${opts.offset}` : ''} matches float64 within ${TOL}`, async () => {
        const x = activations(n, d, n + d, opts);
        const r = await c.rdm({ data: x, n, d }, method);
        assertRdmShape(r, n);
        const diff = maxAbsDiff(r, refRdm(x, n, d, method));
        assert.ok(diff < TOL, `max abs diff ${diff}`);
      });
    }

    it('euclidean with near-duplicate rows stays accurate', async () => {
      const n = 50;
      const d = 400;
      const x = activations(n, d, 7, { scale: 0.05 });
      for (let k = 0; k < d; k++) x[1 * d + k] = x[0 * d + k] + (k % 3 === 0 ? 1e-4 : 0);
      for (let k = 0; k < d; k++) x[3 * d + k] = x[2 * d + k];
      const r = await c.rdm({ data: x, n, d }, 'euclidean');
      const ref = refRdm(x, n, d, 'euclidean');
      assert.ok(maxAbsDiff(r, ref) < 1e-5, `max abs diff ${maxAbsDiff(r, ref)}`);
      assert.equal(r[2 * n + 3], 0);
    });

    it('centred Gram equals H X X^T H', async () => {
      const n = 150;
      const d = 300;
      const x = activations(n, d, 11, { offset: 3 });
      const g = await c.centeredGram({ data: x, n, d });
      const ref = refCentre(refGram(x, n, d), n);
      const scale = Math.max(...ref.map(Math.abs));
      assert.ok(maxAbsDiff(g, ref) / scale < 1e-5, `relative diff ${maxAbsDiff(g, ref) / scale}`);
    });

    for (const [what, value] of [
      ['NaN', Number.NaN],
      ['Inf', Number.POSITIVE_INFINITY],
      ['-Inf', Number.NEGATIVE_INFINITY],
    ] as const) {
      it(`rejects ${what} naming the row`, async () => {
        const n = 20;
        const d = 30;
        const x = activations(n, d, 3);
        x[7 * d + 5] = value;
        for (const method of ['correlation', 'cosine', 'euclidean'] as const) {
          await assert.rejects(c.rdm({ data: x, n, d }, method), (err: unknown) => {
            assert.ok(err instanceof ComputeInputError, String(err));
            assert.match(err.message, /row 7\b/);
            return true;
          });
        }
        await assert.rejects(c.centeredGram({ data: x, n, d }), /row 7\b/);
      });
    }

    it('rejects a constant row for correlation and a zero row for cosine', async () => {
      const n = 20;
      const d = 30;
      const x = activations(n, d, 4);
      x.fill(2.5, 3 * d, 4 * d);
      await assert.rejects(c.rdm({ data: x, n, d }, 'correlation'), (err: unknown) => {
        assert.ok(err instanceof ComputeInputError);
        assert.match(err.message, /row 3\b.*constant/);
        return true;
      });
      // a constant non-zero row is fine for cosine and euclidean
      await c.rdm({ data: x, n, d }, 'cosine');
      await c.rdm({ data: x, n, d }, 'euclidean');
      x.fill(0, 5 * d, 6 * d);
      await assert.rejects(c.rdm({ data: x, n, d }, 'cosine'), /row 5\b.*constant/);
    });

    it('rejects a shape that does not match the data', async () => {
      await assert.rejects(c.rdm({ data: new Float32Array(10), n: 3, d: 3 }, 'correlation'), ComputeInputError);
    });
  });
}
