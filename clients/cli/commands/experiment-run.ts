// `tgsage experiment run TABLE`: trains K sampled architectures (each with its training seeds) to a final budget
// with evaluation budgets, as a listed study on the search controller, and grows the benchmark table TABLE as trials
// complete (services/experiment/run.ts). Re-running the same command resumes; a larger --architectures, more
// --seeds or more --eval-steps extend the table. Progress on stderr; `--json` prints a summary object at the end.
import { hostname, cpus } from 'node:os';
import { Command, Option } from 'commander';
import { resolveDatasetSpec } from '../../../services/data/dataset.ts';
import { tableComparatorOf } from '../../../services/experiment/table-io.ts';
import { TableError } from '../../../services/experiment/table-io.ts';
import { ExperimentError, runExperiment, type ExperimentProgress, type OptimizerName, type ScheduleName } from '../../../services/experiment/run.ts';
import { MAX_EXPERIMENT_SEED, SamplingError } from '../../../services/experiment/plan.ts';
import type { TableComparator } from '../../../services/experiment/table.ts';
import { DEFAULT_TRAINING } from '../../../services/trainer/types.ts'; // a module of types and defaults: loads no tfjs
import { action } from '../action.ts';
import { COMPARATORS, parseEnum } from '../enums.ts';
import { CliError } from '../errors.ts';
import { printJson, printText } from '../output.ts';

interface RunOptions {
  space: 'convnet' | 'nasnet';
  architectures: string;
  seed: string;
  maxMflops?: string;
  maxParams?: string;
  seeds: string;
  secondSeedSubset: string;
  secondSeed: string;
  finalSteps: string;
  evalSteps?: string;
  dataset: string;
  dataDir?: string;
  numValidation?: string;
  splitSeed: string;
  teacher: string;
  comparators: string;
  batchSize?: string;
  optimizer: 'sgd' | 'adam';
  lr?: string;
  momentum?: string;
  schedule: 'cosine' | 'constant' | 'warmup-cosine';
  parallelism: string;
  maxAttempts: string;
}

function int(flag: string, v: string, min = 0): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(n) || n < min) throw new CliError(`${flag}: not an integer >= ${min}: ${v}`);
  return n;
}

function intList(flag: string, v: string, min = 0): number[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => int(flag, s, min));
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliError(`${flag}: not a positive number: ${v}`);
  return n;
}

