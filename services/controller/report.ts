// The study report: ONE self-contained HTML file (inline CSS, inline SVG charts, heatmaps as inline PNG data URIs;
// no scripts, nothing fetched), readable offline and attachable anywhere. `tgsage report STUDY > report.html`.
//
// Sections: study summary (config, state, counts, best trial); score per trial (P, TG, P+TG); best-so-far curves of
// P and P+TG over trial number; the top trials with a compact description of each genome; and RDM heatmaps of each
// teacher layer next to the best trial's best-matching layer, with their similarity.

import { comparatorToJSON, type RdmPreview } from '../../gen/tgsage/v1/similarity.ts';
import { searchSpaceToJSON } from '../../gen/tgsage/v1/genome.ts';
import {
  scoreKindToJSON,
  studyStateToJSON,
  TrialState,
  trialStateToJSON,
  TgKind,
  type Study,
  type Trial,
} from '../../gen/tgsage/v1/search_controller.ts';
import { describeGenome, genomeDepth } from './report/genome-text.ts';
import { decodePreview, heatmapPng, VIRIDIS } from './report/png.ts';
import { chart, colorBar, escapeXml as esc, type ChartPoint, type ChartSeries } from './report/svg.ts';
import { DEFAULT_ALPHA, pTg, rankTrials } from './score.ts';
import { originLabel } from './export.ts';
import { DEFAULT_TEACHER_ID } from '../common/ids.ts';
import { studyTeacherLayers, teacherLayersText } from '../teachers/tg-layers.ts';

export interface ReportInput {
  /** The study with its trials (as GetStudy returns it). */
  study: Study;
  /** The teacher's RDM previews, one per teacher layer in the teacher's order (GetRdm rows k*N/size). */
  teacherRdms?: RdmPreview[];
  /** Trials listed in the top table (default 10). */
  top?: number;
  /** Shown in the footer (default: now). */
  generatedAt?: Date;
}

const COLORS = { p: '#2f6db5', tg: '#e07b1f', ptg: '#2a9d55', ceiling: '#8a8a8a' };

/**
 * The noise ceiling of the TG plotted for a study, when its teacher has ceilings: TG is a mean over teacher layers of
 * a best similarity, so its ceiling is the mean of the layers' ceilings; a ceiling-normalised TG's is 1.
 */
export function tgCeiling(study: Study): number | undefined {
  const withCeilings = study.trials.find((t) => (t.similarity?.ceilings.length ?? 0) > 0);
  if (!withCeilings) return undefined;
  if (study.config?.tgKind === TgKind.TG_KIND_CEILING_NORMALIZED) return 1;
  const c = withCeilings.similarity!.ceilings;
  return c.reduce((s, v) => s + v, 0) / c.length;
}

const num = (v: number | undefined, digits = 3): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));
const enumText = (s: string, prefix: string): string => s.replace(prefix, '').toLowerCase();

