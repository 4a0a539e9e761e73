// The analysis as a self-contained HTML report (inline CSS and SVG, no scripts, nothing fetched) and a PNG figure:
//   A. Spearman with final P against the evaluation budget, with 95% bands, for early P, TG, P+TG at the default
//      alpha, and the cross-validated P+TG (held-out), with the noise floor of "final" as a dashed line;
//   L. each teacher layer's TG alone against the budget, beside TG over every layer and early P (which layers to
//      count in TG: a teacher's tg_layers);
//   C, D. early P and early TG against final P at one budget (one point per architecture);
//   B. A among the better half of the architectures;
//   R. the regret of random search of n keeping the best by early P, TG, P+TG and the cross-validated P+TG, against
//      the budget (what a search loses by judging early).
// Tables: Spearman / Kendall / difference from P of every predictor at every budget, the better half, what
// cross-validation chose, and the pick regrets.

import { escapeXml as esc } from '../controller/report/svg.ts';
import { referenceAlpha, type Analysis, type BudgetAnalysis, type Correlation, type PickRegret } from './analyze.ts';
import type { Match, ReplayReport, SettingResult } from './replay.ts';
import type { Interval } from './stats.ts';
import { panelSvg, panelsPng, type Panel, type PlotSeries } from './plot/plot.ts';

export const COLORS = { p: '#2f6db5', tg: '#e07b1f', ptg: '#2a9d55', cv: '#8e44ad', floor: '#999999' };
/** One per teacher layer (first to last), apart from the colours above. */
const LAYER_COLORS = ['#9ecae1', '#6baed6', '#c0392b', '#16a085', '#5b2c6f', '#d4ac0d', '#7f8c8d', '#1b4f72'];

const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
const ci = (i: Interval): string => (Number.isFinite(i.lo) ? `[${f2(i.lo)}, ${f2(i.hi)}]` : '');
/** Accuracy fractions in points (0.0125 -> "1.25"). */
const pp = (v: number): string => (Number.isFinite(v) ? (100 * v).toFixed(2) : '–');
const ppci = (i: Interval): string => (Number.isFinite(i.lo) ? `[${pp(i.lo)}, ${pp(i.hi)}]` : '');

function largestPick(a: Analysis): number | undefined {
  const sizes = a.budgets.flatMap((b) => b.picks?.map((pk) => pk.n) ?? []);
  return sizes.length ? Math.max(...sizes) : undefined;
}

function primary(a: Analysis): string | undefined {
  return a.budgets.find((b) => b.cv)?.cv?.comparator ?? a.table.comparators[0];
}

function find(b: BudgetAnalysis | { predictors: Correlation[] }, id: string): Correlation | undefined {
  return b.predictors.find((p) => p.id === id);
}

function defaultPtgId(a: Analysis, c: string): string {
  return `P+TG[${c}] a=${referenceAlpha(a.method.alphas)} raw`;
}

function corrSeries(a: Analysis, pick: (b: BudgetAnalysis) => Correlation | undefined, name: string, color: string): PlotSeries {
  const rows = a.budgets.map((b) => ({ step: b.step, c: pick(b) })).filter((r) => r.c && Number.isFinite(r.c.spearman));
  return {
    name,
    color,
    kind: 'line',
    points: rows.map((r) => ({ x: r.step, y: r.c!.spearman, label: `${name} @ ${r.step} steps: ${f2(r.c!.spearman)} ${ci(r.c!.spearmanCI)} (n ${r.c!.n})` })),
    band: rows.map((r) => ({ x: r.step, lo: r.c!.spearmanCI.lo, hi: r.c!.spearmanCI.hi })),
  };
}

