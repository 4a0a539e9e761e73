// `tgsage search run|watch|list|export|stop`: runs a TG-SAGE search on the search controller and follows it with a
// live progress bar and leaderboard on stderr (a terminal), or plain lines (pipes, CI). `--json` prints one JSON
// object at the end whose `leaderboard` is the ranked list of completed trials. Ctrl-C leaves the study running.
import { once } from 'node:events';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { SearchSpace } from '../../../gen/tgsage/v1/genome.ts';
import {
  ExportFormat,
  ScoreKind,
  type SearchControllerClient,
  type Study,
  StudyConfig,
  type StudyEvent,
  StudyState,
  TgKind,
  type Trial,
  TrialState,
} from '../../../gen/tgsage/v1/search_controller.ts';
import { DEFAULT_TEACHER_ID } from '../../../services/common/ids.ts';
import { TEACHER_LAYERS_HELP, parseNames } from '../enums.ts';
import { rungPlan } from '../../../services/controller/halving.ts';
import { ranked } from '../../../services/controller/ranking.ts';
import { originLabel, originName } from '../../../services/controller/export.ts';
import { genomeToJsonValue } from '../../../services/spaces/json.ts';
import { action } from '../action.ts';
import { searchImportCommand } from './search-import.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { table } from '../format.ts';
import { printJson, printText } from '../output.ts';
import { allPages } from '../../../services/common/pages.ts';
import { getStudyWithTrials } from '../../../services/controller/study-reader.ts';

interface RunOptions {
  space: 'convnet' | 'nasnet';
  strategy: 'random' | 'reinforce' | 'evolution';
  trials: string;
  steps: string;
  score?: 'p' | 'tg' | 'ptg';
  alpha?: string;
  parallelism: string;
  teacher?: string;
  teacherLayers?: string;
  seed: string;
  multiFidelity: boolean;
  eta?: string;
  rungs?: string;
  minSteps?: string;
  retrainPromoted?: boolean;
  lastRungByP?: boolean;
  dataset: string;
  dataDir?: string;
  stimuli?: string;
  numValidation?: string;
  batchSize?: string;
  maxAttempts?: string;
  name?: string;
  tg?: 'raw' | 'normalized';
}

const SCORES = { p: ScoreKind.SCORE_KIND_P, tg: ScoreKind.SCORE_KIND_TG, ptg: ScoreKind.SCORE_KIND_P_TG } as const;

