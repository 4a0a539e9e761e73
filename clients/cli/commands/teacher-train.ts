// `tgsage teacher train` trains the reference ResNet teacher in this process and saves it (model.json, weights.bin,
// teacher.json); `tgsage teacher compute` has the teacher cache run a saved tfjs LayersModel over the stimulus set
// and store its layers' RDMs as a teacher, with a progress bar.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import type { ComputeProgress, Teacher } from '../../../gen/tgsage/v1/teacher_cache.ts';
import { resolveDatasetSpec } from '../../../services/data/dataset.ts';
import { action } from '../action.ts';
import { RDM_METHODS, parseEnum, parseNames } from '../enums.ts';
import { CliError } from '../errors.ts';
import { printJson, printText } from '../output.ts';
import { teacherLayersText } from '../../../services/teachers/tg-layers.ts';

interface TrainTeacherOptions {
  dataset: string;
  dataDir?: string;
  splitSeed: string;
  stimuli: string;
  numValidation?: string;
  out: string;
  steps: string;
  batchSize: string;
  lr: string;
  seed: string;
  widths: string;
  blocks: string;
  trainBackend: 'wasm' | 'cpu' | 'webgpu' | 'tensorflow';
}

function int(flag: string, v: string, min = 0): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new CliError(`${flag}: not an integer >= ${min}: ${v}`);
  return n;
}

export function teacherTrainCommand(): Command {
  return new Command('train')
    .description('train the reference ResNet-style teacher on a dataset and save it as a tfjs LayersModel')
    .option('--dataset <name>', 'mnist | fashion-mnist | idx', 'mnist')
    .option('--data-dir <dir>', 'directory of IDX files (idx; fashion-mnist defaults to /usr/share/datasets/fashion-mnist)')
    .option('--split-seed <n>', 'seed of the train / validation / stimulus split', '0')
    .option('--stimuli <n>', 'stimulus-set size recorded for the teacher', '1000')
    .option('--num-validation <n>', 'validation images the teacher\'s accuracy is measured on (default 2000; 10000 for mnist)')
    .option('--out <dir>', 'where to write model.json, weights.bin, teacher.json', 'teachers/default')
    .option('--steps <n>', 'training steps', '1200')
    .option('--batch-size <n>', 'batch size', '64')
    .option('--lr <rate>', 'Adam learning rate (warm-up, then cosine decay)', '0.003')
    .option('--seed <n>', 'seed of initialisation and batch order', '0')
    .option('--widths <a,b,c>', 'widths of the three stages', '16,32,64')
    .option('--blocks <n>', 'residual blocks per stage', '1')
    .addOption(new Option('--train-backend <name>', 'tfjs backend').choices(['wasm', 'cpu', 'webgpu', 'tensorflow']).default('wasm'))
    .action(
      action<TrainTeacherOptions>(async (ctx, o) => {
        const widths = o.widths.split(',').map((w) => int('--widths', w.trim(), 1));
        if (widths.length !== 3) throw new CliError('--widths: give three widths, e.g. 16,32,64');
        const spec = resolveDatasetSpec({
          name: o.dataset,
          directory: o.dataDir ?? '',
          splitSeed: int('--split-seed', o.splitSeed),
          numStimuli: int('--stimuli', o.stimuli, 3),
          numValidation: o.numValidation === undefined ? 0 : int('--num-validation', o.numValidation, 1),
        }, '--dataset');
        // tfjs loads here, not when the CLI starts (`tgsage serve scorer` must not load it)
        const [{ trainTeacher }, { initTrainingBackend }, { loadTrainingDataset }] = await Promise.all([
          import('../../../services/teachers/train-teacher.ts'),
          import('../../../services/trainer/backend.ts'),
          import('../../../services/trainer/data-adapter.ts'),
        ]);
        await initTrainingBackend(o.trainBackend);
        const data = await loadTrainingDataset(spec);
        const steps = int('--steps', o.steps, 1);
        const bar = stepBar(steps);
        const command = ['tgsage', ...process.argv.slice(2)].join(' ');
        try {
          const info = await trainTeacher({
            data,
            datasetSpec: spec,
            outDir: resolve(o.out),
            steps,
            batchSize: int('--batch-size', o.batchSize, 1),
            learningRate: Number(o.lr),
            seed: int('--seed', o.seed),
            widths: widths as [number, number, number],
            blocksPerStage: int('--blocks', o.blocks, 1),
            command,
            signal: ctx.signal,
            onProgress: (e) => bar.update(e.step, e.loss, e.imagesPerSecond),
          });
          bar.stop();
          if (ctx.json) printJson({ out: resolve(o.out), ...info });
          else {
            printText(
              `teacher saved to ${resolve(o.out)} (model.json, weights.bin, teacher.json): ${info.parameterCount.toLocaleString('en')} parameters, ` +
                `validation accuracy ${info.validationAccuracy.toFixed(4)} on ${info.dataset} after ${info.steps} steps (${info.trainSeconds.toFixed(0)} s on ${info.backend})`,
            );
          }
        } finally {
          bar.stop();
        }
      }),
    );
}