export function analysisPanels(a: Analysis): Panel[] {
  const c = primary(a);
  const panels: Panel[] = [];
  const hlines = a.noiseFloor ? [{ y: a.noiseFloor.spearman, label: `seed-to-seed ${f2(a.noiseFloor.spearman)}`, color: COLORS.floor }] : [];
  const main: PlotSeries[] = [corrSeries(a, (b) => find(b, 'P'), 'P', COLORS.p)];
  const half: PlotSeries[] = [corrSeries(a, (b) => find(b.betterHalf, 'P'), 'P', COLORS.p)];
  if (c) {
    const ptg = defaultPtgId(a, c);
    const alpha = ptg.split('a=')[1]!.split(' ')[0];
    main.push(corrSeries(a, (b) => find(b, `TG[${c}]`), 'TG', COLORS.tg));
    main.push(corrSeries(a, (b) => find(b, ptg), `P+TG a=${alpha}`, COLORS.ptg));
    const cv = corrSeries(
      a,
      (b) => (b.cv ? ({ ...b.cv.heldOut, id: 'cv', kind: 'ptg' } as Correlation) : undefined),
      'P+TG CV held-out',
      COLORS.cv,
    );
    cv.dashed = true;
    if (cv.points.length) main.push(cv);
    half.push(corrSeries(a, (b) => find(b.betterHalf, `TG[${c}]`), 'TG', COLORS.tg));
    half.push(corrSeries(a, (b) => find(b.betterHalf, ptg), `P+TG a=${alpha}`, COLORS.ptg));
  }
  panels.push({ title: 'Rank correlation with final accuracy', xLabel: 'training steps (log)', yLabel: 'Spearman', logX: true, series: main, hlines });
  if (c) {
    const layerSpecs = (a.budgets[0]?.predictors ?? []).filter((p) => p.kind === 'layer' && p.comparator === c);
    const lines = layerSpecs.map((spec, k) => {
      const s = corrSeries(a, (b) => find(b, spec.id), spec.layer ?? spec.id, LAYER_COLORS[k % LAYER_COLORS.length]!);
      delete s.band; // five bands on one panel hide each other: the tables have the intervals
      return s;
    });
    const all = { ...corrSeries(a, (b) => find(b, `TG[${c}]`), 'TG (every layer)', COLORS.tg), dashed: true };
    const p = { ...corrSeries(a, (b) => find(b, 'P'), 'P', COLORS.p), dashed: true };
    delete all.band;
    delete p.band;
    if (lines.length > 1) {
      panels.push({ title: `Each teacher layer alone (${c})`, xLabel: 'training steps (log)', yLabel: 'Spearman', logX: true, series: [p, all, ...lines] });
    }
  }
  if (a.scatter) {
    const s = a.scatter;
    const pts = (key: 'p' | 'tg') => s.points.map((q) => ({ x: q[key], y: q.final, label: `architecture ${q.architecture}: ${key} ${f2(q[key])}, final ${q.final.toFixed(3)}` }));
    panels.push({ title: `Early P at ${s.step} steps`, xLabel: `P at ${s.step} steps`, yLabel: 'final P', series: [{ name: 'architecture', color: COLORS.p, kind: 'points', points: pts('p') }] });
    panels.push({ title: `Early TG at ${s.step} steps`, xLabel: `TG (${s.comparator}) at ${s.step} steps`, yLabel: 'final P', series: [{ name: 'architecture', color: COLORS.tg, kind: 'points', points: pts('tg') }] });
  }
  panels.push({ title: 'Among the better half', xLabel: 'training steps (log)', yLabel: 'Spearman', logX: true, series: half });
  const n = largestPick(a);
  if (c && n !== undefined) {
    const series = (id: string, name: string, color: string, dashed = false): PlotSeries => {
      const rows = a.budgets
        .map((b) => ({ step: b.step, x: b.picks?.find((pk) => pk.n === n)?.predictors.find((q) => q.id === id) }))
        .filter((r): r is { step: number; x: PickRegret } => !!r.x && Number.isFinite(r.x.regret));
      return {
        name,
        color,
        kind: 'line',
        ...(dashed ? { dashed } : {}),
        points: rows.map((r) => ({ x: r.step, y: 100 * r.x.regret, label: `${name} @ ${r.step} steps: ${pp(r.x.regret)} points ${ppci(r.x.regretCI)}` })),
        band: rows.map((r) => ({ x: r.step, lo: 100 * r.x.regretCI.lo, hi: 100 * r.x.regretCI.hi })),
      };
    };
    const ptg = defaultPtgId(a, c);
    panels.push({
      title: `Regret of the best of ${n}, kept early`,
      xLabel: 'training steps (log)',
      yLabel: 'points below the best of the n',
      logX: true,
      series: [
        series('P', 'P', COLORS.p),
        series(`TG[${c}]`, 'TG', COLORS.tg),
        series(ptg, `P+TG a=${ptg.split('a=')[1]!.split(' ')[0]}`, COLORS.ptg),
        series(`CV[${c}]`, 'P+TG CV held-out', COLORS.cv, true),
      ].filter((x) => x.points.length),
    });
  }
  return panels;
}