function int(flag: string, v: string | undefined, fallback = 0): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag}: not a non-negative integer: ${v}`);
  return n;
}

/** The StudyConfig of `search run`'s flags (the controller validates it and fills the rest). */
export function studyConfigFromOptions(o: RunOptions): StudyConfig {
  const alpha = o.alpha === undefined ? undefined : Number(o.alpha);
  if (alpha !== undefined && !Number.isFinite(alpha)) throw new CliError(`--alpha: not a number: ${o.alpha}`);
  const strategy =
    o.strategy === 'reinforce'
      ? { $case: 'reinforce' as const, value: { hiddenUnits: 0, learningRate: 0, baselineDecay: 0, entropyWeight: 0 } }
      : o.strategy === 'evolution'
      ? { $case: 'evolution' as const, value: { populationSize: 0, sampleSize: 0 } }
      : { $case: 'random' as const, value: {} };
  return StudyConfig.fromPartial({
    name: o.name ?? '',
    space: o.space === 'nasnet' ? SearchSpace.SEARCH_SPACE_NASNET : SearchSpace.SEARCH_SPACE_CONVNET,
    strategy: { strategy },
    score: o.score === undefined ? ScoreKind.SCORE_KIND_UNSPECIFIED : SCORES[o.score],
    alpha,
    stepsPerTrial: int('--steps', o.steps),
    numTrials: int('--trials', o.trials),
    parallelism: int('--parallelism', o.parallelism, 1),
    teacherId: o.teacher ?? '',
    teacherLayers: parseNames(o.teacherLayers),
    seed: int('--seed', o.seed),
    dataset: { name: o.dataset, directory: o.dataDir ?? '', numStimuli: int('--stimuli', o.stimuli), numValidation: int('--num-validation', o.numValidation) },
    training: o.batchSize === undefined ? undefined : { batchSize: int('--batch-size', o.batchSize) },
    multiFidelity: o.multiFidelity
      ? {
          enabled: true,
          eta: int('--eta', o.eta),
          rungs: int('--rungs', o.rungs),
          minSteps: int('--min-steps', o.minSteps),
          retrainPromoted: o.retrainPromoted ?? false,
          lastRungByP: o.lastRungByP === false ? false : undefined,
        }
      : undefined,
    maxAttempts: int('--max-attempts', o.maxAttempts),
    tgKind: o.tg === 'normalized' ? TgKind.TG_KIND_CEILING_NORMALIZED : o.tg === 'raw' ? TgKind.TG_KIND_RAW : TgKind.TG_KIND_UNSPECIFIED,
  });
}

const fmt = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(4));

/** One JSON-friendly leaderboard row per completed trial, best first. */
export function leaderboardJson(trials: readonly Trial[]): Record<string, unknown>[] {
  return ranked(trials).map((t, i) => ({
    rank: i + 1,
    number: t.number,
    id: t.id,
    score: t.score,
    p: t.p ?? null,
    tg: t.tg ?? null,
    tgRaw: t.tgRaw ?? null,
    tgNormalized: t.tgNormalized ?? null,
    steps: t.steps,
    rung: t.rung,
    parameterCount: t.parameterCount,
    wallSeconds: t.wallSeconds,
    trainer: t.trainer,
    origin: originName(t.origin),
    source: t.source,
    genome: t.genome ? genomeToJsonValue(t.genome) : null,
  }));
}

export function leaderboardTable(trials: readonly Trial[], top = 10): string {
  const rows = ranked(trials).slice(0, top).map((t, i) => [
    String(i + 1), String(t.number), fmt(t.score), fmt(t.p), fmt(t.tg), String(t.steps), String(t.rung), String(t.parameterCount),
    originLabel(t),
  ]);
  if (rows.length === 0) return '(no completed trials)';
  return table(['rank', 'trial', 'score', 'P', 'TG', 'steps', 'rung', 'params', 'origin'], rows, ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']);
}

export function studyJson(study: Study): Record<string, unknown> {
  return {
    study: study.id,
    state: StudyState[study.state]?.replace('STUDY_STATE_', '').toLowerCase(),
    error: study.error || undefined,
    completedTrials: study.completedTrials,
    trials: study.trials.length,
    failedTrials: study.trials.filter((t) => t.state === TrialState.TRIAL_STATE_FAILED).length,
    bestTrialId: study.bestTrialId,
    leaderboard: leaderboardJson(study.trials),
  };
}

/** Live view of a study's events on stderr. */
interface View {
  event(e: StudyEvent): void;
  stop(): void;
}

function liveView(stream: NodeJS.WriteStream = process.stderr): View {
  const tty = stream.isTTY === true;
  let total = 0;
  let ended = 0;
  let best: number | undefined;
  let snapshotTrials: Trial[] = [];
  let multi: cliProgress.MultiBar | undefined;
  let trialsBar: cliProgress.SingleBar | undefined;
  const stepBars = new Map<string, cliProgress.SingleBar>();
  const log = (line: string): void => {
    if (multi) multi.log(`${line}\n`);
    else stream.write(`${line}\n`);
  };
  const ensureBars = (): void => {
    if (!tty || multi) return;
    multi = new cliProgress.MultiBar(
      { stream, hideCursor: true, clearOnComplete: true, barsize: 30, format: '{label} [{bar}] {value}/{total} {info}' },
      cliProgress.Presets.shades_classic,
    );
    trialsBar = multi.create(Math.max(1, total), ended, { label: 'trials  ', info: '' });
  };
  const refresh = (): void => trialsBar?.update(ended, { info: best === undefined ? '' : `best ${fmt(best)}` });
  return {
    event(e) {
      const ev = e.event;
      if (!ev) return;
      switch (ev.$case) {
        case 'snapshot':
        case 'snapshotTrials': {
          // a large study's snapshot comes as a snapshot and snapshot_trials events with the rest of its trials
          if (ev.$case === 'snapshot') {
            const cfg = ev.value.config;
            total = cfg ? rungPlan(cfg).reduce((n, r) => n + r.count, 0) : 0;
            snapshotTrials = [];
          }
          snapshotTrials.push(...ev.value.trials);
          ended = snapshotTrials.filter((t) => t.state >= TrialState.TRIAL_STATE_COMPLETED).length;
          best = ranked(snapshotTrials)[0]?.score;
          if (!tty) stream.write(`study ${e.studyId}: ${ended}/${total} trials done\n`);
          ensureBars();
          trialsBar?.setTotal(Math.max(1, total));
          refresh();
          break;
        }
        case 'trialStarted':
          if (tty && multi) {
            stepBars.get(ev.value.trialId)?.stop();
            stepBars.set(ev.value.trialId, multi.create(Math.max(1, ev.value.steps), 0, { label: `trial ${ev.value.trialId.split('-t').pop()}`.padEnd(8), info: ev.value.trainer }));
          } else if (!tty) {
            stream.write(`trial ${ev.value.trialId} started on ${ev.value.trainer} (attempt ${ev.value.attempt}, ${ev.value.steps} steps)\n`);
          }
          break;
        case 'trialProgress': {
          const bar = stepBars.get(ev.value.trialId);
          const p = ev.value.progress;
          if (bar && p) bar.update(p.step, { info: `${p.phase} loss ${p.loss.toFixed(3)}` });
          const c = ev.value.curvePoint;
          if (c) log(`trial ${ev.value.trialId.split('-t').pop()} at step ${c.step}: P ${fmt(c.validationAccuracy)}  TG ${fmt(c.similarity?.tg)}`);
          break;
        }
        case 'trialCompleted':
        case 'trialFailed': {
          const t = ev.value;
          ended++;
          const bar = stepBars.get(t.id);
          if (bar) {
            multi?.remove(bar);
            stepBars.delete(t.id);
          }
          if (t.score !== undefined && (best === undefined || t.score > best)) best = t.score;
          log(
            ev.$case === 'trialCompleted'
              ? `trial ${t.number} (rung ${t.rung}, ${t.steps} steps): score ${fmt(t.score)}  P ${fmt(t.p)}  TG ${fmt(t.tg)}`
              : `trial ${t.number} ${TrialState[t.state].replace('TRIAL_STATE_', '').toLowerCase()}: ${t.error}`,
          );
          refresh();
          break;
        }
        case 'leaderboard': {
          const top = ev.value.entries.slice(0, 3).map((x) => `#${x.rank} trial ${x.number} ${fmt(x.score)}`).join('  ');
          log(`leaderboard: ${top}`);
          break;
        }
        case 'studyFinished':
          refresh();
          break;
        default:
          break;
      }
    },
    stop() {
      multi?.stop();
    },
  };
}

