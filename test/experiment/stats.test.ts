// The analysis' rank statistics against scipy (float64, /usr/bin/python3) and a naive O(n^2) tau-b written here:
// ties (heavy and joint), constant sides, tiny and huge magnitudes, n = 2.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { bootstrap, expectedPick, finitePairs, kendallTauB, quantileSorted, ranks, spearman, weightedRankPair, weightsOf, zscore } from '../../services/experiment/stats.ts';
import { rng } from '../compute/reference.ts';

const PY = '/usr/bin/python3';
const hasScipy = spawnSync(PY, ['-c', 'import scipy.stats, numpy'], { stdio: 'ignore' }).status === 0;

/** Naive tau-b: concordant minus discordant over sqrt of untied-pair counts. */
function naiveTauB(x: number[], y: number[]): number {
  let c = 0;
  let d = 0;
  let tx = 0;
  let ty = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const a = Math.sign(x[i]! - x[j]!);
      const b = Math.sign(y[i]! - y[j]!);
      if (a === 0 && b === 0) continue;
      if (a === 0) tx++;
      else if (b === 0) ty++;
      else if (a === b) c++;
      else d++;
    }
  }
  return (c - d) / Math.sqrt((c + d + tx) * (c + d + ty));
}

function cases(): { x: number[]; y: number[] }[] {
  const r = rng(42);
  const out: { x: number[]; y: number[] }[] = [];
  for (const n of [2, 3, 7, 30, 101]) {
    // continuous, correlated
    const x = Array.from({ length: n }, () => r.normal());
    out.push({ x, y: x.map((v) => v + r.normal()) });
    // heavy ties on both sides, with joint ties
    const xt = Array.from({ length: n }, () => Math.floor(r.uniform() * 4));
    out.push({ x: xt, y: xt.map((v) => Math.floor(v / 2 + r.uniform() * 2)) });
    // extreme magnitudes
    out.push({ x: x.map((v) => v * 1e300), y: x.map((v) => (v + r.normal()) * 1e-300) });
    // accuracies on a grid of 1/500 (as P is)
    out.push({ x: x.map((v) => Math.round((0.85 + 0.01 * v) * 500) / 500), y: x.map((v) => Math.round((0.5 + 0.1 * (v + r.normal())) * 500) / 500) });
  }
  out.push({ x: [1, 2, 3, 4], y: [4, 3, 2, 1] });
  out.push({ x: [1, 1, 2, 2], y: [1, 2, 1, 2] }); // tau 0 with ties
  return out;
}

