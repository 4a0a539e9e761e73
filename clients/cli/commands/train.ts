// `tgsage train`: trains one candidate through the trainer service with a live progress bar, then prints P, TG and
// the candidate x teacher layer matrix (`--json`: one JSON object with them).
import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import type { Genome } from '../../../gen/tgsage/v1/genome.ts';
import { LrSchedule, Optimizer, type TrainingProgress, type TrainingResult } from '../../../gen/tgsage/v1/trainer.ts';
import { genomeFromJson, genomeToJsonValue } from '../../../services/spaces/json.ts';
import { sampleGenome } from '../../../services/spaces/decisions.ts';
import { createRng } from '../../../services/spaces/rng.ts';
import { action } from '../action.ts';
import { COMPARATORS, TEACHER_LAYERS_HELP, parseEnum, parseNames } from '../enums.ts';
import { CliError } from '../errors.ts';
import { printJson, printText } from '../output.ts';
import { describeScore, scoreJson } from './score.ts';

interface TrainOptions {
  space: 'convnet' | 'nasnet';
  genome?: string;
  randomGenome: boolean;
  seed: string;
  genomeSeed?: string;
  numValidation?: string;
  steps: string;
  evalSteps?: string;
  batchSize?: string;
  optimizer: 'sgd' | 'adam';
  lr?: string;
  schedule: 'cosine' | 'constant' | 'warmup-cosine';
  teacher: string;
  teacherLayers?: string;
  comparator: string;
  skipScoring: boolean;
  dataset: string;
  dataDir?: string;
  stimuli?: string;
}

const SCHEDULES = {
  cosine: LrSchedule.LR_SCHEDULE_COSINE,
  constant: LrSchedule.LR_SCHEDULE_CONSTANT,
  'warmup-cosine': LrSchedule.LR_SCHEDULE_WARMUP_COSINE,
} as const;

