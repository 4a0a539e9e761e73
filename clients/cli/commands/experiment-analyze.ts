// `tgsage experiment analyze TABLE` and `tgsage experiment replay TABLE`: work on a benchmark table file alone (no
// services). Each writes <stem>.analysis.{json,html,png} or <stem>.replay.{json,html,png} next to the table (or in
// --out DIR), every file written to a temporary name and renamed, so a reader never sees half a file.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, Option } from 'commander';
// The analysis and the replays (with the strategies, REINFORCE's tfjs among them) load inside the actions, so that
// other commands of the CLI do not load them.
import type { Analysis, PickAnalysis, PickRegret } from '../../../services/experiment/analyze.ts';
import type { Guidance, ReplayReport } from '../../../services/experiment/replay.ts';
import type { TableComparator } from '../../../services/experiment/table.ts';
import type { StrategyDefinition } from '../../../services/controller/strategies/registry.ts';
import { action } from '../action.ts';
import { CliError } from '../errors.ts';
import { table as textTable } from '../format.ts';
import { printJson, printText } from '../output.ts';

function int(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new CliError(`${flag}: must be an integer >= ${min}, got ${v}`);
  return n;
}

function list(flag: string, v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x))) throw new CliError(`${flag}: not a comma-separated list of numbers: ${v}`);
  return xs;
}

/** Writes the files atomically (temporary name, then rename). */
async function writeAll(files: [string, string | Buffer][]): Promise<void> {
  for (const [path, data] of files) {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, data);
    await rename(tmp, path);
  }
}

function outPaths(tablePath: string, out: string | undefined, kind: 'analysis' | 'replay') {
  const stem = basename(tablePath).replace(/\.json$/i, '');
  const dir = out ?? dirname(tablePath);
  return { json: join(dir, `${stem}.${kind}.json`), html: join(dir, `${stem}.${kind}.html`), png: join(dir, `${stem}.${kind}.png`) };
}

/** JSON with non-finite numbers as null (and Infinity spelled out where it means "never"). */
const toJson = (v: unknown): string => `${JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2)}\n`;

const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');