/** Follows a study's event stream to its end (or Ctrl-C, which leaves the study running), then prints the result. */
async function follow(ctx: CliContext, client: SearchControllerClient, events: AsyncIterable<StudyEvent>): Promise<void> {
  const view = ctx.json ? undefined : liveView();
  let studyId = '';
  let finished = false;
  try {
    for await (const e of events) {
      studyId = e.studyId;
      view?.event(e);
      if (e.event?.$case === 'studyFinished') finished = true;
    }
  } catch (e) {
    if (!(ctx.signal.aborted && studyId)) throw e;
  } finally {
    view?.stop();
  }
  if (!finished) {
    process.stderr.write(`study ${studyId} keeps running: tgsage search watch ${studyId}  |  tgsage search stop ${studyId}\n`);
    process.exitCode = 130;
    return;
  }
  const study = await getStudyWithTrials({ controller: client }, studyId);
  if (ctx.json) printJson(studyJson(study));
  else {
    printText(`study ${study.id}: ${StudyState[study.state].replace('STUDY_STATE_', '').toLowerCase()}, ${study.completedTrials}/${study.trials.length} trials completed${study.error ? ` (${study.error})` : ''}`);
    printText(leaderboardTable(study.trials));
  }
  if (study.state !== StudyState.STUDY_STATE_FINISHED) process.exitCode = 1;
}