function summary(study: Study, best: Trial | undefined): string {
  const c = study.config;
  const count = (s: TrialState) => study.trials.filter((t) => t.state === s).length;
  const strategy = c?.strategy?.strategy;
  const mf = c?.multiFidelity;
  const alpha = c?.alpha ?? DEFAULT_ALPHA;
  const rows: Array<[string, string]> = [
    ['Study', `${esc(c?.name || '(unnamed)')} <span class="muted">${esc(study.id)}</span>`],
    ['State', `<span class="state">${esc(enumText(studyStateToJSON(study.state), 'STUDY_STATE_'))}</span>${study.error ? ` – ${esc(study.error)}` : ''}`],
    ['Created', esc(study.createdAt ? study.createdAt.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '–')],
    ['Space', esc(c ? enumText(searchSpaceToJSON(c.space), 'SEARCH_SPACE_') : '–')],
    ['Strategy', strategy ? `${esc(strategy.$case)} <span class="muted">${esc(JSON.stringify(strategy.value))}</span>` : 'random'],
    ['Score', c ? `${esc(enumText(scoreKindToJSON(c.score), 'SCORE_KIND_'))} (alpha ${alpha})` : '–'],
    ['Comparator', c ? esc(enumText(comparatorToJSON(c.comparator), 'COMPARATOR_')) : '–'],
    ['TG', c?.tgKind === TgKind.TG_KIND_CEILING_NORMALIZED ? 'ceiling-normalised (similarity / noise ceiling)' : 'raw similarity'],
    ['Steps per trial', String(c?.stepsPerTrial ?? '–')],
    ['Multi-fidelity', mf?.enabled ? `successive halving, eta ${mf.eta}, ${mf.rungs} rungs, min ${mf.minSteps} steps` : 'off'],
    ['Teacher', esc(c?.teacherId || DEFAULT_TEACHER_ID) + (c ? ` <span class="muted">TG over ${esc(teacherLayersText(studyTeacherLayers(c)))}</span>` : '')],
    ['Dataset', esc(c?.dataset?.name || 'mnist') + (c?.dataset?.numStimuli ? ` (${c.dataset.numStimuli} stimuli)` : '')],
    ['Seed / parallelism', `${c?.seed ?? 0} / ${c?.parallelism ?? 1}`],
  ];
  const counts: Array<[string, number, string]> = [
    ['completed', count(TrialState.TRIAL_STATE_COMPLETED), 'ok'],
    ['failed', count(TrialState.TRIAL_STATE_FAILED), 'bad'],
    ['stopped / pruned', count(TrialState.TRIAL_STATE_STOPPED), ''],
    ['running', count(TrialState.TRIAL_STATE_RUNNING), ''],
    ['pending', count(TrialState.TRIAL_STATE_PENDING), ''],
  ];
  const bestCard = best
    ? `<div class="best"><div class="label">Best trial</div><div class="big">#${best.number}</div>
<div>score <b>${num(best.score)}</b> · P ${num(best.p)} · TG ${num(best.tg)} · P+TG ${num(pTg(alpha, best.p, best.tg))}</div>
<div class="genome">${esc(describeGenome(best.genome))}</div></div>`
    : '<div class="best"><div class="label">Best trial</div><div class="muted">no completed trial yet</div></div>';
  return `<section class="summary"><table class="kv">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>
<div class="side"><div class="counts">${counts
    .map(([k, n, cls]) => `<div class="count ${cls}"><div class="big">${n}</div><div class="label">${k}</div></div>`)
    .join('')}<div class="count"><div class="big">${c?.numTrials ?? '–'}</div><div class="label">planned</div></div></div>${bestCard}</div></section>`;
}

function charts(study: Study): string {
  const alpha = study.config?.alpha ?? DEFAULT_ALPHA;
  const done = study.trials.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETED).sort((a, b) => a.number - b.number);
  const point = (t: Trial, y: number | undefined, what: string): ChartPoint[] =>
    y === undefined || !Number.isFinite(y) ? [] : [{ x: t.number, y, label: `trial #${t.number}: ${what} ${y.toFixed(4)}` }];
  const scatter = chart({
    title: 'Score per trial',
    xLabel: 'trial number',
    yLabel: 'score',
    series: [
      { name: 'P', color: COLORS.p, cls: 'p', kind: 'points', points: done.flatMap((t) => point(t, t.p, 'P')) },
      { name: 'TG', color: COLORS.tg, cls: 'tg', kind: 'points', points: done.flatMap((t) => point(t, t.tg, 'TG')) },
      { name: 'P+TG', color: COLORS.ptg, cls: 'ptg', kind: 'points', points: done.flatMap((t) => point(t, pTg(alpha, t.p, t.tg), 'P+TG')) },
      ...ceilingSeries(study),
    ],
  });
  const bestSoFar = (value: (t: Trial) => number | undefined, what: string): ChartPoint[] => {
    let best = -Infinity;
    return done.flatMap((t) => {
      const v = value(t);
      if (v === undefined || !Number.isFinite(v)) return [];
      best = Math.max(best, v);
      return [{ x: t.number, y: best, label: `best ${what} after trial #${t.number}: ${best.toFixed(4)}` }];
    });
  };
  const curves = chart({
    title: 'Best so far',
    xLabel: 'trial number',
    yLabel: 'best score',
    series: [
      { name: 'best P', color: COLORS.p, cls: 'best-p', kind: 'step', points: bestSoFar((t) => t.p, 'P') },
      { name: 'best P+TG', color: COLORS.ptg, cls: 'best-ptg', kind: 'step', points: bestSoFar((t) => pTg(alpha, t.p, t.tg), 'P+TG') },
    ],
  });
  return `<section class="charts"><div class="card">${scatter}</div><div class="card">${curves}</div></section>`;
}

