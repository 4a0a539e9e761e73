// The work of `tgsage data synth-neural` (synth-neural.ts), loaded only when the command runs: it needs tfjs.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CreateTeacherRequest, Teacher } from '../../../gen/tgsage/v1/teacher_cache.ts';
import { RdmMethod } from '../../../gen/tgsage/v1/similarity.ts';
import { DType } from '../../../gen/tgsage/v1/tensor.ts';
import { encodeLayerChunks } from '../../../services/common/chunks.ts';
import { createCompute } from '../../../services/compute/index.ts';
import type { ShippedTeacher } from '../../../services/teacher-cache/compute-teacher.ts';
import { teacherLayerNames } from '../../../services/teachers/layers.ts';
import { loadLayersModel } from '../../../services/teachers/model-files.ts';
import { synthNeural, type SynthNeural } from '../../../services/teachers/synth-neural.ts';
import { layerActivations } from '../../../services/trainer/activations.ts';
import { initTrainingBackend } from '../../../services/trainer/backend.ts';
import { loadStimulusSet } from '../../../services/trainer/data-adapter.ts';
import { datasetRequest } from '../../../services/trainer/service.ts';
import type { CliContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { writeNpy } from '../npy.ts';
import { printJson, printText } from '../output.ts';
import { parseCount } from './score.ts';

export interface SynthOptions {
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
          tgLayers: [],
        },
      },
    };
    for (const chunk of encodeLayerChunks(o.layer, synth.shape, synth.data)) {
      yield { message: { $case: 'chunk', value: { ...chunk, dtype: DType.DTYPE_FLOAT32 } } };
    }
  }
  return ctx.clients.teacherCache.createTeacher(requests(), ctx.callOptions());
}

/** Runs the command (options as parsed by synth-neural.ts). */
export async function runSynthNeural(ctx: CliContext, o: SynthOptions): Promise<void> {
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
}