export function searchCommand(): Command {
  const search = new Command('search').description('run and follow TG-SAGE architecture searches (search controller)');
  search.addCommand(searchImportCommand());

  search
    .command('run')
    .description('run a search and follow it (live progress and leaderboard on stderr)')
    .addOption(new Option('--space <space>', 'search space').choices(['convnet', 'nasnet']).default('convnet'))
    .addOption(new Option('--strategy <name>', 'search strategy').choices(['random', 'reinforce', 'evolution']).default('random'))
    .requiredOption('--trials <n>', 'number of trials (at the first rung with --multi-fidelity)')
    .requiredOption('--steps <k>', 'training steps per trial (at the last rung with --multi-fidelity)')
    .addOption(new Option('--score <kind>', 'ranking score: P (the default), TG or P+TG').choices(['p', 'tg', 'ptg']))
    .option('--alpha <a>', 'weight of TG in P+TG = (1 - a) P + a TG (default 0.5)')
    .option('--parallelism <p>', 'trials in flight at once', '1')
    .option('--teacher <id>', `teacher id (default: the controller's, "${DEFAULT_TEACHER_ID}"; it ranks only with --score tg or ptg)`)
    .option('--teacher-layers <names>', `${TEACHER_LAYERS_HELP}; fixed when the study is created`)
    .option('--seed <s>', 'seed of the strategy and of training', '0')
    .option('--multi-fidelity', 'successive halving over step budgets', false)
    .option('--eta <n>', 'successive halving: keep 1/eta per rung (default 3)')
    .option('--rungs <n>', 'successive halving: number of rungs (default 3)')
    .option('--min-steps <n>', 'successive halving: steps of the first rung')
    .option('--retrain-promoted', 'successive halving: train promoted trials again from step 0 (default: continue from checkpoints)', false)
    .option('--no-last-rung-by-p', 'successive halving: rank the last rung by the study\'s score too (default: by P, the accuracy the search is for)')
    .option('--dataset <name>', 'mnist, fashion-mnist or idx', 'mnist')
    .option('--data-dir <dir>', 'directory of IDX files (for idx; fashion-mnist defaults to /usr/share/datasets/fashion-mnist)')
    .option('--stimuli <n>', 'stimuli in the stimulus set (must match the teacher)')
    .option('--num-validation <n>', 'validation images P is measured on (default 2000; 10000 for mnist)')
    .option('--batch-size <n>', 'training batch size')
    .option('--max-attempts <n>', 'attempts per trial on trainer failures (default 3)')
    .option('--name <name>', 'display name')
    .addOption(
      new Option('--tg <kind>', 'TG the search scores with: raw similarity, or divided by the teacher\'s noise ceiling (teachers with repetitions)')
        .choices(['raw', 'normalized'])
        .default('raw'),
    )
    .action(
      action<RunOptions>(async (ctx, o) => {
        const client = ctx.clients.controller;
        const config = studyConfigFromOptions(o);
        if ((o.teacher !== undefined || o.teacherLayers !== undefined) && (o.score ?? 'p') === 'p') {
          process.stderr.write('note: this study ranks by P (the default score); the teacher ranks only with --score tg or ptg\n');
        }
        await follow(ctx, client, client.runStudy({ config }, { signal: ctx.signal }));
      }),
    );

  search
    .command('watch')
    .description('follow a study from its current state to its end')
    .argument('<study>', 'study id')
    .action(
      action(async (ctx, _o, studyId) => {
        const client = ctx.clients.controller;
        await follow(ctx, client, client.watchStudy({ studyId }, { signal: ctx.signal }));
      }),
    );

  search
    .command('list')
    .description('list studies, newest first')
    .action(
      action(async (ctx) => {
        const studies = await allPages(async (pageToken) => {
          const r = await ctx.clients.controller.listStudies({ pageToken });
          return { items: r.studies, nextPageToken: r.nextPageToken };
        });
        if (ctx.json) {
          printJson({ studies: studies.map((s) => ({ ...studyJson(s), leaderboard: undefined, name: s.config?.name ?? '', createdAt: s.createdAt?.toISOString() })) });
          return;
        }
        const rows = studies.map((s) => [
          s.id,
          s.config?.name ?? '',
          StudyState[s.state].replace('STUDY_STATE_', '').toLowerCase(),
          `${s.completedTrials}/${s.config?.numTrials ?? 0}`,
          s.bestTrialId,
          s.createdAt?.toISOString() ?? '',
        ]);
        printText(rows.length ? table(['study', 'name', 'state', 'completed', 'best trial', 'created'], rows) : '(no studies)');
      }),
    );

  search
    .command('export')
    .description('print a study as JSON or CSV (one row per trial)')
    .argument('<study>', 'study id')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'csv']).default('json'))
    .action(
      action<{ format: 'json' | 'csv' }>(async (ctx, o, studyId) => {
        // pieces are written as they arrive: an export of any size, in constant memory here
        const format = o.format === 'csv' ? ExportFormat.EXPORT_FORMAT_CSV : ExportFormat.EXPORT_FORMAT_JSON;
        for await (const piece of ctx.clients.controller.exportStudy({ studyId, format }, { signal: ctx.signal })) {
          if (!process.stdout.write(piece.content)) await once(process.stdout, 'drain');
        }
      }),
    );

  search
    .command('stop')
    .description('stop a running study (trials in flight are cancelled)')
    .argument('<study>', 'study id')
    .action(
      action(async (ctx, _o, studyId) => {
        const s = await ctx.clients.controller.stopStudy({ studyId });
        if (ctx.json) printJson(studyJson(await getStudyWithTrials(ctx.clients, studyId)));
        else printText(`study ${s.id}: ${StudyState[s.state].replace('STUDY_STATE_', '').toLowerCase()}`);
      }),
    );
  return search;
}