export function analysisPng(a: Analysis): Buffer {
  return panelsPng(analysisPanels(a), { cols: 2, width: 620, height: 360 });
}

const CSS = `:root{--fg:#1d2330;--muted:#6b7280;--line:#e5e7eb;--bg:#fff}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1340px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 16px}h2{font-size:17px;margin:28px 0 10px}h3{font-size:15px;margin:18px 0 8px}
.kv th{text-align:left;color:var(--muted);font-weight:500;padding:3px 16px 3px 0;vertical-align:top}.kv td{padding:3px 0}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{max-width:100%;height:auto}
.grid{stroke:var(--line)}.axis{stroke:#9ca3af}.ctitle{font-weight:600;font-size:14px}.tick{font-size:11px;fill:var(--muted)}.alabel{font-size:12px;fill:var(--muted)}.legend text{font-size:12px}
table.m{border-collapse:collapse;font-size:12px}table.m th,table.m td{padding:3px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
table.m th{color:var(--muted);font-weight:500;text-align:left}table.m td{text-align:right;font-variant-numeric:tabular-nums}
.ci{color:var(--muted)}.pos{color:#1a7f37;font-weight:600}.neg{color:#b42318;font-weight:600}.muted{color:var(--muted)}
.note{color:var(--muted);max-width:900px}footer{color:var(--muted);font-size:12px;margin-top:28px}`;

function matrix(a: Analysis, rows: string[], pick: (b: BudgetAnalysis, id: string) => Correlation | undefined, value: 'spearman' | 'kendall' | 'delta'): string {
  const head = `<tr><th>predictor</th>${a.budgets.map((b) => `<th>${b.step} steps</th>`).join('')}</tr>`;
  const body = rows
    .map((id) => {
      const cells = a.budgets.map((b) => {
        const c = pick(b, id);
        if (!c) return '<td></td>';
        const [v, i] = value === 'spearman' ? [c.spearman, c.spearmanCI] : value === 'kendall' ? [c.kendall, c.kendallCI] : [c.deltaVsP, c.deltaVsPCI];
        const cls = value === 'delta' && id !== 'P' ? (i.lo > 0 ? 'pos' : i.hi < 0 ? 'neg' : '') : '';
        return `<td><span class="${cls}">${f2(v)}</span> <span class="ci">${ci(i)}</span></td>`;
      });
      return `<tr><th>${esc(id)}</th>${cells.join('')}</tr>`;
    })
    .join('');
  return `<table class="m">${head}${body}</table>`;
}