interface ComputeOptions {
  id: string;
  model: string;
  description: string;
  layers?: string;
  dataset: string;
  dataDir?: string;
  splitSeed: string;
  stimuli: string;
  rdmMethod: string;
  gram: boolean;
  batchSize: string;
  tgLayers?: string;
}

export function teacherComputeCommand(): Command {
  return new Command('compute')
    .description('have the teacher cache run a saved tfjs LayersModel over the stimulus set and store its layers\' RDMs')
    .requiredOption('--id <id>', 'id of the new teacher')
    .requiredOption('--model <model.json>', 'a model in the teacher cache\'s models area (<data dir>/models): "name" or "name/model.json", or a path inside that area')
    .option('--description <text>', 'free text', '')
    .option('--layers <a,b,...>', 'layers to record (default: the model\'s representation layers, else all conv / dense layers)')
    .option('--dataset <name>', 'mnist | fashion-mnist | idx', 'mnist')
    .option('--data-dir <dir>', 'directory of IDX files')
    .option('--split-seed <n>', 'seed of the split (must match the candidates\')', '0')
    .option('--stimuli <n>', 'stimulus-set size', '1000')
    .addOption(new Option('--rdm-method <method>', 'RDM method').choices(Object.keys(RDM_METHODS)).default('correlation'))
    .option('--no-gram', 'do not store Gram matrices (CKA comparators then unavailable)')
    .option('--batch-size <n>', 'batch size of the forward passes', '100')
    .option('--tg-layers <a,b,...>', 'the layers TG averages over by default (default: every recorded layer)')
    .action(
      action<ComputeOptions>(async (ctx, o) => {
        const bar = computeBar();
        let teacher: Teacher | undefined;
        try {
          const stream = ctx.clients.teacherCache.computeTeacher(
            {
              id: o.id,
              description: o.description,
              modelPath: existsSync(o.model) ? resolve(o.model) : o.model,
              layers: parseNames(o.layers),
              tgLayers: parseNames(o.tgLayers),
              dataset: {
                name: o.dataset,
                directory: o.dataDir ?? '',
                numStimuli: int('--stimuli', o.stimuli, 3),
                numValidation: 0,
                splitSeed: int('--split-seed', o.splitSeed),
              },
              rdmMethod: parseEnum('--rdm-method', RDM_METHODS, o.rdmMethod),
              storeGram: o.gram,
              batchSize: int('--batch-size', o.batchSize, 1),
            },
            ctx.callOptions(),
          );
          for await (const e of stream) {
            if (e.event?.$case === 'progress') bar.update(e.event.value);
            else if (e.event?.$case === 'teacher') teacher = e.event.value;
          }
        } finally {
          bar.stop();
        }
        if (!teacher) throw new CliError('the teacher cache ended the stream without a teacher');
        if (ctx.json) printJson({ id: teacher.id, numStimuli: teacher.numStimuli, dataset: teacher.dataset, layers: teacher.layers.map((l) => ({ name: l.name, shape: l.shape })), storedBytes: teacher.storedBytes, tgLayers: teacher.tgLayers });
        else printText(`stored teacher ${teacher.id}: ${teacher.layers.length} layers (${teacher.layers.map((l) => l.name).join(', ')}), ${teacher.numStimuli} stimuli of ${teacher.dataset}; TG averages over ${teacherLayersText(teacher.tgLayers)}`);
      }),
    );
}

function stepBar(total: number, stream: NodeJS.WriteStream = process.stderr) {
  if (stream.isTTY !== true) {
    let decile = -1;
    return {
      update: (step: number, loss: number, ips: number) => {
        const d = Math.floor((10 * step) / total);
        if (d !== decile) stream.write(`train step ${step}/${total} loss ${loss.toFixed(4)} ${ips.toFixed(0)} img/s\n`);
        decile = d;
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: 'teacher [{bar}] {value}/{total} steps | loss {loss} | {ips} img/s | eta {eta_formatted}', barsize: 30, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { loss: '-', ips: '-' });
  let stopped = false;
  return {
    update: (step: number, loss: number, ips: number) => bar.update(step, { loss: loss.toFixed(4), ips: ips.toFixed(0) }),
    stop: () => {
      if (!stopped) bar.stop();
      stopped = true;
    },
  };
}

function computeBar(stream: NodeJS.WriteStream = process.stderr) {
  if (stream.isTTY !== true) {
    let last = '';
    return {
      update: (p: ComputeProgress) => {
        const line = `${p.phase} ${p.done}/${p.total}`;
        if (p.phase !== last.split(' ')[0] || p.done === p.total) stream.write(`${line}\n`);
        last = line;
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { stream, format: '{phase} [{bar}] {value}/{total}', barsize: 30, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1, 0, { phase: 'forward'.padEnd(8) });
  return {
    update: (p: ComputeProgress) => {
      bar.setTotal(Math.max(1, p.total));
      bar.update(p.done, { phase: p.phase.padEnd(8) });
    },
    stop: () => bar.stop(),
  };
}
