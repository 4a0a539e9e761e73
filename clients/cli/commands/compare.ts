// `tgsage compare`: compares RDMs the caller computed (N x N .npy files) with a cached teacher's RDMs or with teacher
// RDMs given the same way (Scorer.CompareRdms). Prints the same matrix, best matches and TG as `tgsage score`.

import { Command, Option } from 'commander';
import { RdmSide, type CompareRdmsRequest } from '../../../gen/tgsage/v1/scorer.ts';
import type { SimilarityResult } from '../../../gen/tgsage/v1/similarity.ts';
import { action } from '../action.ts';
import { COMPARATORS, TEACHER_LAYERS_HELP, parseEnum, parseNames } from '../enums.ts';
import { CliError } from '../errors.ts';
import { MAX_CHUNK_BYTES, NPY_TO_DTYPE, collectLayer, openLayers, type LayerSpec, type OpenedLayer } from '../layers.ts';
import { NPY_ITEM_SIZE } from '../npy.ts';
import { printJson, printText } from '../output.ts';
import { createProgress, type Progress } from '../progress.ts';
import { describeScore, parseCount, scoreJson } from './score.ts';

interface CompareOptions {
  rdm?: LayerSpec[];
  teacher?: string;
  teacherLayers?: string;
  teacherRdm?: LayerSpec[];
  comparator: string;
  bootstrap: string;
  seed: string;
}

const RDM_COMPARATORS = Object.fromEntries(Object.entries(COMPARATORS).filter(([name]) => !name.startsWith('cka')));

export function compareCommand(): Command {
  return new Command('compare')
    .description("compare RDMs you computed (N x N .npy files) with a cached teacher's, or with teacher RDMs you give")
    .option('--rdm <name=file.npy>', 'a candidate RDM, N x N (repeatable)', collectLayer)
    .option('--teacher <id>', 'cached teacher to compare with')
    .option('--teacher-layers <names>', `with --teacher: ${TEACHER_LAYERS_HELP}`)
    .option('--teacher-rdm <name=file.npy>', 'a teacher RDM, N x N (repeatable; instead of --teacher)', collectLayer)
    .addOption(new Option('--comparator <name>', 'how RDMs are compared').choices(Object.keys(RDM_COMPARATORS)).default('spearman'))
    .option('--bootstrap <K>', 'resample the stimuli K times for 95% intervals and p(best) (0 = none)', '0')
    .option('--seed <n>', 'seed of the bootstrap resamples', '0')
    .action(
      action<CompareOptions>(async (ctx, o) => {
        if ((o.teacher === undefined) === (o.teacherRdm === undefined)) {
          throw new CliError('give either --teacher ID or --teacher-rdm NAME=FILE.npy (repeatable)');
        }
        const candidate = await openLayers(o.rdm ?? []);
        const teacher = o.teacherRdm === undefined ? [] : await openLayers(o.teacherRdm);
        const n = candidate[0]!.header.shape[0]!;
        for (const r of [...candidate, ...teacher]) {
          const [rows, cols, ...rest] = r.header.shape;
          if (rows !== n || cols !== n || rest.length > 0) {
            throw new CliError(`${r.path}: an RDM must be ${n} x ${n} like the first one, got (${r.header.shape.join(', ')})`);
          }
        }
        const all = [...candidate, ...teacher];
        const progress = createProgress(all.reduce((s, l) => s + l.header.byteLength, 0), process.stderr, 'compare');
        async function* requests(): AsyncGenerator<CompareRdmsRequest> {
          yield {
            message: {
              $case: 'header',
              value: {
                teacherId: o.teacher ?? '',
                comparator: parseEnum('--comparator', COMPARATORS, o.comparator),
                numStimuli: n,
                bootstrap: parseCount('--bootstrap', o.bootstrap),
                bootstrapSeed: parseCount('--seed', o.seed),
                teacherLayers: parseNames(o.teacherLayers),
              },
            },
          };
          for (const [side, rdms] of [[RdmSide.RDM_SIDE_CANDIDATE, candidate], [RdmSide.RDM_SIDE_TEACHER, teacher]] as const) {
            for await (const rdm of matrixUploads(rdms, side, progress, ctx.signal)) yield { message: { $case: 'rdm', value: rdm } };
          }
        }
        let result: SimilarityResult;
        try {
          result = await ctx.clients.scorer.compareRdms(requests(), ctx.callOptions());
        } finally {
          progress.stop();
        }
        if (ctx.json) printJson(scoreJson(result));
        else printText(describeScore(result));
      }),
    );
}

async function* matrixUploads(rdms: readonly OpenedLayer[], side: RdmSide, progress: Progress, signal: AbortSignal) {
  for (const rdm of rdms) {
    progress.start(rdm.name, rdm.header.byteLength);
    const item = NPY_ITEM_SIZE[rdm.header.dtype];
    let offset = 0;
    for await (const data of rdm.chunks({ chunkBytes: MAX_CHUNK_BYTES, signal })) {
      yield {
        side,
        chunk: { layer: rdm.name, dtype: NPY_TO_DTYPE[rdm.header.dtype], size: rdm.header.shape[0]!, offset, data },
      };
      offset += data.length / item;
      progress.advance(data.length);
    }
    progress.finish(`sent ${side === RdmSide.RDM_SIDE_TEACHER ? 'teacher' : 'candidate'} RDM ${rdm.name} (${rdm.header.shape.join('x')} ${rdm.header.dtype})`);
  }
}
