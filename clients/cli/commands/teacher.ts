// `tgsage teacher put|get|list|delete|rdm`: the teacher cache from the command line.

import { readFile, writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { DType } from '../../../gen/tgsage/v1/tensor.ts';
import type { CreateTeacherRequest, Teacher } from '../../../gen/tgsage/v1/teacher_cache.ts';
import { action } from '../action.ts';
import type { CliContext } from '../context.ts';
import { RDM_METHODS, comparatorName, parseEnum, parseNames, rdmMethodName, sourceName } from '../enums.ts';
import { CliError } from '../errors.ts';
import { formatBytes, table } from '../format.ts';
import { collectLayer, layerChunks, moveAxisToFront, openLayers, type LayerSpec } from '../layers.ts';
import { NPY_ITEM_SIZE, encodeNpy } from '../npy.ts';
import { parseCount } from './score.ts';
import { printJson, printText } from '../output.ts';
import { teacherComputeCommand, teacherTrainCommand } from './teacher-train.ts';
import { createProgress } from '../progress.ts';
import { allPages } from '../../../services/common/pages.ts';
import { teacherLayersText } from '../../../services/teachers/tg-layers.ts';

export function teacherCommand(): Command {
  const teacher = new Command('teacher').description('store, inspect and delete teachers in the teacher cache');

  teacher
    .command('put')
    .description('upload a teacher: its layers\' activations on the stimulus set, from .npy files')
    .requiredOption('--id <id>', 'teacher id ([A-Za-z0-9._-], up to 64 characters)')
    .option('--description <text>', 'free text shown in listings', '')
    .addOption(new Option('--rdm-method <method>', 'RDM method').choices(Object.keys(RDM_METHODS)).default('correlation'))
    .option('--gram', 'also store centred Gram matrices, so that CKA comparators can be used', false)
    .option('--layer <name=file.npy>', 'a layer: its activations [stimuli, ...features] (repeatable, in order)', collectLayer)
    .option('--stimulus-ids <file>', 'text file with one stimulus id per line, in row order')
    .option(
      '--repetitions-axis <axis>',
      'the layers hold repeated measurements (brain recordings) along this axis, e.g. 0 for [repetitions, stimuli, sites]; ' +
        'the RDM is computed from the mean over repetitions and noise ceilings are measured',
    )
    .option('--missing-repetitions', 'with --repetitions-axis: NaN marks a missing repetition (otherwise NaN is an error)', false)
    .option('--ceiling-splits <n>', 'random split-halves the noise ceiling averages over (default 50)', '0')
    .option('--ceiling-seed <n>', 'seed of the split-halves', '0')
    .option('--tg-layers <a,b,...>', 'the layers TG averages over by default (default: every layer)')
    .action(
      action<PutOptions>(async (ctx, o) => {
        const result = await putTeacher(ctx, o);
        if (ctx.json) printJson(teacherJson(result));
        else printText(`stored teacher ${result.id}: ${result.layers.length} layers, ${result.numStimuli} stimuli, ${formatBytes(result.storedBytes)} on disk`);
      }),
    );

  teacher
    .command('tg-layers')
    .description('set the layers TG averages over when a request names none (scores and studies made before keep theirs)')
    .argument('<id>', 'teacher id')
    .argument('[layers]', 'comma-separated layer names')
    .option('--all', 'every layer (the default of a new teacher)', false)
    .action(
      action<{ all: boolean }>(async (ctx, o, id, layers) => {
        const names = parseNames(layers);
        if (o.all === (names.length > 0)) throw new CliError('give the layers (a,b,...) or --all');
        const t = await ctx.clients.teacherCache.setTgLayers({ id, tgLayers: names }, { signal: ctx.signal });
        if (ctx.json) printJson(teacherJson(t));
        else printText(`teacher ${t.id}: TG averages over ${teacherLayersText(t.tgLayers)}`);
      }),
    );

  teacher
    .command('get')
    .description("show one teacher's metadata and layers")
    .argument('<id>', 'teacher id')
    .action(
      action(async (ctx, _o, id) => {
        const t = await ctx.clients.teacherCache.getTeacher({ id: id }, { signal: ctx.signal });
        if (ctx.json) printJson(teacherJson(t));
        else printText(describeTeacher(t));
      }),
    );

  teacher
    .command('list')
    .description('list the complete teachers')
    .action(
      action(async (ctx) => {
        const teachers = await allPages(async (pageToken) => {
          const r = await ctx.clients.teacherCache.listTeachers({ pageToken }, { signal: ctx.signal });
          return { items: r.teachers, nextPageToken: r.nextPageToken };
        });
        if (ctx.json) {
          printJson({ teachers: teachers.map(teacherJson) });
          return;
        }
        if (teachers.length === 0) {
          printText('no teachers (upload one with `tgsage teacher put`)');
          return;
        }
        printText(
          table(
            ['id', 'stimuli', 'layers', 'tg layers', 'rdm', 'source', 'size', 'created', 'ceiling', 'description'],
            teachers.map((t) => [
              t.id,
              String(t.numStimuli),
              String(t.layers.length),
              teacherLayersText(t.tgLayers),
              rdmMethodName(t.rdmMethod),
              sourceName(t.source),
              formatBytes(t.storedBytes),
              t.createdAt?.toISOString().slice(0, 19).replace('T', ' ') ?? '',
              ceilingSummary(t),
              t.description,
            ]),
            ['l', 'r', 'r', 'l', 'l', 'l', 'r', 'l', 'l', 'l'],
          ),
        );
      }),
    );

  teacher
    .command('delete')
    .description('delete a teacher')
    .argument('<id>', 'teacher id')
    .action(
      action(async (ctx, _o, id) => {
        await ctx.clients.teacherCache.deleteTeacher({ id: id }, { signal: ctx.signal });
        if (ctx.json) printJson({ deleted: id });
        else printText(`deleted teacher ${id}`);
      }),
    );

  teacher
    .command('rdm')
    .description("download one teacher layer's RDM as an N x N float32 .npy file")
    .argument('<id>', 'teacher id')
    .argument('<layer>', 'layer name')
    .requiredOption('-o, --out <file.npy>', 'where to write the RDM')
    .action(
      action<{ out: string }>(async (ctx, { out }, id, layer) => {
        const { size } = await downloadRdm(ctx, id, layer, out);
        if (ctx.json) printJson({ teacherId: id, layer: layer, size, out });
        else printText(`wrote ${out}: ${size}x${size} float32`);
      }),
    );

  teacher.addCommand(teacherTrainCommand());
  teacher.addCommand(teacherComputeCommand());

  return teacher;
}

interface PutOptions {
  id: string;
  description: string;
  rdmMethod: string;
  gram: boolean;
  layer?: LayerSpec[];
  stimulusIds?: string;
  repetitionsAxis?: string;
  missingRepetitions: boolean;
  ceilingSplits: string;
  ceilingSeed: string;
  tgLayers?: string;
}

async function putTeacher(ctx: CliContext, o: PutOptions): Promise<Teacher> {
  const repeated = o.repetitionsAxis !== undefined;
  if (!repeated && o.missingRepetitions) throw new CliError('--missing-repetitions needs --repetitions-axis');
  const axis = repeated ? parseCount('--repetitions-axis', o.repetitionsAxis!) : 0;
  const layers = await Promise.all(
    (await openLayers(o.layer ?? [])).map((l) => (repeated ? moveAxisToFront(l, axis, NPY_ITEM_SIZE[l.header.dtype]) : l)),
  );
  const numStimuli = layers[0]!.header.shape[repeated ? 1 : 0]!;
  const stimulusIds = o.stimulusIds === undefined ? [] : await readStimulusIds(o.stimulusIds);
  const totalBytes = layers.reduce((s, l) => s + l.header.byteLength, 0);
  const progress = createProgress(totalBytes, process.stderr, `teacher ${o.id}`);
  async function* requests(): AsyncGenerator<CreateTeacherRequest> {
    yield {
      message: {
        $case: 'header',
        value: {
          id: o.id,
          description: o.description,
          numStimuli,
          stimulusIds,
          rdmMethod: parseEnum('--rdm-method', RDM_METHODS, o.rdmMethod),
          storeGram: o.gram,
          repetitions: repeated,
          missingRepetitions: o.missingRepetitions,
          ceilingSplits: parseCount('--ceiling-splits', o.ceilingSplits),
          ceilingSeed: parseCount('--ceiling-seed', o.ceilingSeed),
          tgLayers: parseNames(o.tgLayers),
        },
      },
    };
    for await (const chunk of layerChunks(layers, progress, { signal: ctx.signal })) yield { message: { $case: 'chunk', value: chunk } };
  }
  try {
    return await ctx.clients.teacherCache.createTeacher(requests(), ctx.callOptions());
  } finally {
    progress.stop();
  }
}

async function readStimulusIds(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CliError(`--stimulus-ids: cannot read ${path}`);
  }
  return text
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

async function downloadRdm(ctx: CliContext, teacherId: string, layer: string, out: string): Promise<{ size: number }> {
  let values: Float32Array | Float64Array | undefined;
  let size = 0;
  let filled = 0;
  const stream = ctx.clients.teacherCache.getRdm({ teacherId, layer }, ctx.callOptions());
  for await (const chunk of stream) {
    if (values === undefined) {
      size = chunk.size;
      values = chunk.dtype === DType.DTYPE_FLOAT64 ? new Float64Array(size * size) : new Float32Array(size * size);
    }
    const item = values.BYTES_PER_ELEMENT;
    const bytes = new Uint8Array(values.buffer, chunk.offset * item, chunk.data.length);
    bytes.set(chunk.data);
    filled += chunk.data.length / item;
  }
  if (values === undefined || filled !== size * size) {
    throw new CliError(`incomplete RDM: got ${filled} of ${size * size} elements`);
  }
  await writeFile(out, encodeNpy(values, [size, size]));
  return { size };
}

export function teacherJson(t: Teacher) {
  return {
    id: t.id,
    description: t.description,
    numStimuli: t.numStimuli,
    stimulusIds: t.stimulusIds,
    rdmMethod: rdmMethodName(t.rdmMethod),
    source: sourceName(t.source),
    dataset: t.dataset,
    createdAt: t.createdAt?.toISOString() ?? null,
    storedBytes: t.storedBytes,
    layers: t.layers.map((l) => ({
      name: l.name,
      shape: l.shape,
      numFeatures: l.numFeatures,
      hasGram: l.hasGram,
      rdmSha256: l.rdmSha256,
      repetitions: l.repetitions,
      missingValues: l.missingValues,
      ceilings: l.ceilings.map((c) => ({
        comparator: comparatorName(c.comparator),
        splitHalf: c.splitHalf,
        splitHalfUncorrected: c.splitHalfUncorrected,
        splitHalfSd: c.splitHalfSd,
        splits: c.splits,
        lower: c.hasBounds ? c.lower : null,
        upper: c.hasBounds ? c.upper : null,
      })),
    })),
    repetitions: t.repetitions,
    tgLayers: t.tgLayers,
  };
}

/** Spearman ceilings of a teacher's layers for listings ("-" without repetitions). */
function ceilingSummary(t: Teacher): string {
  if (!t.repetitions) return '-';
  return t.layers
    .map((l) => {
      const c = l.ceilings.find((x) => comparatorName(x.comparator) === 'spearman');
      return `${l.name} ${c ? c.splitHalf.toFixed(3) : '?'}`;
    })
    .join(', ');
}

function describeTeacher(t: Teacher): string {
  const lines = [
    `id:          ${t.id}`,
    `description: ${t.description}`,
    `stimuli:     ${t.numStimuli}${t.stimulusIds.length > 0 ? ` (ids: ${t.stimulusIds.slice(0, 3).join(', ')}${t.stimulusIds.length > 3 ? ', ...' : ''})` : ''}`,
    `rdm method:  ${rdmMethodName(t.rdmMethod)}`,
    `source:      ${sourceName(t.source)}${t.dataset ? ` (${t.dataset})` : ''}`,
    `created:     ${t.createdAt?.toISOString() ?? '-'}`,
    `stored:      ${formatBytes(t.storedBytes)}`,
    `tg layers:   ${teacherLayersText(t.tgLayers)}`,
    '',
    table(
      ['layer', 'shape', 'features', 'gram', 'rdm sha256'],
      t.layers.map((l) => [l.name, l.shape.join('x'), String(l.numFeatures), l.hasGram ? 'yes' : 'no', l.rdmSha256.slice(0, 16)]),
      ['l', 'l', 'r', 'l', 'l'],
    ),
  ];
  if (t.repetitions) {
    lines.push(
      '',
      `noise ceilings (split-half reliability of the mean RDM over repetitions, Spearman-Brown corrected; rsatoolbox bounds):`,
      table(
        ['layer', 'reps', 'missing', 'comparator', 'ceiling', 'uncorrected', 'sd', 'splits', 'lower', 'upper'],
        t.layers.flatMap((l) =>
          l.ceilings.map((c) => [
            l.name,
            String(l.repetitions),
            String(l.missingValues),
            comparatorName(c.comparator),
            c.splitHalf.toFixed(4),
            c.splitHalfUncorrected.toFixed(4),
            c.splitHalfSd.toFixed(4),
            String(c.splits),
            c.hasBounds ? c.lower.toFixed(4) : '-',
            c.hasBounds ? c.upper.toFixed(4) : '-',
          ]),
        ),
        ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
  }
  return lines.join('\n');
}