function summary(a: Analysis): string {
  const c = a.table.comparators[0];
  const lines: string[] = [];
  lines.push(`${a.table.architectures} architectures (${a.table.finished} finished, ${a.table.multiSeed} with 2+ seeds), budgets ${a.table.evalSteps.join(', ')}`);
  if (a.noiseFloor) lines.push(`noise floor of final: Spearman ${f2(a.noiseFloor.spearman)} [${f2(a.noiseFloor.spearmanCI.lo)}, ${f2(a.noiseFloor.spearmanCI.hi)}] (${a.noiseFloor.n} architectures)`);
  const cell = (x: { spearman: number; spearmanCI: { lo: number; hi: number } } | undefined) => (x ? `${f2(x.spearman)} [${f2(x.spearmanCI.lo)}, ${f2(x.spearmanCI.hi)}]` : '');
  const rows = a.budgets.map((b) => {
    const get = (id: string) => b.predictors.find((p) => p.id === id);
    const ptg = b.predictors.filter((p) => p.kind === 'ptg' && p.comparator === c && p.mode === 'raw').sort((x, y) => (y.spearman || -2) - (x.spearman || -2))[0];
    const cv = b.cv;
    return [
      String(b.step),
      String(b.n),
      cell(get('P')),
      c ? cell(get(`TG[${c}]`)) : '',
      ptg ? `${cell(ptg)} a=${ptg.alpha}` : '',
      cv ? `${cell(cv.heldOut)} ${cv.chosen[0] ? `(${cv.chosen[0].choice.alpha === 0 ? 'P' : `a=${cv.chosen[0].choice.alpha} ${cv.chosen[0].choice.layers.join('+')}`} x${cv.chosen[0].count})` : ''}` : '',
      cell(get('P') && b.betterHalf.predictors.find((p) => p.id === 'P')),
    ];
  });
  lines.push(
    textTable(
      ['budget', 'n', 'P', `TG (${c ?? '-'})`, 'best P+TG raw (in-sample)', 'P+TG CV held-out', 'P, better half'],
      rows,
      ['r', 'r', 'l', 'l', 'l', 'l', 'l'],
    ),
  );
  lines.push('Spearman with final P [95% percentile bootstrap]. "best P+TG raw" picks alpha on the same architectures (optimistic); the CV column does not.');
  const picks = a.budgets.flatMap((b) => (b.picks ?? []).map((pk) => ({ step: b.step, pk })));
  if (c && picks.length) {
    const pp = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(2) : '–');
    const sg = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}` : '–');
    const gain = (x: PickRegret | undefined) => (x ? `${pp(x.regret)} (${sg(x.gainVsP)} [${sg(x.gainVsPCI.lo)}, ${sg(x.gainVsPCI.hi)}])` : '');
    const ptgId = (pk: PickAnalysis) => pk.predictors.find((x) => x.kind === 'ptg' && x.comparator === c);
    lines.push('');
    lines.push(
      textTable(
        ['budget', 'n', 'best of n', 'P', `TG (${c})`, `P+TG a=${ptgId(picks[0]!.pk)?.alpha ?? '-'}`, 'P+TG CV held-out'],
        picks.map(({ step, pk }) => {
          const get = (id: string) => pk.predictors.find((x) => x.id === id);
          return [String(step), String(pk.n), pk.best.toFixed(3), pp(get('P')?.regret ?? Number.NaN), gain(get(`TG[${c}]`)), gain(ptgId(pk)), gain(get(`CV[${c}]`))];
        }),
        ['r', 'r', 'r', 'r', 'l', 'l', 'l'],
      ),
    );
    lines.push(
      'Random search of n architectures keeping the best by the early score: regret = how far (points of final accuracy) the kept one falls below the best of the n, expected over all draws; (gain over early P [95%]), > 0 = keeps better ones.',
    );
  }
  return lines.join('\n');
}

export function analyzeCommand(): Command {
  return new Command('analyze')
    .description('rank correlations of early P, TG and P+TG with final accuracy per budget, with bootstrap intervals and cross-validated layer/alpha choice; writes JSON, HTML and PNG')
    .argument('<table>', 'benchmark table (tgsage-benchmark/1 JSON)')
    .option('--out <dir>', 'directory for <stem>.analysis.{json,html,png} (default: the table\'s)')
    .option('--resamples <n>', 'bootstrap resamples', '1000')
    .option('--seed <n>', 'seed of resamples and folds', '0')
    .option('--folds <k>', 'cross-validation folds', '5')
    .option('--repeats <r>', 'cross-validation repeats (fold assignments)', '1')
    .option('--alphas <list>', 'P+TG alpha grid, comma-separated, each in (0, 1)')
    .option('--comparator <name>', 'comparator for P+TG scatter and cross-validation (default: the table\'s first)')
    .option('--scatter-budget <steps>', 'budget of the early-vs-final scatter (default: closest to final / 10)')
    .option('--pick-sizes <list>', 'n of the pick statistics (random search of n, keep the best by the early score), comma-separated', '10,30')
    .action(
      action<Record<string, string | undefined>>(async (ctx, o, tablePath) => {
        const { readTable } = await import('../../../services/experiment/table-io.ts');
        const { analyzeTable } = await import('../../../services/experiment/analyze.ts');
        const { analysisPng, renderAnalysisHtml } = await import('../../../services/experiment/analysis-report.ts');
        const table = await readTable(tablePath);
        const scatter = int('--scatter-budget', o['scatterBudget'], 1);
        const alphas = list('--alphas', o['alphas']);
        const pickSizes = list('--pick-sizes', o['pickSizes']);
        const analysis = await analyzeTable(table, {
          resamples: int('--resamples', o['resamples'], 1)!,
          seed: int('--seed', o['seed'], 0)!,
          folds: int('--folds', o['folds'], 2)!,
          repeats: int('--repeats', o['repeats'], 1)!,
          ...(alphas ? { alphas } : {}),
          ...(pickSizes ? { pickSizes } : {}),
          ...(o['comparator'] ? { comparator: o['comparator'] as TableComparator } : {}),
          ...(scatter !== undefined ? { scatterBudget: scatter } : {}),
          onBudget: (done, total) => process.stderr.write(`analyze: budget ${done}/${total}\n`),
          signal: ctx.signal,
        });
        const paths = outPaths(tablePath, o['out'], 'analysis');
        await writeAll([
          [paths.json, toJson(analysis)],
          [paths.html, renderAnalysisHtml(analysis, { source: basename(tablePath) })],
          [paths.png, analysisPng(analysis)],
        ]);
        if (ctx.json) printJson(JSON.parse(toJson(analysis)));
        else printText(`${summary(analysis)}\nwrote ${paths.json}, ${paths.html}, ${paths.png}`);
      }),
    );
}

/** Strategy definitions exported as `strategies` by a user's module (see docs/science/example-strategy.ts). */
async function loadStrategies(file: string | undefined): Promise<Record<string, StrategyDefinition<any>>> {
  if (!file) return {};
  const mod = (await import(pathToFileURL(resolve(file)).href)) as { strategies?: Record<string, StrategyDefinition<any>> };
  if (!mod.strategies || typeof mod.strategies !== 'object') throw new CliError(`--strategy-module: ${file} exports no "strategies" record`);
  for (const [name, d] of Object.entries(mod.strategies)) {
    if (typeof d?.create !== 'function' || typeof d?.resolve !== 'function') throw new CliError(`--strategy-module: strategies.${name} needs resolve() and create()`);
  }
  return mod.strategies;
}

function replaySummary(r: ReplayReport): string {
  const ratio = (m: { ratio: number; steps: number } | undefined) => (m ? (Number.isFinite(m.ratio) ? `${m.ratio.toFixed(2)}x` : 'never') : '');
  return [
    `${r.arms} architectures, best final P ${r.oracle.toFixed(3)}, median ${r.medianArm.toFixed(3)}; ${r.replays} replays per setting, at most ${r.maxSteps} steps`,
    textTable(
      ['setting', 'median final P (end)', 'steps', 'vs P same budget', 'vs P full training'],
      r.results.map((x) => [x.setting.name, x.endMedian.toFixed(3), String(Math.round(x.endSteps)), ratio(x.vsP), ratio(x.vsFull)]),
      ['l', 'r', 'r', 'r', 'r'],
    ),
    'vs ...: steps this setting needs for its median to reach the reference\'s best median, over the reference\'s (below 1x = cheaper).',
  ].join('\n');
}

export function replayCommand(): Command {
  return new Command('replay')
    .description('replay search strategies and successive halving on a table (no training), guided by P, TG and P+TG; writes JSON, HTML and PNG')
    .argument('<table>', 'benchmark table (tgsage-benchmark/1 JSON)')
    .option('--out <dir>', 'directory for <stem>.replay.{json,html,png} (default: the table\'s)')
    .option('--replays <n>', 'seeded replays per setting', '100')
    .option('--seed <n>', 'first replay seed', '0')
    .option('--budget <steps>', 'early budget the strategies query at (default: closest to final / 10)')
    .option('--strategies <list>', 'registry names, comma-separated (reinforce is slow: tfjs per batch)', 'random,evolution')
    .option('--strategy-module <file>', 'a .ts/.js module exporting `strategies: Record<name, StrategyDefinition>` to add to the registry')
    .option('--alphas <list>', 'P+TG alphas to replay', '0.25,0.5,0.75')
    .option('--layers <list>', 'teacher layers counted in TG (default: all)')
    .option('--analysis <file>', 'also replay P+TG with the teacher layers and alpha this analysis (experiment analyze --json / .analysis.json) chose at --budget')
    .option('--comparator <name>', 'comparator of TG (default: the table\'s first)')
    .option('--halving-budgets <lists>', 'successive-halving rung budgets (table budgets, the last the final one), several schedules separated by ";" (default: nearest final/9, final/3, final)')
    .option('--eta <n>', 'halving reduction factor', '3')
    .option('--halving-trials <n>', 'architectures per halving bracket', '27')
    .addOption(new Option('--no-halving', 'leave successive halving out'))
    .option('--max-steps <n>', 'training steps each replay may spend (default: half of training every architecture fully)')
    .option('--batch <n>', 'proposals per strategy round', '8')
    .action(
      action<Record<string, string | boolean | undefined>>(async (ctx, o, tablePath) => {
        const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
        const { readTable } = await import('../../../services/experiment/table-io.ts');
        const { defaultScatterBudget } = await import('../../../services/experiment/analyze.ts');
        const { renderReplayHtml, replayPng } = await import('../../../services/experiment/analysis-report.ts');
        const { chosenGuidance, defaultHalvingBudgets, defaultSettings, replayTable } = await import('../../../services/experiment/replay.ts');
        const { createStrategyRegistry, defaultStrategyDefinitions } = await import('../../../services/controller/strategies/registry.ts');
        const table = await readTable(tablePath);
        const registry = createStrategyRegistry({ ...defaultStrategyDefinitions(), ...(await loadStrategies(s('strategyModule'))) });
        const strategies = s('strategies')!.split(',').map((x) => x.trim()).filter(Boolean);
        for (const name of strategies) if (!registry.has(name)) throw new CliError(`--strategies: unknown strategy "${name}" (known: ${registry.names().join(', ')})`);
        const budget = int('--budget', s('budget'), 1) ?? defaultScatterBudget(table.training.evalSteps);
        const layers = s('layers')?.split(',').map((x) => x.trim());
        const eta = int('--eta', s('eta'), 2)!;
        const schedules = s('halvingBudgets')?.split(';').map((x) => list('--halving-budgets', x)!) ?? [defaultHalvingBudgets(table.training.evalSteps, eta)];
        const trials = int('--halving-trials', s('halvingTrials'), 1)!;
        const comparator = s('comparator') as TableComparator | undefined;
        let extra: { guidance: Guidance; label: string } | undefined;
        if (s('analysis')) {
          const a = JSON.parse(await readFile(s('analysis')!, 'utf8')) as Analysis;
          const cv = a.budgets?.find((b) => b.step === budget)?.cv;
          if (!cv) throw new CliError(`--analysis: ${s('analysis')} has no cross-validated choice at ${budget} steps`);
          const guidance = chosenGuidance(table, budget, cv.fullData, comparator ?? cv.comparator);
          const what = guidance.kind === 'ptg' ? `a=${Number(guidance.alpha!.toFixed(3))}` : guidance.kind.toUpperCase();
          extra = { guidance, label: `chosen ${what}${guidance.layers ? ` ${guidance.layers.join('+')}` : ''}` };
        }
        const settings = defaultSettings(table, {
          budget,
          strategies,
          alphas: list('--alphas', s('alphas')) ?? [],
          ...(layers ? { layers } : {}),
          ...(extra ? { extra } : {}),
          ...(o['halving'] !== false ? { halving: schedules.map((budgets) => ({ budgets, eta, trials })) } : {}),
        }).map((x) => (comparator ? { ...x, guidance: { ...x.guidance, comparator } } : x));
        let last = 0;
          const maxSteps = int('--max-steps', s('maxSteps'), 1);
          const report = await replayTable(table, settings, {
            replays: int('--replays', s('replays'), 1)!,
            seed: int('--seed', s('seed'), 0)!,
            batch: int('--batch', s('batch'), 1)!,
            ...(maxSteps !== undefined ? { maxSteps } : {}),
            registry,
            signal: ctx.signal,
            onReplay: (done, total) => {
              if (Date.now() - last > 2000 || done === total) {
                last = Date.now();
                process.stderr.write(`replay: ${done}/${total}\n`);
              }
            },
          });
          const paths = outPaths(tablePath, s('out'), 'replay');
          await writeAll([
            [paths.json, toJson(report)],
            [paths.html, renderReplayHtml(report, { source: basename(tablePath) })],
            [paths.png, replayPng(report)],
          ]);
          if (ctx.json) printJson(JSON.parse(toJson(report)));
          else printText(`${replaySummary(report)}\nwrote ${paths.json}, ${paths.html}, ${paths.png}`);
      }),
    );
}
