// `tgsage data synth-neural`: synthetic brain recordings [repetitions, stimuli, sites] from a layer of the shipped
// teacher (or any tfjs LayersModel) on its stimulus set, with trial-to-trial noise at a chosen reliability
// (services/teachers/synth-neural.ts); written as .npy and/or uploaded as a teacher with repetitions.
import { Command } from 'commander';
import { SHIPPED_TEACHER_DIR } from '../../../services/teachers/shipped.ts';
import { action } from '../action.ts';
import type { SynthOptions } from './synth-neural-run.ts';

export function synthNeuralCommand(): Command {
  return new Command('synth-neural')
    .description(
      'synthetic brain recordings [repetitions, stimuli, sites] from a teacher layer: sampled sites plus trial-to-trial noise ' +
        'at a chosen reliability (test-retest Spearman reliability of the mean RDM)',
    )
    .requiredOption('--layer <name>', 'layer of the teacher model to record from (e.g. s3b1)')
    .option('--teacher-dir <dir>', 'directory with model.json and teacher.json', SHIPPED_TEACHER_DIR)
    .option('--sites <n>', 'recording sites sampled from the layer', '64')
    .option('--repetitions <n>', 'repetitions of every stimulus', '8')
    .option('--reliability <r>', 'reliability of the mean-over-repetitions RDM, in (0, 1)', '0.8')
    .option('--seed <n>', 'seed of the site sample and the noise', '0')
    .option('--out <file.npy>', 'write the recordings as float32 .npy [repetitions, stimuli, sites]')
    .option('--upload <id>', 'upload the recordings as a teacher with repetitions (layer named as --layer)')
    .option('--ceiling-splits <n>', 'with --upload: split-halves of the noise ceiling (default 50)', '0')
    .action(
      action<SynthOptions>(async (ctx, o) => {
        // loaded here: the recording needs tfjs and the trainer's code, which no other command of the CLI should load
        const { runSynthNeural } = await import('./synth-neural-run.ts');
        await runSynthNeural(ctx, o);
      }),
    );
}

