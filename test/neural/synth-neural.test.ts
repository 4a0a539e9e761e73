// Synthetic recordings: the teacher cache's split-half noise ceiling (one recording, split, Spearman-Brown
// extrapolated) recovers the reliability put in (test-retest of two independent recordings, see
// services/teachers/synth-neural.ts), over several reliabilities, repetition counts and seeds.
//
// Tolerance 0.06 (absolute): the ceiling is an estimate from a single recording. Its sampling error at these sizes
// (60 stimuli: 1770 RDM entries) is about 0.01-0.02; Spearman-Brown is exact for parallel measurements of Pearson
// correlations and only close for Spearman correlations of RDMs (a correlation-distance RDM of a noisier mean is not
// a linear function of noise), which biases it by up to a few hundredths; the calibration's own target is met to
// 1e-3. Larger deviations mean the ceiling (or the generator) is wrong.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCompute } from '../../services/compute/index.ts';
import type { Compute } from '../../services/compute/types.ts';
import { noiseCeilings } from '../../services/teacher-cache/ceiling.ts';
import { synthNeural } from '../../services/teachers/synth-neural.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { randomMatrix } from '../support/reference.ts';

const TOL = 0.06;

/** A ReLU "layer" with low-dimensional structure: n stimuli x d features, some features always zero. */
function layer(n: number, d: number, seed: number): { n: number; d: number; data: Float32Array } {
  const z = randomMatrix(n, 6, seed);
  const w = randomMatrix(6, d, seed + 1);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < d; f++) {
      let s = 0;
      for (let k = 0; k < 6; k++) s += z[i * 6 + k]! * w[k * d + f]!;
      data[i * d + f] = f % 7 === 0 ? 0 : Math.max(0, s);
    }
  }
  return { n, d, data };
}

describe('synthetic neural teacher', () => {
  let compute: Compute;
  before(async () => {
    compute = await createCompute({ backend: 'auto' });
  });
  after(async () => compute.dispose());

  for (const [reliability, repetitions, seed] of [
    [0.5, 6, 1],
    [0.8, 4, 2],
    [0.9, 10, 3],
  ] as const) {
    it(`the measured ceiling recovers reliability ${reliability} (${repetitions} repetitions, seed ${seed})`, async () => {
      const l = layer(60, 120, 10 * seed);
      const synth = await synthNeural(compute, l, { sites: 40, repetitions, reliability, seed, method: 'correlation' });
      assert.deepEqual(synth.shape, [repetitions, 60, 40]);
      assert.ok(Math.abs(synth.calibrated - reliability) < 1e-3, `calibration reached ${synth.calibrated}`);
      assert.ok(synth.sites.every((f) => f % 7 !== 0), 'a site was sampled from a constant feature');
      const [ceiling] = await noiseCeilings(
        compute,
        { name: 'IT', shape: synth.shape, n: 60, d: 40, repetitions, data: synth.data },
        { method: 'correlation', comparators: ['spearman'], splits: 40, seed },
      );
      if (process.env.TGSAGE_TEST_VERBOSE) console.log(`reliability ${reliability}: ceiling ${ceiling!.splitHalf}`);
      assert.ok(
        Math.abs(ceiling!.splitHalf - reliability) < TOL,
        `ceiling ${ceiling!.splitHalf.toFixed(4)} vs reliability ${reliability} put in (tolerance ${TOL})`,
      );
    });
  }

  it('rejects impossible requests naming the option', async () => {
    const l = layer(20, 14, 1);
    await assert.rejects(synthNeural(compute, l, { sites: 40, repetitions: 4, reliability: 0.5, seed: 0, method: 'correlation' }), (e: unknown) => e instanceof InvalidArgumentError && /sites/.test(e.message));
    await assert.rejects(synthNeural(compute, l, { sites: 4, repetitions: 1, reliability: 0.5, seed: 0, method: 'correlation' }), InvalidArgumentError);
    await assert.rejects(synthNeural(compute, l, { sites: 4, repetitions: 4, reliability: 1, seed: 0, method: 'correlation' }), InvalidArgumentError);
  });
});
