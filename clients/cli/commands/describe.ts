// `tgsage describe`: what a genome builds, without training it — trainable parameters, FLOPs per image and the
// representation layers (the trainer's DescribeGenome, which builds the model once and drops it), and the genome.
import { Command, Option } from 'commander';
import { genomeToJson, genomeToJsonValue } from '../../../services/spaces/json.ts';
import { action } from '../action.ts';
import { printJson, printText } from '../output.ts';
import { resolveGenome } from './train.ts';

interface DescribeOptions {
  space: 'convnet' | 'nasnet';
  genome?: string;
  randomGenome: boolean;
  genomeSeed?: string;
  dataset: string;
  dataDir?: string;
}

export function describeCommand(): Command {
  return new Command('describe')
    .description('describe a genome without training it: parameters, FLOPs per image, representation layers')
    .addOption(new Option('--space <space>', 'search space').choices(['convnet', 'nasnet']).default('convnet'))
    .option('--genome <file.json>', 'the genome as JSON')
    .option('--random-genome', 'the genome sampled uniformly from the space for --genome-seed', false)
    .option('--genome-seed <g>', 'seed of the random genome (as in `train --random-genome --genome-seed`)', '0')
    .option('--dataset <name>', 'dataset the model is for (sets the input shape): mnist, fashion-mnist or idx', 'mnist')
    .option('--data-dir <dir>', 'directory of IDX files (for idx)')
    .action(
      action<DescribeOptions>(async (ctx, o) => {
        const genome = await resolveGenome({ ...o, genomeSeed: o.randomGenome ? o.genomeSeed : undefined, seed: '0' });
        const s = await ctx.clients.trainer.describeGenome({
          genome,
          dataset: { name: o.dataset, directory: o.dataDir ?? '', numStimuli: 0, numValidation: 0, splitSeed: 0 },
        });
        if (ctx.json) {
          printJson({
            space: o.space,
            ...(o.randomGenome ? { genomeSeed: Number(o.genomeSeed) } : {}),
            parameterCount: s.parameterCount,
            flops: s.flops,
            representationLayers: s.representationLayers,
            genome: genomeToJsonValue(genome),
          });
          return;
        }
        printText(
          [
            `space ${genome.space?.$case}${o.randomGenome ? ` (genome seed ${o.genomeSeed})` : ''}: ` +
              `${s.parameterCount.toLocaleString('en')} parameters, ${(s.flops / 1e6).toFixed(2)} MFLOPs/image`,
            `representation layers: ${s.representationLayers.join(', ')}`,
            '',
            genomeToJson(genome, 2),
          ].join('\n'),
        );
      }),
    );
}
