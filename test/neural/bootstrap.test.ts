// The stimulus bootstrap against the float64 reference in reference.py, which builds every resample's RDM entries
// literally (duplicates' self-pairs dropped) and ranks them with scipy: per-resample similarities, percentile
// intervals, TG's interval and p(best), with tied RDM values and values at extreme magnitudes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bootstrapAddon,
  bootstrapSimilarities,
  checkBootstrap,
  resampleDraws,
  summariseBootstrap,
} from '../../services/scorer/bootstrap.ts';
import { bestRows } from '../../services/scorer/score.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { rng } from '../support/reference.ts';
import { pythonReference } from './reference.ts';

/** A symmetric n x n RDM: a shared structure plus noise, optionally quantised (ties) and scaled/offset. */
function rdmLike(n: number, base: Float64Array, noise: number, seed: number, opts: { levels?: number; scale?: number; offset?: number } = {}): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let v = base[i * n + j]! + noise * (r() - 0.5);
      if (opts.levels) v = Math.round(v * opts.levels) / opts.levels;
      v = v * (opts.scale ?? 1) + (opts.offset ?? 0);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

interface Ref {
  sims: number[][][];
  low: number[][];
  high: number[][];
  tg: [number, number];
  pBest: number[];
}

const N = 24;
const K = 40;

describe('stimulus bootstrap', () => {
  const r = rng(11);
  const base = Float64Array.from({ length: N * N }, () => r());
  const cases: Array<[string, 'spearman' | 'pearson' | 'cosine', { levels?: number; scale?: number; offset?: number }]> = [
    ['spearman', 'spearman', {}],
    ['spearman with many ties', 'spearman', { levels: 4 }],
    ['pearson', 'pearson', {}],
    ['pearson at a large offset', 'pearson', { offset: 1e4, scale: 1e-2 }],
    ['cosine', 'cosine', { scale: 1e6 }],
  ];
  const paths = bootstrapAddon() ? (['auto', 'off'] as const) : (['off'] as const);
  for (const [label, comparator, opts] of cases) for (const native of paths) {
    it(`${label} (${native === 'off' ? 'TypeScript loop' : 'native kernel'}): every resample, the intervals and p(best) match the reference`, async () => {
      const candidates = [0.3, 0.8, 1.5].map((noise, k) => rdmLike(N, base, noise, 100 + k, opts));
      const teachers = [0.5, 1].map((noise, k) => rdmLike(N, base, noise, 200 + k, opts));
      const seed = 5;
      const sims = await bootstrapSimilarities({ candidates, teachers, n: N, comparator, resamples: K, seed, native });
      // the point estimate's best rows, from the reference's own full-sample comparison: use resample-free ranks
      const pointBest = [0, 0];
      const ref = await pythonReference<Ref>({
        kind: 'bootstrap',
        candidates: candidates.map((c) => Array.from(c)),
        teachers: teachers.map((t) => Array.from(t)),
        n: N,
        comparator,
        draws: [...resampleDraws(N, K, seed)].map((d) => Array.from(d)),
        pointBest,
      });
      for (let k = 0; k < K; k++) {
        for (let a = 0; a < 3; a++) {
          for (let b = 0; b < 2; b++) {
            const got = sims[(k * 3 + a) * 2 + b]!;
            assert.ok(Math.abs(got - ref.sims[k]![a]![b]!) < 1e-9, `resample ${k} (${a}, ${b}): ${got} vs ${ref.sims[k]![a]![b]}`);
          }
        }
      }
      const s = summariseBootstrap(sims, 3, 2, { resamples: K, seed }, pointBest);
      for (let q = 0; q < 6; q++) {
        assert.ok(Math.abs(s.similarityLow[q]! - ref.low[Math.floor(q / 2)]![q % 2]!) < 1e-9, 'low end');
        assert.ok(Math.abs(s.similarityHigh[q]! - ref.high[Math.floor(q / 2)]![q % 2]!) < 1e-9, 'high end');
      }
      assert.ok(Math.abs(s.tgLow - ref.tg[0]) < 1e-9 && Math.abs(s.tgHigh - ref.tg[1]) < 1e-9, 'TG interval');
      assert.deepEqual(s.pBest, ref.pBest);
      assert.ok(Number.isNaN(s.tgNormalizedLow), 'no ceilings: no normalised interval');
    });
  }

  it('is seeded: the same seed gives the same resamples, another seed others', async () => {
    const c = [rdmLike(N, base, 0.5, 1)];
    const t = [rdmLike(N, base, 0.5, 2)];
    const a = await bootstrapSimilarities({ candidates: c, teachers: t, n: N, comparator: 'spearman', resamples: 5, seed: 1 });
    const b = await bootstrapSimilarities({ candidates: c, teachers: t, n: N, comparator: 'spearman', resamples: 5, seed: 1 });
    const d = await bootstrapSimilarities({ candidates: c, teachers: t, n: N, comparator: 'spearman', resamples: 5, seed: 2 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, d);
  });

  it('normalised TG interval divides by the ceilings; p(best) of a clear winner is 1', async () => {
    const candidates = [rdmLike(N, base, 0.05, 1), rdmLike(N, base, 3, 2)];
    const teachers = [rdmLike(N, base, 0.05, 3)];
    const sims = await bootstrapSimilarities({ candidates, teachers, n: N, comparator: 'pearson', resamples: 30, seed: 4 });
    const s = summariseBootstrap(sims, 2, 1, { resamples: 30, seed: 4, ceilings: [0.5] }, bestRows([1, 0], 2, 1));
    assert.deepEqual(s.pBest, [1]);
    assert.ok(Math.abs(s.tgNormalizedLow - s.tgLow / 0.5) < 1e-12 && Math.abs(s.tgNormalizedHigh - s.tgHigh / 0.5) < 1e-12);
  });

  for (const native of paths) {
    it(`is abortable between slices (${native})`, async () => {
      const c = [rdmLike(N, base, 0.5, 1)];
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      await assert.rejects(
        bootstrapSimilarities({ candidates: c, teachers: c, n: N, comparator: 'spearman', resamples: 100_000, seed: 1, signal: controller.signal, native }),
        { name: 'AbortError' },
      );
    });
  }

  it('rejects Kendall, CKA and out-of-range counts, naming the field', () => {
    for (const [k, c] of [[10, 'kendall'], [10, 'cka'], [-1, 'spearman'], [1e9, 'spearman'], [1.5, 'spearman']] as const) {
      assert.throws(() => checkBootstrap(k, c, 'header.bootstrap'), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes('header.bootstrap'));
    }
    checkBootstrap(0, 'kendall', 'header.bootstrap');
  });
});
