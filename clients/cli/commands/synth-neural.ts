// `tgsage data synth-neural`: synthetic brain recordings [repetitions, stimuli, sites] from a layer of the shipped
// teacher (or any tfjs LayersModel) on its stimulus set, with trial-to-trial noise at a chosen reliability
// (services/teachers/synth-neural.ts); written as .npy and/or uploaded as a teacher with repetitions.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import type { CreateTeacherRequest, Teacher } from '../../../gen/tgsage/v1/teacher_cache.ts';
import { RdmMethod } from '../../../gen/tgsage/v1/similarity.ts';
import { DType } from '../../../gen/tgsage/v1/tensor.ts';
import { encodeLayerChunks } from '../../../services/common/chunks.ts';
import { createCompute } from '../../../services/compute/index.ts';
import { SHIPPED_TEACHER_DIR, type ShippedTeacher } from '../../../services/teacher-cache/compute-teacher.ts';
import { teacherLayerNames } from '../../../services/teachers/layers.ts';
import { loadLayersModel } from '../../../services/teachers/model-files.ts';
import { synthNeural, type SynthNeural } from '../../../services/teachers/synth-neural.ts';
import { layerActivations } from '../../../services/trainer/activations.ts';
import { initTrainingBackend } from '../../../services/trainer/backend.ts';
import { loadStimulusSet } from '../../../services/trainer/data-adapter.ts';
import { datasetRequest } from '../../../services/trainer/service.ts';
import { action } from '../action.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { writeNpy } from '../npy.ts';
import { printJson, printText } from '../output.ts';
import { parseCount } from './score.ts';

interface SynthOptions {
  layer: string;
  teacherDir: string;
  sites: string;
  repetitions: string;
  reliability: string;
  seed: string;
  out?: string;
  upload?: string;
  ceilingSplits: string;
}

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
        if (!o.out && !o.upload) throw new CliError('give --out FILE.npy and/or --upload ID');
        const reliability = Number(o.reliability);
        if (!(reliability > 0 && reliability < 1)) throw new CliError(`--reliability: must be in (0, 1), got '${o.reliability}'`);
        const synth = await record(o, reliability, ctx.signal);
        let teacher: Teacher | undefined;
        if (o.out) await writeNpy(resolve(o.out), synth.data, synth.shape);
        if (o.upload) teacher = await upload(ctx, o, synth);
        const summary = {
          layer: o.layer,
          shape: synth.shape,
          reliability,
          calibrated: synth.calibrated,
          noiseSd: synth.noiseSd,
          out: o.out ? resolve(o.out) : null,
          teacher: teacher?.id ?? null,
          spearmanCeiling: teacher?.layers[0]?.ceilings.find((c) => c.comparator === 1)?.splitHalf ?? null,
        };
        if (ctx.json) printJson(summary);
        else {
          printText(
            `recorded ${o.layer}: [${synth.shape.join(', ')}] (repetitions, stimuli, sites), trial noise sd ${synth.noiseSd.toFixed(3)}, ` +
              `test-retest RDM reliability ${synth.calibrated.toFixed(4)}` +
              (summary.out ? `\nwrote ${summary.out}` : '') +
              (teacher ? `\nuploaded teacher ${teacher.id}: measured Spearman noise ceiling ${summary.spearmanCeiling?.toFixed(4)}` : ''),
          );
        }
      }),
    );
}

async function record(o: SynthOptions, reliability: number, signal: AbortSignal): Promise<SynthNeural> {
  const dir = resolve(o.teacherDir);
  let info: ShippedTeacher;
  try {
    info = JSON.parse(await readFile(join(dir, 'teacher.json'), 'utf8')) as ShippedTeacher;
  } catch {
    throw new CliError(`--teacher-dir: cannot read ${join(dir, 'teacher.json')}`);
  }
  await initTrainingBackend('cpu');
  const model = await loadLayersModel(join(dir, 'model.json'));
  const compute = await createCompute({ backend: 'auto' });
  try {
    const names = teacherLayerNames(model);
    if (!names.includes(o.layer)) throw new CliError(`--layer: the model has no layer '${o.layer}' (it has: ${names.join(', ')})`);
    const set = await loadStimulusSet(
      datasetRequest({ name: info.dataset, directory: '', numStimuli: info.numStimuli, numValidation: 0, splitSeed: info.splitSeed }),
    );
    try {
      for await (const l of layerActivations(model, [o.layer], set.stimuli, { batchSize: 200, signal })) {
        const n = l.shape[0]!;
        return await synthNeural(compute, { n, d: l.data.length / n, data: l.data }, {
          sites: parseCount('--sites', o.sites),
          repetitions: parseCount('--repetitions', o.repetitions),
          reliability,
          seed: parseCount('--seed', o.seed),
          method: 'correlation',
          signal,
        });
      }
      throw new CliError(`--layer: no activations for '${o.layer}'`);
    } finally {
      set.stimuli.dispose();
    }
  } finally {
    model.dispose();
    await compute.dispose();
  }
}

async function upload(ctx: CliContext, o: SynthOptions, synth: SynthNeural): Promise<Teacher> {
  async function* requests(): AsyncGenerator<CreateTeacherRequest> {
    yield {
      message: {
        $case: 'header',
        value: {
          id: o.upload!,
          description: `synthetic recordings of ${o.layer}: ${synth.shape[2]} sites x ${synth.shape[0]} repetitions, RDM reliability ${synth.calibrated.toFixed(3)}`,
          numStimuli: synth.shape[1],
          stimulusIds: [],
          rdmMethod: RdmMethod.RDM_METHOD_CORRELATION,
          storeGram: false,
          repetitions: true,
          missingRepetitions: false,
          ceilingSplits: parseCount('--ceiling-splits', o.ceilingSplits),
          ceilingSeed: parseCount('--seed', o.seed),
        },
      },
    };
    for (const chunk of encodeLayerChunks(o.layer, synth.shape, synth.data)) {
      yield { message: { $case: 'chunk', value: { ...chunk, dtype: DType.DTYPE_FLOAT32 } } };
    }
  }
  return ctx.clients.teacherCache.createTeacher(requests(), ctx.callOptions());
}