function positiveInt(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag}: not a non-negative integer: ${value}`);
  return n;
}

/**
 * The genome of `--genome FILE` or `--random-genome`: `randomGenome(space, G)` for `--genome-seed G`, or for `--seed`
 * when no --genome-seed is given (so `--random-genome --seed S` is the architecture it always was; give
 * --genome-seed to train one architecture with several training seeds).
 */
export async function resolveGenome(o: Pick<TrainOptions, 'space' | 'genome' | 'randomGenome' | 'seed' | 'genomeSeed'>): Promise<Genome> {
  if (o.genome !== undefined && o.randomGenome) throw new CliError('give either --genome FILE or --random-genome, not both');
  if (o.genomeSeed !== undefined && !o.randomGenome) throw new CliError('--genome-seed goes with --random-genome');
  if (o.genome !== undefined) {
    const text = await readFile(o.genome, 'utf8').catch((e: Error) => {
      throw new CliError(`--genome: cannot read ${o.genome}: ${e.message}`);
    });
    const json = JSON.parse(text) as Record<string, unknown>;
    // Accept both {"convnet": {...}} and a bare space body with --space.
    return genomeFromJson('convnet' in json || 'nasnet' in json ? json : { [o.space]: json });
  }
  if (!o.randomGenome) throw new CliError('give --genome FILE.json or --random-genome --genome-seed G');
  const seed = o.genomeSeed === undefined ? positiveInt('--seed', o.seed, 0) : positiveInt('--genome-seed', o.genomeSeed, 0);
  return sampleGenome(o.space, createRng(seed));
}

/** A comma-separated list of step counts ("10,25,100"); empty when absent. */
export function parseSteps(flag: string, value: string | undefined): number[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((s) => positiveInt(flag, s.trim(), 0));
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train one candidate on real images for a step budget; print P (validation accuracy) and TG')
    .addOption(new Option('--space <space>', 'search space').choices(['convnet', 'nasnet']).default('convnet'))
    .option('--genome <file.json>', 'the candidate genome as JSON')
    .option('--random-genome', 'sample a genome uniformly from the space (for --genome-seed, else --seed)', false)
    .option('--genome-seed <g>', 'seed of the random genome (the architecture); default: --seed')
    .option('--seed <n>', 'seed of initialisation and batch order (and of the random genome without --genome-seed)', '0')
    .option('--steps <n>', 'step budget', '150')
    .option('--eval-steps <a,b,...>', 'evaluation budgets: also measure P and TG after these steps (a learning curve)')
    .option('--batch-size <n>', 'batch size (default 64)')
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adam']).default('sgd'))
    .option('--lr <rate>', 'base learning rate (default 0.05 for sgd, 0.001 for adam)')
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices(Object.keys(SCHEDULES)).default('cosine'))
    .option('--teacher <id>', 'teacher to score against', 'default')
    .option('--teacher-layers <names>', TEACHER_LAYERS_HELP)
    .addOption(new Option('--comparator <name>', 'comparator').choices(Object.keys(COMPARATORS)).default('spearman'))
    .option('--skip-scoring', 'measure P only', false)
    .option('--dataset <name>', 'mnist | fashion-mnist | idx', 'mnist')
    .option('--data-dir <dir>', 'directory of IDX files (for idx; fashion-mnist defaults to /usr/share/datasets/fashion-mnist)')
    .option('--stimuli <n>', 'stimulus-set size (must match the teacher; default 1000)')
    .option('--num-validation <n>', 'validation images P is measured on (default 2000; 10000 for mnist)')
    .action(
      action<TrainOptions>(async (ctx, o) => {
        const genome = await resolveGenome(o);
        const lr = o.lr === undefined ? 0 : Number(o.lr);
        if (!(lr >= 0)) throw new CliError(`--lr: not a number: ${o.lr}`);
        const request = {
          genome,
          training: {
            steps: positiveInt('--steps', o.steps, 150),
            batchSize: positiveInt('--batch-size', o.batchSize, 0),
            optimizer: o.optimizer === 'adam' ? Optimizer.OPTIMIZER_ADAM : Optimizer.OPTIMIZER_SGD_MOMENTUM,
            learningRate: lr,
            momentum: 0,
            schedule: SCHEDULES[o.schedule],
            seed: positiveInt('--seed', o.seed, 0),
            evalSteps: parseSteps('--eval-steps', o.evalSteps),
            dataset: {
              name: o.dataset,
              directory: o.dataDir ?? '',
              numStimuli: positiveInt('--stimuli', o.stimuli, 0),
              numValidation: positiveInt('--num-validation', o.numValidation, 0),
              splitSeed: 0,
            },
          },
          teacherId: o.teacher,
          teacherLayers: parseNames(o.teacherLayers),
          comparator: parseEnum('--comparator', COMPARATORS, o.comparator),
          skipScoring: o.skipScoring,
          trialId: '',
        };
        const bar = progressView(request.training.steps);
        let result: TrainingResult | undefined;
        try {
          const stream = ctx.clients.trainer.trainCandidate(request, ctx.callOptions());
          for await (const event of stream) {
            if (event.event?.$case === 'progress') bar.update(event.event.value);
            else if (event.event?.$case === 'result') result = event.event.value;
          }
        } finally {
          bar.stop();
        }
        if (!result) throw new CliError('the trainer ended the stream without a result');
        if (ctx.json) printJson(trainJson(genome, result));
        else printText(describeTraining(genome, result));
      }),
    );
}

export function trainJson(genome: Genome, r: TrainingResult) {
  return {
    genome: genomeToJsonValue(genome),
    validationAccuracy: r.validationAccuracy,
    tg: r.similarity?.tg ?? null,
    finalLoss: r.finalLoss,
    steps: r.steps,
    parameterCount: r.parameterCount,
    flops: r.flops,
    wallSeconds: r.wallSeconds,
    queueSeconds: r.queueSeconds,
    trainSeconds: r.trainSeconds,
    backend: r.backend,
    representationLayers: r.representationLayers,
    similarity: r.similarity ? scoreJson(r.similarity) : null,
    rdmPreviews: r.rdmPreviews.map((p) => ({ layer: p.layer, size: p.size, float32Base64: p.data.toString('base64') })),
    curve: r.curve.map((c) => ({
      step: c.step,
      validationAccuracy: c.validationAccuracy,
      tg: c.similarity?.tg ?? null,
      trainLoss: c.trainLoss,
      trainSeconds: c.trainSeconds,
      evalSeconds: c.evalSeconds,
      scoreSeconds: c.scoreSeconds,
      similarity: c.similarity ? scoreJson(c.similarity) : null,
    })),
  };
}

export function describeTraining(genome: Genome, r: TrainingResult): string {
  const lines = [
    `space ${genome.space?.$case ?? '?'}: ${r.parameterCount.toLocaleString('en')} parameters, ${(r.flops / 1e6).toFixed(1)} MFLOPs/image`,
    `trained ${r.steps} steps on ${r.backend} in ${r.wallSeconds.toFixed(1)} s: ${r.queueSeconds.toFixed(1)} s queued, ` +
      `${r.trainSeconds.toFixed(1)} s training (final loss ${r.finalLoss.toFixed(4)})`,
    '',
    `P  = ${r.validationAccuracy.toFixed(4)}  (validation accuracy)`,
  ];
  if (r.similarity) {
    lines.push(`TG = ${r.similarity.tg.toFixed(4)}  (teacher ${r.similarity.teacherId})`, '', describeScore(r.similarity));
  }
  if (r.curve.length > 1) {
    lines.push('', 'learning curve (on the schedule of the final budget):', '   step       P      TG   train s');
    for (const c of r.curve) {
      const tg = c.similarity ? c.similarity.tg.toFixed(4) : '     -';
      lines.push(`${String(c.step).padStart(7)}  ${c.validationAccuracy.toFixed(4)}  ${tg}  ${c.trainSeconds.toFixed(1).padStart(8)}`);
    }
  }
  return lines.join('\n');
}

interface ProgressView {
  update(p: TrainingProgress): void;
  stop(): void;
}

/** A cli-progress bar on a terminal; otherwise a line per phase and every ~10% of the steps. */
function progressView(totalSteps: number, stream: NodeJS.WriteStream = process.stderr): ProgressView {
  const fmt = (p: TrainingProgress) => ({
    phase: p.phase.padEnd(10),
    loss: p.loss > 0 ? p.loss.toFixed(3) : '-',
    ips: p.imagesPerSecond > 0 ? p.imagesPerSecond.toFixed(0) : '-',
  });
  if (stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{phase} [{bar}] {value}/{total} steps | loss {loss} | {ips} img/s | {duration_formatted}',
        hideCursor: true,
        barsize: 30,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(1, totalSteps), 0, { phase: 'queued'.padEnd(10), loss: '-', ips: '-' });
    return { update: (p) => bar.update(p.step, fmt(p)), stop: () => bar.stop() };
  }
  let phase = '';
  let lastDecile = -1;
  return {
    update: (p) => {
      const decile = Math.floor((10 * p.step) / Math.max(1, p.totalSteps));
      if (p.phase !== phase || (p.phase === 'training' && decile !== lastDecile)) {
        const f = fmt(p);
        stream.write(`${p.phase} step ${p.step}/${p.totalSteps} loss ${f.loss} ${f.ips} img/s ${p.elapsedSeconds.toFixed(1)} s\n`);
        phase = p.phase;
        lastDecile = decile;
      }
    },
    stop: () => {},
  };
}
