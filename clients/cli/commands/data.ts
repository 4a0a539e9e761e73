// `tgsage data export`: writes one split of a dataset (as tgsage splits it: the same seeded train / validation /
// stimulus split the trainer and the teacher cache use) as .npy files, so that any language can compute a teacher's
// activations on exactly the stimulus set — e.g. clients/python/examples/torch_teacher.py.
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadDataset, resolveDatasetSpec } from '../../../services/data/dataset.ts';
import { action } from '../action.ts';
import { CliError } from '../errors.ts';
import { writeNpy } from '../npy.ts';
import { printJson, printText } from '../output.ts';
import { synthNeuralCommand } from './synth-neural.ts';

interface ExportOptions {
  split: 'stimuli' | 'train' | 'validation';
  out: string;
  labels?: string;
  dataset: string;
  dataDir?: string;
  splitSeed: string;
  stimuli: string;
}

export function dataCommand(): Command {
  const data = new Command('data').description('the datasets as tgsage splits them');
  data
    .command('export')
    .description('write a split as float32 .npy: images [N, H, W, C] in [0, 1] (and labels [N])')
    .addOption(new Option('--split <name>', 'which split').choices(['stimuli', 'train', 'validation']).default('stimuli'))
    .requiredOption('--out <file.npy>', 'where to write the images')
    .option('--labels <file.npy>', 'where to write the labels (float32 class indices)')
    .option('--dataset <name>', 'mnist | fashion-mnist | idx', 'mnist')
    .option('--data-dir <dir>', 'directory of IDX files')
    .option('--split-seed <n>', 'seed of the split', '0')
    .option('--stimuli <n>', 'stimulus-set size', '1000')
    .action(
      action<ExportOptions>(async (ctx, o) => {
        const num = (flag: string, v: string) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) throw new CliError(`${flag}: not a non-negative integer: ${v}`);
          return n;
        };
        const spec = resolveDatasetSpec(
          { name: o.dataset, directory: o.dataDir ?? '', splitSeed: num('--split-seed', o.splitSeed), numStimuli: num('--stimuli', o.stimuli) },
          '--dataset',
        );
        const ds = await loadDataset(spec);
        const split = ds[o.split];
        const shape = [split.count, ds.height, ds.width, ds.channels];
        await writeNpy(resolve(o.out), split.images, shape);
        if (o.labels) await writeNpy(resolve(o.labels), Float32Array.from(split.labels), [split.count]);
        const summary = { dataset: spec.name, split: o.split, shape, out: resolve(o.out), labels: o.labels ? resolve(o.labels) : null, stimulusKey: ds.stimulusKey };
        if (ctx.json) printJson(summary);
        else printText(`wrote ${summary.out}: ${o.split} of ${spec.name}, float32 [${shape.join(', ')}]${o.labels ? `, labels ${summary.labels}` : ''}`);
      }),
    );
  data.addCommand(synthNeuralCommand());
  return data;
}