function formatSeconds(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function progressLine(p: ExperimentProgress): string {
  const rows = p.total > 0 ? `[${p.done}/${p.total} rows${p.etaSeconds === undefined ? '' : `, ETA ${formatSeconds(p.etaSeconds)}`}] ` : '';
  return `${rows}${p.message}`;
}

export function experimentRunCommand(): Command {
  return new Command('run')
    .description('train K sampled architectures with evaluation budgets as a controller study, growing a benchmark table (resumable; extends an existing table)')
    .argument('<table>', 'benchmark table (JSON); created, resumed or extended')
    .addOption(new Option('--space <space>', 'search space').choices(['convnet', 'nasnet']).default('convnet'))
    .requiredOption('--architectures <k>', 'number of distinct architectures (K)')
    .option('--seed <s>', 'sampling seed: architecture draw j uses genome seed s * 1000003 + j', '0')
    .option('--max-mflops <x>', 'skip architectures above this many MFLOPs per image')
    .option('--max-params <n>', 'skip architectures above this many trainable parameters')
    .option('--seeds <list>', 'training seeds of every architecture (comma-separated)', '0')
    .option('--second-seed-subset <n>', 'also train the first N architectures with --second-seed (the noise floor of final P)', '0')
    .option('--second-seed <s>', 'the extra training seed of --second-seed-subset', '1')
    .requiredOption('--final-steps <n>', 'final step budget (the learning-rate schedule anneals over it)')
    .option('--eval-steps <list>', 'evaluation budgets below the final one, e.g. 10,25,50,100 (the final budget is always evaluated)')
    .option('--dataset <name>', 'mnist, fashion-mnist or idx', 'mnist')
    .option('--data-dir <dir>', 'directory of IDX files (for idx)')
    .option('--num-validation <n>', 'validation images P is measured on (default 2000; 10000 for mnist)')
    .option('--split-seed <n>', 'seed of the train / validation split', '0')
    .option('--teacher <id>', 'teacher id', 'default')
    .option('--comparators <list>', 'comparators recorded per budget, scored in one pass (the first ranks the study)', 'spearman,cka')
    .option('--batch-size <n>', `batch size (default ${DEFAULT_TRAINING.batchSize})`)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'adam']).default('sgd'))
    .option('--lr <rate>', 'base learning rate (default 0.05 for sgd, 0.001 for adam)')
    .option('--momentum <m>', `SGD momentum (default ${DEFAULT_TRAINING.momentum})`)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule over the final budget').choices(['cosine', 'constant', 'warmup-cosine']).default('cosine'))
    .option('--parallelism <p>', 'trials in flight at once (spread over the controller\'s trainers)', '1')
    .option('--max-attempts <n>', 'attempts per trial on trainer failures', '3')
    .action(
      action<RunOptions>(async (ctx, o, tablePath) => {
        const finalSteps = int('--final-steps', o.finalSteps, 1);
        const early = o.evalSteps === undefined ? [] : intList('--eval-steps', o.evalSteps, 1);
        if (early.some((s) => s >= finalSteps)) throw new CliError(`--eval-steps: every budget must be below --final-steps ${finalSteps}`);
        const evalSteps = [...new Set([...early, finalSteps])].sort((a, b) => a - b);
        const comparators = o.comparators.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => {
          const name = tableComparatorOf(parseEnum('--comparators', COMPARATORS, s));
          if (!name) throw new CliError(`--comparators: ${s} cannot be recorded`);
          return name;
        }) as TableComparator[];
        const seed = int('--seed', o.seed);
        if (seed >= MAX_EXPERIMENT_SEED) throw new CliError(`--seed: must be below 2^32`);
        const adam = o.optimizer === 'adam';
        const dataset = (() => {
          try {
            return resolveDatasetSpec({ name: o.dataset, directory: o.dataDir ?? '', numValidation: o.numValidation === undefined ? 0 : int('--num-validation', o.numValidation, 1), splitSeed: int('--split-seed', o.splitSeed) });
          } catch (e) {
            throw new CliError(`--dataset / --data-dir / --num-validation: ${(e as Error).message}`);
          }
        })();
        const stderr = process.stderr;
        const summary = await runExperiment(
          {
            tablePath,
            space: o.space,
            architectures: int('--architectures', o.architectures, 1),
            seed,
            caps: {
              maxFlops: o.maxMflops === undefined ? 0 : positive('--max-mflops', o.maxMflops) * 1e6,
              maxParams: o.maxParams === undefined ? 0 : int('--max-params', o.maxParams, 1),
            },
            seeds: { seeds: intList('--seeds', o.seeds), extraSubset: int('--second-seed-subset', o.secondSeedSubset), extraSeed: int('--second-seed', o.secondSeed) },
            evalSteps,
            dataset: { name: dataset.name, directory: dataset.directory, numValidation: dataset.numValidation, splitSeed: dataset.splitSeed },
            teacherId: o.teacher,
            comparators,
            training: {
              batchSize: o.batchSize === undefined ? DEFAULT_TRAINING.batchSize : int('--batch-size', o.batchSize, 1),
              optimizer: (adam ? 'adam' : 'sgd_momentum') satisfies OptimizerName,
              learningRate: o.lr === undefined ? (adam ? 0.001 : DEFAULT_TRAINING.learningRate) : positive('--lr', o.lr),
              momentum: o.momentum === undefined ? DEFAULT_TRAINING.momentum : Number(o.momentum),
              schedule: o.schedule.replace('-', '_') satisfies string as ScheduleName,
            },
            parallelism: int('--parallelism', o.parallelism, 1),
            maxAttempts: int('--max-attempts', o.maxAttempts, 1),
            provenance: {
              command: ['tgsage', 'experiment', 'run', ...process.argv.slice(process.argv.indexOf('run') + 1)].join(' '),
              machine: `${hostname()}: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`,
            },
          },
          {
            controller: ctx.clients.controller,
            getTeacher: (id, signal) => ctx.clients.teacherCache.getTeacher({ id }, { signal }),
            describe: async (genome, signal) => {
              const s = await ctx.clients.trainer.describeGenome({ genome, dataset: { name: dataset.name, directory: dataset.directory, numStimuli: 0, numValidation: 0, splitSeed: 0 } }, { signal });
              return { parameters: s.parameterCount, flops: s.flops };
            },
            signal: ctx.signal,
            onProgress: (p) => stderr.write(`${progressLine(p)}\n`),
          },
        ).catch((e: unknown) => {
          if (ctx.signal.aborted) {
            throw new CliError(
              `interrupted: ${tablePath} keeps every completed row and the controller keeps running the study; ` +
                'run the same command again to resume (or `tgsage search stop STUDY`)',
            );
          }
          if (e instanceof ExperimentError || e instanceof TableError || e instanceof SamplingError) throw new CliError(e.message);
          throw e;
        });
        if (ctx.json) printJson(summary);
        else {
          printText(`${summary.tablePath}: ${summary.done}/${summary.planned} planned rows (${summary.rows} in the table), ${summary.added} added by this run`);
          if (summary.studies.length > 0) printText(`studies: ${summary.studies.join(', ')} (tgsage search watch ID / export ID)`);
          for (const f of summary.failed) printText(`failed: ${f.trialId}: ${f.error}`);
        }
        if (!summary.complete) {
          process.stderr.write(`${summary.planned - summary.done} planned rows are missing: run the same command again to retry them\n`);
          process.exitCode = 1;
        }
      }),
    );
}
