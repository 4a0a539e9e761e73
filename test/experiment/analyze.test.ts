// The analysis on synthetic tables of known structure: every correlation re-derived here from the raw table with
// scipy (float64), the structure recovered (the constant `stem` layer undefined, the informative layer strong, CV
// choosing subsets without stem and never scoring on its own training folds), partial tables, bad input.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { analyzeTable, layerSubsets, type Analysis } from '../../services/experiment/analyze.ts';
import { checkTable } from '../../services/experiment/table-io.ts';
import { tgOf } from '../../services/experiment/table.ts';
import { syntheticTable } from './synthetic-table.ts';

const PY = '/usr/bin/python3';
const hasScipy = spawnSync(PY, ['-c', 'import scipy.stats'], { stdio: 'ignore' }).status === 0;

describe('experiment analyze', () => {
  const table = syntheticTable({ seed: 1, architectures: 40, twoSeeds: 12, rhoTg: [0.9, 0.9, 0.9, 0.9], rhoP: [0.2, 0.5, 0.8, 1] });
  let a: Analysis;
  before(async () => {
    a = await analyzeTable(table, { resamples: 100, seed: 3, folds: 4, alphas: [0.25, 0.5, 0.75] });
  });

  it('reports every budget, predictor and the noise floor', async () => {
    assert.equal(a.table.architectures, 40);
    assert.equal(a.table.rows, 52);
    assert.equal(a.table.multiSeed, 12);
    assert.deepEqual(a.budgets.map((b) => b.step), [10, 30, 100, 300]);
    const ids = a.budgets[0]!.predictors.map((p) => p.id);
    assert.ok(ids.includes('P') && ids.includes('TG[spearman]') && ids.includes('TG[cka_linear:good]') && ids.includes('P+TG[spearman] a=0.5 z'));
    assert.equal(ids.length, 1 + 2 * (1 + 3 + 2 * 3));
    assert.ok(a.noiseFloor && a.noiseFloor.n === 12 && a.noiseFloor.spearman > 0.5, JSON.stringify(a.noiseFloor));
  });

  it('recovers the known structure: stem undefined, the good layer strong, early P weak at 10 steps', async () => {
    const b0 = a.budgets[0]!;
    const get = (id: string) => b0.predictors.find((p) => p.id === id)!;
    assert.ok(Number.isNaN(get('TG[spearman:stem]').spearman), 'a constant layer has no rank correlation');
    assert.ok(get('TG[spearman:good]').spearman > 0.7, String(get('TG[spearman:good]').spearman));
    assert.ok(get('P').spearman < 0.5);
    const good = get('TG[spearman:good]');
    assert.ok(good.deltaVsPCI.lo > 0, `good layer beats P at 10 steps: ${JSON.stringify(good.deltaVsPCI)}`);
    for (const p of b0.predictors.filter((q) => Number.isFinite(q.spearman))) {
      assert.ok(p.spearmanCI.lo <= p.spearman + 1e-9 && p.spearman - 1e-9 <= p.spearmanCI.hi || p.spearmanCI.valid < 100, `${p.id} ${JSON.stringify(p)}`);
      assert.ok(p.spearmanCI.lo >= -1 && p.spearmanCI.hi <= 1);
    }
  });

  it('cross-validation chooses subsets with the good layer and scores held-out folds only', async () => {
    const cv = a.budgets[0]!.cv!;
    assert.ok(cv, 'cv ran');
    assert.equal(cv.chosen.reduce((s, c) => s + c.count, 0), 4);
    for (const c of cv.chosen) assert.ok(c.choice.layers.includes('good'), JSON.stringify(c));
    assert.ok(cv.heldOut.n === 40 && cv.heldOut.spearman > 0.5, JSON.stringify(cv.heldOut));
    assert.ok(cv.fullData.layers.includes('good'));
    // Held-out is below the in-sample choice's score (it never saw the architectures it is scored on)... usually;
    // what must hold is that it is a different number computed on held-out data.
    assert.notEqual(cv.heldOut.spearman, cv.fullData.spearman);
    assert.equal(cv.candidates, 1 + layerSubsets(3).length * (2 * 3 + 1));
  });

  it('where TG carries nothing, CV falls back to P and held-out P+TG does not beat P', async () => {
    const t = syntheticTable({ seed: 2, architectures: 40, rhoTg: [0, 0, 0, 0], rhoP: [0.9, 0.9, 0.9, 1] });
    const r = await analyzeTable(t, { resamples: 100, seed: 1, folds: 4, alphas: [0.5] });
    const cv = r.budgets[0]!.cv!;
    const pShare = cv.chosen.filter((c) => c.choice.alpha === 0).reduce((s, c) => s + c.count, 0);
    assert.ok(pShare >= 2, JSON.stringify(cv.chosen));
    assert.ok(cv.heldOut.deltaVsPCI.hi >= 0 && cv.heldOut.deltaVsP < 0.1, JSON.stringify(cv.heldOut));
    // Where every fold chose P alone, the pooled held-out prediction ranks exactly as P (one common scale).
    let checked = 0;
    for (const b of r.budgets) {
      if (!b.cv || b.cv.chosen.some((c) => c.choice.alpha !== 0)) continue;
      const p = b.predictors.find((x) => x.id === 'P')!;
      assert.ok(Math.abs(b.cv.heldOut.spearman - p.spearman) < 1e-12, `${b.step}: ${b.cv.heldOut.spearman} vs ${p.spearman}`);
      checked++;
    }
    assert.ok(checked >= 1, 'some budget chose P in every fold');
    // The final budget's P is final P itself: it always keeps the best of what a random search drew; TG cannot do better.
    const last = r.budgets[r.budgets.length - 1]!;
    for (const pick of last.picks!) {
      const get = (id: string) => pick.predictors.find((x) => x.id === id)!;
      assert.equal(get('P').regret, 0);
      assert.ok(get('TG[spearman]').regret > 0 && get('TG[spearman]').gainVsP < 0, JSON.stringify(get('TG[spearman]')));
    }
  });

  it('pick regrets: a strong teacher layer keeps better architectures than weak early P; intervals bracket the point', async () => {
    const b0 = a.budgets[0]!;
    assert.deepEqual(b0.picks!.map((x) => x.n), [10, 30]);
    assert.deepEqual(
      b0.picks![0]!.predictors.map((x) => x.id),
      ['P', 'TG[spearman]', 'P+TG[spearman] a=0.5 raw', 'TG[cka_linear]', 'P+TG[cka_linear] a=0.5 raw', 'CV[spearman]'],
    );
    for (const pick of b0.picks!) {
      const tg = pick.predictors.find((x) => x.id === 'TG[spearman]')!;
      assert.ok(tg.gainVsP > 0 && tg.gainVsPCI.lo > 0, `n=${pick.n}: ${JSON.stringify(tg)}`);
      for (const x of pick.predictors) {
        assert.ok(x.regret >= 0 && x.regretCI.lo <= x.regret + 1e-12 && x.regret - 1e-12 <= x.regretCI.hi, `${x.id}: ${JSON.stringify(x)}`);
      }
    }
    // Sizes at or above the number of architectures are left out; bad sizes name the field.
    const small = await analyzeTable(table, { resamples: 20, folds: 4, pickSizes: [5, 40, 50] });
    assert.deepEqual(small.budgets[0]!.picks!.map((x) => x.n), [5]);
    await assert.rejects(analyzeTable(table, { pickSizes: [1] }), /pick_sizes\[0\]/);
  });

  it('every correlation equals scipy on values re-derived from the raw table', { skip: !hasScipy && 'no scipy' }, async () => {
    const archKeys = [...new Set(table.runs.map((r) => r.genomeKey))];
    const cases: { x: number[]; y: number[]; id: string; step: number; half: boolean }[] = [];
    for (const b of a.budgets) {
      const xsFor = (keys: string[]) => {
        const rows = keys.map((k) => table.runs.filter((r) => r.genomeKey === k).sort((x, y) => x.trainingSeed - y.trainingSeed));
        const final = rows.map((rs) => rs.reduce((s, r) => s + r.finalP, 0) / rs.length);
        const pt = rows.map((rs) => rs[0]!.curve.find((c) => c.step === b.step)!);
        return { final, pt };
      };
      const all = xsFor(archKeys);
      const sortedFinal = [...all.final].sort((x, y) => x - y);
      const thr = sortedFinal[Math.floor((sortedFinal.length - 1) / 2)]!;
      const topKeys = archKeys.filter((_, i) => all.final[i]! > thr);
      for (const [half, keys] of [[false, archKeys], [true, topKeys]] as const) {
        const { final, pt } = xsFor(keys);
        cases.push({ id: 'P', step: b.step, half, x: pt.map((c) => c.p), y: final });
        const tg = pt.map((c) => tgOf(c.similarity.cka_linear!));
        cases.push({ id: 'TG[cka_linear]', step: b.step, half, x: tg, y: final });
        cases.push({ id: 'TG[cka_linear:good]', step: b.step, half, x: pt.map((c) => c.similarity.cka_linear!.matrix[0]![1]!), y: final });
        cases.push({ id: 'P+TG[cka_linear] a=0.75 raw', step: b.step, half, x: pt.map((c, i) => 0.25 * c.p + 0.75 * tg[i]!), y: final });
        cases.push({ id: 'P+TG[cka_linear] a=0.5 raw', step: b.step, half, x: pt.map((c, i) => 0.5 * c.p + 0.5 * tg[i]!), y: final });
        const z = (v: number[]) => {
          const m = v.reduce((s, x) => s + x, 0) / v.length;
          const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
          return v.map((x) => (x - m) / sd);
        };
        const zp = z(pt.map((c) => c.p));
        const zt = z(tg);
        cases.push({ id: 'P+TG[cka_linear] a=0.25 z', step: b.step, half, x: zp.map((v, i) => 0.75 * v + 0.25 * zt[i]!), y: final });
      }
    }
    const script = `
import json, sys
from scipy.stats import spearmanr, kendalltau
print(json.dumps([[float(spearmanr(c['x'], c['y']).statistic), float(kendalltau(c['x'], c['y']).statistic)] for c in json.load(sys.stdin)]))`;
    const r = spawnSync(PY, ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as [number, number][];
    cases.forEach((c, i) => {
      const b = a.budgets.find((x) => x.step === c.step)!;
      const got = (c.half ? b.betterHalf.predictors : b.predictors).find((p) => p.id === c.id)!;
      assert.equal(got.n, c.x.length);
      assert.ok(Math.abs(got.spearman - ref[i]![0]) < 1e-9, `${c.id}@${c.step}${c.half ? ' half' : ''}: ${got.spearman} vs ${ref[i]![0]}`);
      assert.ok(Math.abs(got.kendall - ref[i]![1]) < 1e-9, `${c.id}@${c.step}: kendall ${got.kendall} vs ${ref[i]![1]}`);
    });
    // Pick regrets against exact rational arithmetic, written per architecture (the probability that it is the pick:
    // drawn, nothing above it drawn, and chosen among the t drawn of its tie group), not per tie group as stats.ts.
    const pickCases = cases.filter((c) => !c.half && c.id !== 'TG[cka_linear:good]' && c.id !== 'P+TG[cka_linear] a=0.25 z');
    const pickScript = `
import json, sys
from fractions import Fraction
from math import comb
def pick(score, value, n):
    N = len(score); total = comb(N, n); e = Fraction(0)
    for i in range(N):
        h = sum(1 for s in score if s > score[i]); m = sum(1 for s in score if s == score[i])
        p = sum(Fraction(comb(m - 1, t) * comb(N - h - m, n - 1 - t), total * (t + 1)) for t in range(min(m - 1, n - 1) + 1))
        e += p * Fraction(value[i])
    return e
print(json.dumps([[float(pick(c['y'], c['y'], n) - pick(c['x'], c['y'], n)) for n in (10, 30)] for c in json.load(sys.stdin)]))`;
    const pr = spawnSync(PY, ['-c', pickScript], { input: JSON.stringify(pickCases), encoding: 'utf8' });
    assert.equal(pr.status, 0, pr.stderr);
    const pickRef = JSON.parse(pr.stdout) as number[][];
    const pickId = (id: string) => (id === 'P+TG[cka_linear] a=0.75 raw' ? undefined : id);
    let pickChecked = 0;
    pickCases.forEach((c, i) => {
      const id = pickId(c.id);
      if (!id) return;
      const b = a.budgets.find((x) => x.step === c.step)!;
      b.picks!.forEach((pk, s) => {
        const got = pk.predictors.find((x) => x.id === id)!;
        assert.ok(Math.abs(got.regret - pickRef[i]![s]!) < 1e-12, `regret ${id}@${c.step} n=${pk.n}: ${got.regret} vs ${pickRef[i]![s]}`);
        pickChecked++;
      });
    });
    assert.equal(pickChecked, a.budgets.length * 3 * 2);
    // The noise floor: seed 0 vs seed 1 final P.
    const two = archKeys.map((k) => table.runs.filter((r) => r.genomeKey === k)).filter((rs) => rs.length === 2);
    const rr = spawnSync(PY, ['-c', `import json, sys; from scipy.stats import spearmanr; d = json.load(sys.stdin); print(spearmanr(d[0], d[1]).statistic)`], {
      input: JSON.stringify([two.map((rs) => rs.find((r) => r.trainingSeed === 0)!.finalP), two.map((rs) => rs.find((r) => r.trainingSeed === 1)!.finalP)]),
      encoding: 'utf8',
    });
    assert.ok(Math.abs(a.noiseFloor!.spearman - Number(rr.stdout)) < 1e-9);
  });

  it('handles partial tables: unfinished rows drop out of final, budgets keep what they have', async () => {
    const t = syntheticTable({ seed: 4, architectures: 30, unfinished: 5 });
    const r = await analyzeTable(checkTable(JSON.parse(JSON.stringify(t))), { resamples: 50, folds: 3 });
    assert.equal(r.table.finished, 25);
    assert.ok(r.budgets.every((b) => b.n === 25));
    // An extension that added a budget to only some rows: that budget has fewer architectures.
    const runs = t.runs.map((run, i) => (i % 2 ? { ...run, curve: run.curve.filter((c) => c.step !== 30) } : run));
    const r2 = await analyzeTable({ ...t, runs }, { resamples: 50, folds: 3 });
    assert.ok(r2.budgets.find((b) => b.step === 30)!.n < 20);
    // NaN written as JSON null (a diverged evaluation, a constant activation): that point drops out, nothing breaks.
    const j = JSON.parse(JSON.stringify(t));
    j.runs[0].curve[0].p = null;
    j.runs[1].curve[0].similarity.spearman.matrix[0][1] = null;
    const r3 = await analyzeTable(checkTable(j), { resamples: 20, folds: 3 });
    assert.equal(r3.budgets[0]!.n, 24);
    assert.equal(r3.budgets[0]!.predictors.find((p) => p.id === 'TG[spearman:good]')!.n, 23);
  });

  it('rejects bad tables and options naming the field', async () => {
    const t = syntheticTable({ seed: 5, architectures: 10 });
    const bad = JSON.parse(JSON.stringify(t));
    bad.runs[3].curve[1].similarity.spearman.matrix[0] = [1, 2];
    assert.throws(() => checkTable(bad), /table\.runs\[3\]\.curve\[1\]\.similarity\.spearman\.matrix\[0\]: has 2 columns/);
    assert.throws(() => checkTable({ ...t, format: 'x' }), /table\.format/);
    const bad2 = JSON.parse(JSON.stringify(t));
    bad2.runs[0].curve[0].step = 11;
    assert.throws(() => checkTable(bad2), /runs\[0\]\.curve\[0\]\.step: 11 is not one of/);
    await assert.rejects(analyzeTable(t, { resamples: 0 }), /resamples/);
    await assert.rejects(analyzeTable(t, { comparator: 'cosine' }), /comparator/);
    await assert.rejects(analyzeTable(t, { scatterBudget: 7 }), /scatter_budget/);
  });
});
