// `tgsage score`: streams a candidate's layer activations to the scorer and prints TG, the best candidate layer for
// each teacher layer, and the candidate x teacher similarity matrix.

import { Command, Option } from 'commander';
import type { ScoreActivationsRequest } from '../../../gen/tgsage/v1/scorer.ts';
import { RdmMethod, type SimilarityResult } from '../../../gen/tgsage/v1/similarity.ts';
import { action } from '../action.ts';
import { COMPARATORS, RDM_METHODS, comparatorName, parseEnum, rdmMethodName } from '../enums.ts';
import { matrixTable } from '../format.ts';
import { collectLayer, layerChunks, openLayers, type LayerSpec } from '../layers.ts';
import { printJson, printText } from '../output.ts';
import { createProgress } from '../progress.ts';

interface ScoreOptions {
  teacher: string;
  layer?: LayerSpec[];
  comparator: string;
  rdmMethod?: string;
  teacherLayers?: string;
}

export function scoreCommand(): Command {
  return new Command('score')
    .description("score a candidate's layers against a cached teacher (TG: mean over teacher layers of the best match)")
    .requiredOption('--teacher <id>', 'teacher id in the teacher cache')
    .option('--layer <name=file.npy>', 'a candidate layer: activations [stimuli, ...features] on the teacher\'s stimuli (repeatable)', collectLayer)
    .addOption(new Option('--comparator <name>', 'how RDMs (or, for CKA, activations) are compared').choices(Object.keys(COMPARATORS)).default('spearman'))
    .addOption(new Option('--rdm-method <method>', "RDM method for the candidate (default: the teacher's)").choices(Object.keys(RDM_METHODS)))
    .option('--teacher-layers <names>', 'comma-separated teacher layers to compare with (default: all)')
    .action(
      action<ScoreOptions>(async (ctx, o) => {
        const layers = await openLayers(o.layer ?? []);
        const progress = createProgress(
          layers.reduce((s, l) => s + l.header.byteLength, 0),
          process.stderr,
          'score',
        );
        async function* requests(): AsyncGenerator<ScoreActivationsRequest> {
          yield {
            message: {
              $case: 'header',
              value: {
                teacherId: o.teacher,
                rdmMethod: o.rdmMethod === undefined ? RdmMethod.RDM_METHOD_UNSPECIFIED : parseEnum('--rdm-method', RDM_METHODS, o.rdmMethod),
                comparator: parseEnum('--comparator', COMPARATORS, o.comparator),
                teacherLayers: o.teacherLayers?.split(',').map((s) => s.trim()).filter((s) => s.length > 0) ?? [],
                alsoComparators: [],
              },
            },
          };
          for await (const chunk of layerChunks(layers, progress, { signal: ctx.signal })) yield { message: { $case: 'chunk', value: chunk } };
        }
        let result: SimilarityResult;
        try {
          result = await ctx.clients.scorer.scoreActivations(requests(), ctx.callOptions());
        } finally {
          progress.stop();
        }
        if (ctx.json) printJson(scoreJson(result));
        else printText(describeScore(result));
      }),
    );
}

/** The JSON shape of a score: TG, best match per teacher layer, and the matrix as rows of candidate layers. */
export function scoreJson(r: SimilarityResult) {
  const cols = r.teacherLayers.length;
  return {
    teacherId: r.teacherId,
    comparator: comparatorName(r.comparator),
    rdmMethod: rdmMethodName(r.rdmMethod),
    numStimuli: r.numStimuli,
    tg: r.tg,
    best: r.best.map((b) => ({ teacherLayer: b.teacherLayer, candidateLayer: b.candidateLayer, similarity: b.similarity })),
    candidateLayers: r.candidateLayers,
    teacherLayers: r.teacherLayers,
    matrix: r.candidateLayers.map((_, i) => r.similarity.slice(i * cols, (i + 1) * cols)),
    computeSeconds: r.computeSeconds,
  };
}

export function describeScore(r: SimilarityResult): string {
  const marked = r.teacherLayers.map((t) => {
    const best = r.best.find((b) => b.teacherLayer === t);
    return best === undefined ? -1 : r.candidateLayers.indexOf(best.candidateLayer);
  });
  return [
    `teacher ${r.teacherId}: ${r.numStimuli} stimuli, comparator ${comparatorName(r.comparator)}, RDM ${rdmMethodName(r.rdmMethod)}`,
    '',
    matrixTable({ rows: r.candidateLayers, columns: r.teacherLayers, values: r.similarity, marked }),
    '(* = best candidate layer for that teacher layer)',
    '',
    ...r.best.map((b) => `best for ${b.teacherLayer}: ${b.candidateLayer} (${b.similarity.toFixed(4)})`),
    '',
    `TG = ${r.tg.toFixed(4)}`,
  ].join('\n');
}