describe('rank statistics', () => {
  it('average ranks like scipy rankdata', () => {
    assert.deepEqual([...ranks([3, 1, 3, 2, 3])], [4, 1, 4, 2, 4]);
    assert.deepEqual([...ranks([])], []);
  });

  it('Kendall tau-b equals the naive O(n^2) definition, ties included', () => {
    for (const { x, y } of cases()) {
      const want = naiveTauB(x, y);
      const got = kendallTauB(x, y);
      if (Number.isNaN(want)) assert.ok(Number.isNaN(got));
      else assert.ok(Math.abs(got - want) < 1e-12, `n=${x.length}: ${got} vs ${want}`);
    }
  });

  it('constant sides give NaN, not a number', () => {
    assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
    assert.ok(Number.isNaN(kendallTauB([1, 2, 3], [5, 5, 5])));
    assert.ok(Number.isNaN(spearman([1], [1])));
  });

  it('Spearman and Kendall match scipy.stats in float64', { skip: !hasScipy && 'no scipy' }, () => {
    const cs = cases();
    const script = `
import json, sys, warnings
import numpy as np
from scipy.stats import spearmanr, kendalltau
warnings.simplefilter('ignore')
out = []
for c in json.load(sys.stdin):
    x, y = np.array(c['x'], dtype=np.float64), np.array(c['y'], dtype=np.float64)
    s = spearmanr(x, y).statistic if len(x) > 2 else (np.corrcoef(np.argsort(np.argsort(x)), np.argsort(np.argsort(y)))[0, 1] if len(set(x)) > 1 and len(set(y)) > 1 else float('nan'))
    k = kendalltau(x, y).statistic
    out.append([None if np.isnan(s) else float(s), None if np.isnan(k) else float(k)])
print(json.dumps(out))`;
    const r = spawnSync(PY, ['-c', script], { input: JSON.stringify(cs), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as [number | null, number | null][];
    cs.forEach(({ x, y }, i) => {
      const [s, k] = ref[i]!;
      const gs = spearman(x, y);
      const gk = kendallTauB(x, y);
      if (s === null) assert.ok(Number.isNaN(gs), `case ${i}: spearman ${gs}, scipy nan`);
      else assert.ok(Math.abs(gs - s) < 1e-12, `case ${i} (n=${x.length}): spearman ${gs} vs scipy ${s}`);
      if (k === null) assert.ok(Number.isNaN(gk), `case ${i}: kendall ${gk}, scipy nan`);
      else assert.ok(Math.abs(gk - k) < 1e-12, `case ${i} (n=${x.length}): kendall ${gk} vs scipy ${k}`);
    });
  });

  it('quantiles interpolate like numpy.percentile', { skip: !hasScipy && 'no numpy' }, () => {
    const v = [0.3, -1, 2.5, 7, 7, 0];
    const r = spawnSync(PY, ['-c', `import numpy as np, json; print(json.dumps([float(np.percentile(${JSON.stringify(v)}, q)) for q in (2.5, 50, 97.5)]))`], { encoding: 'utf8' });
    const want = JSON.parse(r.stdout) as number[];
    const sorted = [...v].sort((a, b) => a - b);
    [0.025, 0.5, 0.975].forEach((q, i) => assert.ok(Math.abs(quantileSorted(sorted, q) - want[i]!) < 1e-12));
  });

  it('z-scores are population z-scores; constants become zeros', () => {
    const z = zscore([1, 2, 3, Number.NaN]);
    assert.ok(Math.abs(z[0]! + Math.sqrt(1.5)) < 1e-12 && z[1] === 0 && Number.isNaN(z[3]!));
    assert.deepEqual([...zscore([4, 4])], [0, 0]);
  });

  it('bootstrap: seeded, paired, and the interval of a strong correlation brackets it', () => {
    const r = rng(3);
    const x = Array.from({ length: 60 }, () => r.normal());
    const y = x.map((v) => v + 0.5 * r.normal());
    const stat = (idx: Int32Array) => {
      const xs = Array.from(idx, (i) => x[i]!);
      const ys = Array.from(idx, (i) => y[i]!);
      return [spearman(xs, ys), spearman(xs, xs)];
    };
    const a = bootstrap(60, stat, { resamples: 300, seed: 5 });
    const b = bootstrap(60, stat, { resamples: 300, seed: 5 });
    assert.deepEqual(a, b);
    const s = spearman(x, y);
    assert.ok(a[0]!.lo < s && s < a[0]!.hi && a[0]!.hi - a[0]!.lo < 0.3, JSON.stringify(a[0]));
    assert.equal(a[0]!.valid, 300);
    assert.deepEqual([a[1]!.lo, a[1]!.hi], [1, 1]);
    const c = bootstrap(60, stat, { resamples: 300, seed: 6 });
    assert.notDeepEqual(a[0], c[0]);
  });
});

describe('weighted (bootstrap) rank correlations', () => {
  it('equal spearman / kendallTauB of the expanded resample, ties and NaNs included', () => {
    const r = rng(11);
    for (const n of [3, 10, 41]) {
      for (const kind of ['continuous', 'ties', 'nan'] as const) {
        const x = Array.from({ length: n }, () => (kind === 'ties' ? Math.floor(r.uniform() * 3) : r.normal()));
        const y = x.map((v) => (kind === 'ties' ? Math.floor(v + r.uniform() * 2) : v + r.normal()));
        if (kind === 'nan') x[1] = Number.NaN;
        const pair = weightedRankPair(x, y);
        for (let rep = 0; rep < 20; rep++) {
          const idx = Int32Array.from({ length: n }, () => Math.floor(r.uniform() * n));
          const w = weightsOf(idx, n);
          const [xs, ys] = finitePairs(Array.from(idx, (i) => x[i]!), Array.from(idx, (i) => y[i]!));
          const check = (got: number, want: number, what: string) => {
            if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `${what} ${kind} n=${n}: ${got} vs NaN`);
            else assert.ok(Math.abs(got - want) < 1e-12, `${what} ${kind} n=${n}: ${got} vs ${want}`);
          };
          check(pair.spearman(w), spearman(xs, ys), 'spearman');
          check(pair.kendall(w), kendallTauB(xs, ys), 'kendall');
        }
      }
    }
  });
});

/** Mean over every n-subset of the value of the subset's best-scored unit (ties: mean over the tied drawn units). */
function bruteForcePick(score: number[], value: number[], n: number): number {
  const N = score.length;
  let total = 0;
  let count = 0;
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === n) {
      const best = Math.max(...chosen.map((i) => score[i]!));
      const tied = chosen.filter((i) => score[i] === best);
      total += tied.reduce((s, i) => s + value[i]!, 0) / tied.length;
      count++;
      return;
    }
    for (let i = start; i < N; i++) pick(i + 1, [...chosen, i]);
  };
  pick(0, []);
  return total / count;
}