function pickTable(a: Analysis): string {
  const sizes = [...new Set(a.budgets.flatMap((b) => b.picks?.map((pk) => pk.n) ?? []))].sort((x, y) => x - y);
  if (!sizes.length) return '<p class="muted">Too few architectures for the pick statistics.</p>';
  const ids = [...new Set(a.budgets.flatMap((b) => b.picks?.flatMap((pk) => pk.predictors.map((x) => x.id)) ?? []))];
  const head = `<tr><th>n</th><th>predictor</th>${a.budgets.map((b) => `<th>${b.step} steps</th>`).join('')}</tr>`;
  const body = sizes
    .flatMap((n) => [
      `<tr><th>${n}</th><th class="muted">best of ${n}</th>${a.budgets.map((b) => `<td>${b.picks?.find((pk) => pk.n === n)?.best.toFixed(3) ?? ''}</td>`).join('')}</tr>`,
      ...ids.map((id) => {
        const cells = a.budgets.map((b) => {
          const x = b.picks?.find((pk) => pk.n === n)?.predictors.find((q) => q.id === id);
          if (!x) return '<td></td>';
          const cls = id === 'P' ? '' : x.gainVsPCI.lo > 0 ? 'pos' : x.gainVsPCI.hi < 0 ? 'neg' : '';
          const gain = id === 'P' ? '' : ` <span class="${cls}">${x.gainVsP >= 0 ? '+' : ''}${pp(x.gainVsP)}</span> <span class="ci">${ppci(x.gainVsPCI)}</span>`;
          return `<td>${pp(x.regret)}${gain}</td>`;
        });
        return `<tr><th></th><th>${esc(id)}</th>${cells.join('')}</tr>`;
      }),
    ])
    .join('');
  return `<table class="m">${head}${body}</table>`;
}

function cvTable(a: Analysis): string {
  const rows = a.budgets.filter((b) => b.cv);
  if (!rows.length) return '<p class="muted">Too few architectures for cross-validation (need at least 2 per fold).</p>';
  const choice = (c: { layers: string[]; alpha: number; mode: string }) =>
    c.alpha === 0 ? 'P alone' : c.alpha === 1 ? `TG(${c.layers.join('+')})` : `a=${c.alpha} ${c.mode}, TG(${c.layers.join('+')})`;
  return `<table class="m"><tr><th>budget</th><th>held-out Spearman</th><th>Kendall</th><th>minus P</th><th>mean per fold</th><th>chosen (times)</th><th>whole-set choice (not scored)</th></tr>${rows
    .map((b) => {
      const cv = b.cv!;
      const h = cv.heldOut;
      const cls = h.deltaVsPCI.lo > 0 ? 'pos' : h.deltaVsPCI.hi < 0 ? 'neg' : '';
      return `<tr><th>${b.step}</th><td>${f2(h.spearman)} <span class="ci">${ci(h.spearmanCI)}</span></td><td>${f2(h.kendall)} <span class="ci">${ci(h.kendallCI)}</span></td><td><span class="${cls}">${f2(h.deltaVsP)}</span> <span class="ci">${ci(h.deltaVsPCI)}</span></td><td>${f2(cv.meanFoldSpearman)}</td><td style="text-align:left">${cv.chosen
        .slice(0, 4)
        .map((c) => `${esc(choice(c.choice))} (${c.count})`)
        .join('<br>')}</td><td style="text-align:left">${esc(choice(cv.fullData))} <span class="ci">${f2(cv.fullData.spearman)}</span></td></tr>`;
    })
    .join('')}</table>`;
}