function ceilingSeries(study: Study): ChartSeries[] {
  const c = tgCeiling(study);
  if (c === undefined) return [];
  const label = `TG noise ceiling ${c.toFixed(4)} (the teacher's split-half reliability${study.config?.tgKind === TgKind.TG_KIND_CEILING_NORMALIZED ? ', TG normalised by it' : ''})`;
  return [{ name: 'TG ceiling', color: COLORS.ceiling, cls: 'ceiling', kind: 'hline', points: [{ x: 0, y: c, label }] }];
}

function topTable(study: Study, top: number): string {
  const alpha = study.config?.alpha ?? DEFAULT_ALPHA;
  const ranked = rankTrials(study.trials).slice(0, top);
  if (ranked.length === 0) return '<section><h2>Top trials</h2><p class="muted">No completed trials.</p></section>';
  const rows = ranked
    .map(
      (t, i) => `<tr><td>${i + 1}</td><td>#${t.number}</td><td class="num"><b>${num(t.score)}</b></td><td class="num">${num(t.p)}</td>
<td class="num">${num(t.tg)}</td><td class="num">${num(pTg(alpha, t.p, t.tg))}</td><td class="num">${t.steps}${t.rung ? ` (r${t.rung})` : ''}</td>
<td class="num">${t.parameterCount ? t.parameterCount.toLocaleString('en-US') : '–'}</td><td class="num">${genomeDepth(t.genome) ?? '–'}</td>
<td>${esc(originLabel(t))}</td><td class="genome">${esc(describeGenome(t.genome))}</td></tr>`,
    )
    .join('\n');
  return `<section><h2>Top trials</h2><table class="top"><thead><tr><th>rank</th><th>trial</th><th>score</th><th>P</th><th>TG</th><th>P+TG</th>
<th>steps</th><th>params</th><th>depth</th><th>origin</th><th>genome</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function heatmapFigure(preview: RdmPreview | undefined, caption: string): string {
  const values = preview ? decodePreview(preview.data, preview.size) : undefined;
  if (!preview || !values) return `<figure class="rdm missing"><div class="nomap">no preview</div><figcaption>${caption}</figcaption></figure>`;
  const h = heatmapPng(values, preview.size);
  return `<figure class="rdm"><img src="${h.uri}" width="220" height="220" alt="RDM of ${esc(preview.layer)}">
<figcaption>${caption}<br><span class="muted">${preview.size}×${preview.size}, range ${h.min.toFixed(3)} – ${h.max.toFixed(3)}</span></figcaption></figure>`;
}

function rdms(study: Study, best: Trial | undefined, teacher: RdmPreview[]): string {
  const candidate = best?.rdmPreviews ?? [];
  if (teacher.length === 0 && candidate.length === 0) return '';
  const matches = best?.similarity?.best ?? [];
  const comparator = best?.similarity ? enumText(comparatorToJSON(best.similarity.comparator), 'COMPARATOR_') : '';
  const pairs: string[] = [];
  const used = new Set<string>();
  for (const t of teacher) {
    const m = matches.find((b) => b.teacherLayer === t.layer);
    const c = m ? candidate.find((p) => p.layer === m.candidateLayer) : undefined;
    const j = best?.similarity?.teacherLayers.indexOf(t.layer) ?? -1;
    const ceiling = j >= 0 ? best?.similarity?.ceilings[j] : undefined;
    if (c) used.add(c.layer);
    pairs.push(`<div class="pair">${heatmapFigure(t, `teacher <b>${esc(t.layer)}</b>`)}
<div class="link">${m ? `<div class="sim">${m.similarity.toFixed(3)}</div><div class="muted">${esc(comparator)}</div>${ceiling !== undefined ? `<div class="muted ceiling">ceiling ${ceiling.toFixed(3)}</div>` : ''}` : '<div class="muted">no match</div>'}</div>
${heatmapFigure(c, m ? `best trial <b>${esc(m.candidateLayer)}</b>` : 'best trial')}</div>`);
  }
  for (const c of candidate.filter((p) => !used.has(p.layer))) pairs.push(`<div class="pair">${heatmapFigure(c, `best trial <b>${esc(c.layer)}</b>`)}</div>`);
  return `<section><h2>Representations: teacher vs best trial${best ? ` (#${best.number})` : ''}</h2>
<p class="muted">RDMs over stimuli spaced evenly through the class-ordered stimulus set (blocks along the diagonal are classes).
Each teacher layer is shown next to the candidate layer that matches it best, with their similarity. Colours span each map's own range.</p>
${colorBar(VIRIDIS, 'similar (low dissimilarity)', 'dissimilar')}
<div class="pairs">${pairs.join('\n')}</div></section>`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#6b7385;--line:#e3e6ee;--bg:#f6f7fa}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1340px;margin:0 auto;padding:24px}h1{font-size:22px;margin:0 0 16px}h2{font-size:17px;margin:28px 0 10px}
section{margin-bottom:12px}.muted{color:var(--muted)}.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px}
.summary{display:grid;grid-template-columns:minmax(320px,1fr) minmax(320px,1fr);gap:16px}
.kv{background:#fff;border:1px solid var(--line);border-radius:8px;border-collapse:separate;padding:8px 12px;width:100%}
.kv th{text-align:left;color:var(--muted);font-weight:500;padding:3px 16px 3px 0;white-space:nowrap;vertical-align:top}.kv td{padding:3px 0;word-break:break-word}
.side{display:flex;flex-direction:column;gap:12px}.counts{display:grid;grid-template-columns:repeat(6,1fr);gap:8px}
.count{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px;text-align:center}.count.ok .big{color:#2a9d55}.count.bad .big{color:#c0392b}
.big{font-size:24px;font-weight:600}.label{color:var(--muted);font-size:12px}
.best{background:#fff;border:1px solid var(--line);border-left:4px solid #2a9d55;border-radius:8px;padding:10px 14px}
.genome{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-top:16px}.chart{width:100%;height:auto}
.ctitle{font-weight:600;font-size:14px}.tick{font-size:11px;fill:var(--muted)}.alabel{font-size:12px;fill:var(--muted)}.legend text{font-size:12px}
.grid{stroke:var(--line)}.axis{stroke:#9aa1b1}
table.top{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line);border-radius:8px}
.top th,.top td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}.top th{color:var(--muted);font-weight:500}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.pairs{display:flex;flex-wrap:wrap;gap:16px;margin-top:8px}.pair{display:flex;align-items:center;gap:10px;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px}
.rdm{margin:0;text-align:center}.rdm img{image-rendering:pixelated;image-rendering:crisp-edges;border:1px solid var(--line);display:block}
.rdm figcaption{font-size:12px;margin-top:4px}.nomap{width:220px;height:220px;display:flex;align-items:center;justify-content:center;color:var(--muted);border:1px dashed var(--line)}
.link{text-align:center;min-width:64px}.sim{font-size:20px;font-weight:600;color:#2a9d55}
footer{color:var(--muted);font-size:12px;margin-top:28px}
@media (max-width:900px){.summary,.charts{grid-template-columns:1fr}}
`;

export function renderReport(input: ReportInput): string {
  const { study } = input;
  const ranked = rankTrials(study.trials);
  const best = study.trials.find((t) => t.id === study.bestTrialId && t.state === TrialState.TRIAL_STATE_COMPLETED) ?? ranked[0];
  const title = `TG-SAGE study ${study.config?.name || study.id}`;
  const states = new Map<string, number>();
  for (const t of study.trials) {
    const k = enumText(trialStateToJSON(t.state), 'TRIAL_STATE_');
    states.set(k, (states.get(k) ?? 0) + 1);
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${esc(title)}</h1>
${summary(study, best)}
${charts(study)}
${topTable(study, input.top ?? 10)}
${rdms(study, best, input.teacherRdms ?? [])}
<footer>tgsage report · ${study.trials.length} trials (${[...states].map(([k, n]) => `${n} ${esc(k)}`).join(', ')}) · generated ${esc(
    (input.generatedAt ?? new Date()).toISOString(),
  )}</footer>
</main></body></html>
`;
}