describe('expected pick of random search (best of n by a score)', () => {
  it('equals the mean over every n-subset, ties included, and the expanded data under bootstrap weights', () => {
    const r = rng(21);
    for (const N of [1, 2, 5, 9, 12]) {
      for (const kind of ['continuous', 'ties'] as const) {
        const score = Array.from({ length: N }, () => (kind === 'ties' ? Math.floor(r.uniform() * 3) : r.normal()));
        const value = score.map((s) => 0.8 + 0.05 * s + 0.02 * r.normal());
        const e = expectedPick(score, value, 0);
        assert.ok(Number.isNaN(e.value()), 'n = 0 is undefined');
        assert.ok(Number.isNaN(expectedPick(score, value, N + 1).value()), 'n > N is undefined');
        for (let n = 1; n <= N; n++) {
          const got = expectedPick(score, value, n).value();
          const want = bruteForcePick(score, value, n);
          assert.ok(Math.abs(got - want) < 1e-12, `${kind} N=${N} n=${n}: ${got} vs ${want}`);
        }
        // n = 1 is the mean; n = N is the best-scored unit (the mean of its ties); the value as its own score gives the
        // expected best of n, which no other score beats.
        const mean = value.reduce((a, b) => a + b, 0) / N;
        assert.ok(Math.abs(expectedPick(score, value, 1).value() - mean) < 1e-12);
        for (let n = 1; n <= N; n++) assert.ok(expectedPick(value, value, n).value() >= expectedPick(score, value, n).value() - 1e-12);
        // bootstrap weights: the same as the resample written out
        for (let rep = 0; rep < 5; rep++) {
          const idx = Int32Array.from({ length: N }, () => Math.floor(r.uniform() * N));
          const w = weightsOf(idx, N);
          for (const n of [1, Math.ceil(N / 2), N]) {
            const got = expectedPick(score, value, n).value(w);
            const want = bruteForcePick(Array.from(idx, (i) => score[i]!), Array.from(idx, (i) => value[i]!), n);
            assert.ok(Math.abs(got - want) < 1e-12, `weighted ${kind} N=${N} n=${n}: ${got} vs ${want}`);
          }
        }
      }
    }
  });

  it('leaves out units without a finite score or value, and keeps its precision at extreme magnitudes', () => {
    const e = expectedPick([3, Number.NaN, 1, 2], [0.9, 0.99, 0.7, Number.POSITIVE_INFINITY], 2);
    // units 0 and 2 remain: any 2 of 2 keep unit 0
    assert.equal(e.value(), 0.9);
    const score = [1e300, -1e300, 5e-324, 0];
    const value = [1e-300, 3e-300, 2e-300, 4e-300];
    const got = expectedPick(score, value, 2).value();
    const want = bruteForcePick(score, value, 2);
    assert.ok(Math.abs(got - want) <= 1e-12 * want, `${got} vs ${want}`);
  });
});