export function renderAnalysisHtml(a: Analysis, o: { source?: string; generatedAt?: Date } = {}): string {
  const c = primary(a);
  const t = a.table;
  const ids = a.budgets[0]?.predictors.map((p) => p.id) ?? [];
  const main = ids.filter((id) => !id.includes(':') && (!id.startsWith('P+TG') || (c && id === defaultPtgId(a, c))));
  const layers = ids.filter((id) => id.includes(':'));
  const grid = ids.filter((id) => id.startsWith('P+TG'));
  const svgs = analysisPanels(a).map((p) => panelSvg(p, 600, 340)).join('\n');
  const nf = a.noiseFloor;
  const kv: [string, string][] = [
    ['Table', `${esc(o.source ?? '')} <span class="muted">${t.rows} rows, ${t.architectures} architectures, ${t.finished} with a final P, ${t.multiSeed} with two or more seeds</span>`],
    ['Space / dataset / teacher', `${esc(t.space)} / ${esc(t.dataset)} / ${esc(t.teacher)} (layers ${esc(t.teacherLayers.join(', '))})`],
    ['Budgets', `${t.evalSteps.join(', ')} steps (final ${t.finalSteps})`],
    ['Comparators', esc(t.comparators.join(', ') || 'none')],
    ['Correlations', esc(a.method.correlations)],
    ['Intervals', `${esc(a.method.interval)}, ${a.method.resamples} resamples, ${a.method.level * 100}%, seed ${a.method.seed}`],
    ['Early scores', esc(a.method.early)],
    ['Noise floor of "final"', nf ? `Spearman ${f2(nf.spearman)} ${ci(nf.spearmanCI)}, Kendall ${f2(nf.kendall)} ${ci(nf.kendallCI)} between two training seeds (${nf.n} architectures)` : 'no architecture has two finished seeds'],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>tgsage analysis: ${esc(t.space)} / ${esc(t.dataset)}</title><style>${CSS}</style></head><body><main>
<h1>Does teacher guidance predict final accuracy?</h1>
<table class="kv">${kv.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>
<h2>Figures</h2><div class="charts">${svgs}</div>
<p class="note">Bands are 95% percentile bootstrap intervals over architectures. "P+TG CV held-out" is the teacher-layer subset and alpha chosen on training folds and scored only on held-out architectures. In "minus P" columns, green marks a predictor whose paired interval lies above early P's, red below.</p>
<h2>Spearman with final P</h2>${matrix(a, main, (b, id) => find(b, id), 'spearman')}
<h3>Kendall tau-b</h3>${matrix(a, main, (b, id) => find(b, id), 'kendall')}
<h3>Minus early P's Spearman (paired)</h3>${matrix(a, [...main, ...grid.filter((g) => !main.includes(g))], (b, id) => find(b, id), 'delta')}
<h2>Each teacher layer alone</h2>${matrix(a, layers, (b, id) => find(b, id), 'spearman')}
<h2>P+TG over the alpha grid</h2><p class="note">raw: (1 - a) P + a TG; z: the same on P and TG z-scored within the budget.</p>${matrix(a, grid, (b, id) => find(b, id), 'spearman')}
<h2>Among the better half</h2><p class="note">Architectures with final P above the median (${f2(a.budgets[0]?.betterHalf.threshold ?? Number.NaN)}); ${a.budgets[0]?.betterHalf.n ?? 0} of them at the first budget.</p>${matrix(a, main, (b, id) => find(b.betterHalf, id), 'spearman')}
<h2>Cross-validated choice of teacher layers and alpha</h2><p class="note">${a.budgets.find((b) => b.cv)?.cv?.folds ?? ''}-fold over architectures, ${c ? esc(c) : ''} comparator: on each training fold the (layer subset, alpha, raw/z) with the best Spearman is chosen and scores the held-out fold only; held-out scores, standardised with their training fold's mean and sd, are pooled over the folds. The interval is over the pooled architectures and leaves out the choice's own variability (see the per-fold mean).</p>${cvTable(a)}
<h2>Keeping the best of n</h2><p class="note">Random search of n architectures, trained to the budget, keeping the one with the best early score: the regret is how many points of final accuracy the kept one falls below the best of the n (what training all n to the end would keep), expected over every draw of n (exact, not simulated). Beside each predictor: its gain over early P, paired, with the 95% interval (green: keeps better architectures than early P; red: worse). The CV row uses the held-out predictions of the cross-validation; its interval leaves out the choice's own variability.</p>${pickTable(a)}
<footer>tgsage experiment analyze · ${esc((o.generatedAt ?? new Date()).toISOString())}</footer>
</main></body></html>
`;
}

// ---- replays ----

const GUIDE_COLORS = ['#2f6db5', '#e07b1f', '#2a9d55', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d', '#d4ac0d'];

/** Settings grouped by what proposes (strategy, or halving). */
function replayGroups(r: ReplayReport): Map<string, SettingResult[]> {
  const groups = new Map<string, SettingResult[]>();
  for (const x of r.results) {
    const key = x.setting.halving ? `halving ${x.setting.halving.budgets.join('/')}` : x.setting.strategy;
    groups.set(key, [...(groups.get(key) ?? []), x]);
  }
  return groups;
}

export function replayPanels(r: ReplayReport): Panel[] {
  return [...replayGroups(r)].map(([group, xs]) => ({
    title: `${group}: best final accuracy found`,
    xLabel: 'training steps spent (log)',
    yLabel: 'final P of the pick',
    logX: true,
    hlines: [{ y: r.oracle, label: `best in table ${r.oracle.toFixed(3)}`, color: COLORS.floor }],
    series: xs.map((x, i) => {
      const label = x.setting.name.split(' / ').slice(1).join(' / ') || x.setting.name;
      const keep = x.grid.map((g, k) => ({ g, m: x.median[k]!, lo: x.q25[k]!, hi: x.q75[k]! })).filter((p) => Number.isFinite(p.m));
      return {
        name: label,
        color: GUIDE_COLORS[i % GUIDE_COLORS.length]!,
        kind: 'line' as const,
        points: keep.map((p) => ({ x: p.g, y: p.m, label: `${x.setting.name}: median ${p.m.toFixed(3)} [${f2(p.lo)}, ${f2(p.hi)}] at ${p.g} steps` })),
        band: keep.map((p) => ({ x: p.g, lo: p.lo, hi: p.hi })),
      };
    }),
  }));
}

export function replayPng(r: ReplayReport): Buffer {
  return panelsPng(replayPanels(r), { cols: 2, width: 620, height: 360 });
}

const steps = (v: number): string => (Number.isFinite(v) ? String(Math.round(v)) : 'never');
const ratio = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '–');

export function replaySection(r: ReplayReport): string {
  const rows = r.results
    .map((x) => {
      const m = (mm: Match | undefined) =>
        mm ? `${ratio(mm.ratio)} <span class="ci">${steps(mm.steps)} vs ${steps(mm.referenceSteps)} steps to ${mm.target.toFixed(3)}</span>` : '';
      return `<tr><th>${esc(x.setting.name)}</th><td>${x.endMedian.toFixed(3)}</td><td>${steps(x.endSteps)}</td><td style="text-align:left">${m(x.vsP)}</td><td style="text-align:left">${m(x.vsFull)}</td></tr>`;
    })
    .join('');
  return `<h2>Search efficiency (replays on the table)</h2>
<p class="note">${r.replays} seeded replays per setting (seeds ${r.seed} to ${r.seed + r.replays - 1}), ${r.arms} architectures, at most ${r.maxSteps} training steps each, proposals in batches of ${r.batch}. Mapping: ${esc(r.mapping)}. A query at budget b costs b steps; halving continues promoted architectures (rung r costs the extra steps). The pick of a strategy search is the architecture with the best guidance score; of halving, the best final-rung architecture by P. Lines: median final P of the pick across replays; bands: interquartile range. Best final P in the table: ${r.oracle.toFixed(3)}; median architecture: ${r.medianArm.toFixed(3)}.</p>
<div class="charts">${replayPanels(r).map((p) => panelSvg(p, 600, 340)).join('\n')}</div>
<table class="m"><tr><th>setting</th><th>median final P at the end</th><th>median steps spent</th><th>compute to match P at the same budget</th><th>compute to match P after full training</th></tr>${rows}</table>
<p class="note">"Compute to match": the steps this setting's median needs to reach the best median of the reference, over the steps the reference's median needs (below 1x: cheaper).</p>`;
}

export function renderReplayHtml(r: ReplayReport, o: { source?: string; generatedAt?: Date } = {}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>tgsage replays</title><style>${CSS}</style></head><body><main>
<h1>Search efficiency on ${esc(o.source ?? 'a benchmark table')}</h1>
${replaySection(r)}
<footer>tgsage experiment replay · ${esc((o.generatedAt ?? new Date()).toISOString())}</footer>
</main></body></html>
`;
}
