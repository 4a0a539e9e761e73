// Noise ceilings against the float64 reference in reference.py: split-half (Spearman-Brown) and rsatoolbox's bounds,
// with missing repetitions, for every RDM comparator; and the recovery of a reliability put into synthetic recordings.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCompute } from '../../services/compute/index.ts';
import type { Compute, RdmComparator } from '../../services/compute/types.ts';
import { meanLayer, noiseCeilings, spearmanBrown, splitHalves, type RepeatedLayer } from '../../services/teacher-cache/ceiling.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { rng } from '../support/reference.ts';
import { nested, pythonReference } from './reference.ts';

interface RefCeiling {
  splitHalf: number;
  uncorrected: number;
  sd: number;
  splits: number;
  lower?: number;
  upper?: number;
}

/** R repetitions of n stimuli x d sites: signal + noise, with `missing` NaN values. */
function recordings(R: number, n: number, d: number, noise: number, missing: number, seed: number): RepeatedLayer {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const signal = Float64Array.from({ length: n * d }, gauss);
  const data = new Float32Array(R * n * d);
  for (let k = 0; k < R; k++) for (let t = 0; t < n * d; t++) data[k * n * d + t] = signal[t]! + noise * gauss();
  for (let m = 0; m < missing; m++) data[Math.floor(r() * data.length)] = Number.NaN;
  return { name: 'IT', shape: [R, n, d], n, d, repetitions: R, data };
}

const COMPARATORS: RdmComparator[] = ['spearman', 'pearson', 'kendall', 'cosine'];

describe('noise ceilings', () => {
  let compute: Compute;
  before(async () => {
    compute = await createCompute({ backend: 'cpu' });
  });
  after(async () => compute.dispose());

  for (const [R, missing] of [
    [6, 0],
    [5, 25], // odd R (one repetition left out of each split, k = 5/2) and missing values
  ] as const) {
    it(`match the float64 reference (R=${R}, ${missing} missing values)`, async () => {
      const layer = recordings(R, 14, 24, 0.8, missing, 7 + R);
      const splits = 12;
      const got = await noiseCeilings(compute, layer, { method: 'correlation', comparators: COMPARATORS, splits, seed: 3 });
      const ref = await pythonReference<Record<string, RefCeiling>>({
        kind: 'ceiling',
        data: nested(layer.data, R, 14, 24),
        method: 'correlation',
        comparators: COMPARATORS,
        splits: [...splitHalves(R, splits, 3, 'IT')],
      });
      // RDMs are float32 here and float64 there; 1e-4 covers that (values are O(1))
      const TOL = 1e-4;
      for (const c of got) {
        const r = ref[c.comparator]!;
        assert.equal(c.splits, r.splits, `${c.comparator} splits`);
        assert.ok(Math.abs(c.splitHalf - r.splitHalf) < TOL, `${c.comparator} split-half ${c.splitHalf} vs ${r.splitHalf}`);
        assert.ok(Math.abs(c.splitHalfUncorrected - r.uncorrected) < TOL, `${c.comparator} uncorrected`);
        assert.ok(Math.abs(c.splitHalfSd - r.sd) < TOL, `${c.comparator} sd ${c.splitHalfSd} vs ${r.sd}`);
        assert.ok(Math.abs(c.lower! - r.lower!) < TOL, `${c.comparator} lower ${c.lower} vs ${r.lower}`);
        assert.ok(Math.abs(c.upper! - r.upper!) < TOL, `${c.comparator} upper ${c.upper} vs ${r.upper}`);
        assert.ok(c.lower! <= c.upper!, 'lower bound above upper bound');
      }
    });
  }

  it('are 1 for noise-free repetitions, and fall with noise', async () => {
    const clean = await noiseCeilings(compute, recordings(4, 12, 16, 0, 0, 1), { method: 'correlation', comparators: ['pearson'], splits: 4, seed: 0 });
    assert.ok(Math.abs(clean[0]!.splitHalf - 1) < 1e-5, `noise-free ceiling ${clean[0]!.splitHalf}`);
    const noisy = await noiseCeilings(compute, recordings(4, 12, 16, 2, 0, 1), { method: 'correlation', comparators: ['pearson'], splits: 4, seed: 0 });
    assert.ok(noisy[0]!.splitHalf < 0.9, `noisy ceiling ${noisy[0]!.splitHalf}`);
  });

  it('Spearman-Brown', () => {
    assert.equal(spearmanBrown(0.5, 2), 2 / 3);
    assert.equal(spearmanBrown(1, 3), 1);
    assert.equal(spearmanBrown(0, 2), 0);
  });

  it('mean layer: nanmean over repetitions; a site with no repetition for a stimulus is an error naming both', () => {
    const layer = recordings(3, 4, 3, 1, 0, 5);
    layer.data[0] = Number.NaN; // repetition 0, stimulus 0, site 0
    const m = meanLayer(layer);
    assert.ok(Math.abs(m.data[0]! - (layer.data[12]! + layer.data[24]!) / 2) < 1e-6);
    layer.data[12] = Number.NaN;
    layer.data[24] = Number.NaN;
    assert.throws(() => meanLayer(layer), (e: unknown) => e instanceof InvalidArgumentError && /site 0 has no repetition for stimulus 0/.test(e.message));
  });
});
