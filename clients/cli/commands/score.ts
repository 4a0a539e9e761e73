// `tgsage score`: streams a candidate's layer activations to the scorer and prints TG, the best candidate layer for
// each teacher layer, and the candidate x teacher similarity matrix.

import { Command, Option } from 'commander';
import type { ScoreActivationsRequest } from '../../../gen/tgsage/v1/scorer.ts';
import { RdmMethod, type SimilarityResult } from '../../../gen/tgsage/v1/similarity.ts';
import { action } from '../action.ts';
import { COMPARATORS, RDM_METHODS, TEACHER_LAYERS_HELP, comparatorName, parseEnum, parseNames, rdmMethodName } from '../enums.ts';
import { matrixTable } from '../format.ts';
import { collectLayer, layerChunks, openLayers, type LayerSpec } from '../layers.ts';
import { printJson, printText } from '../output.ts';
import { createProgress } from '../progress.ts';
import { CliError } from '../errors.ts';

interface ScoreOptions {
  teacher: string;
  layer?: LayerSpec[];
  comparator: string;
  rdmMethod?: string;
  teacherLayers?: string;
  bootstrap: string;
  seed: string;
}

/** A non-negative integer option. */
export function parseCount(flag: string, value: string): number {
  const v = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v)) throw new CliError(`${flag}: expected a non-negative integer, got '${value}'`);
  return v;
}

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function scoreCommand(): Command {
  return new Command('score')
    .description("score a candidate's layers against a cached teacher (TG: mean over teacher layers of the best match)")
    .requiredOption('--teacher <id>', 'teacher id in the teacher cache')
    .option('--layer <name=file.npy>', 'a candidate layer: activations [stimuli, ...features] on the teacher\'s stimuli (repeatable)', collectLayer)
    .addOption(new Option('--comparator <name>', 'how RDMs (or, for CKA, activations) are compared').choices(Object.keys(COMPARATORS)).default('spearman'))
    .addOption(new Option('--rdm-method <method>', "RDM method for the candidate (default: the teacher's)").choices(Object.keys(RDM_METHODS)))
    .option('--teacher-layers <names>', TEACHER_LAYERS_HELP)
    .option('--bootstrap <K>', 'resample the stimuli K times for 95% intervals and p(best) (0 = none; RDM comparators but Kendall)', '0')
    .option('--seed <n>', 'seed of the bootstrap resamples', '0')
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
                teacherLayers: parseNames(o.teacherLayers),
                alsoComparators: [],
                bootstrap: parseCount('--bootstrap', o.bootstrap),
                bootstrapSeed: parseCount('--seed', o.seed),
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
    tgNormalized: finite(r.tgNormalized),
    best: r.best.map((b) => ({
      teacherLayer: b.teacherLayer,
      candidateLayer: b.candidateLayer,
      similarity: b.similarity,
      normalizedSimilarity: finite(b.normalizedSimilarity),
      ...(r.bootstrap ? { pBest: b.pBest } : {}),
    })),
    candidateLayers: r.candidateLayers,
    ...(r.skippedLayers.length > 0 ? { skippedLayers: r.skippedLayers } : {}),
    teacherLayers: r.teacherLayers,
    matrix: r.candidateLayers.map((_, i) => r.similarity.slice(i * cols, (i + 1) * cols)),
    ceilings: r.ceilings.length > 0 ? r.ceilings : null,
    normalizedMatrix:
      r.normalizedSimilarity.length > 0 ? r.candidateLayers.map((_, i) => r.normalizedSimilarity.slice(i * cols, (i + 1) * cols).map(finite)) : null,
    bootstrap: r.bootstrap
      ? {
          resamples: r.bootstrap.resamples,
          seed: r.bootstrap.seed,
          confidence: r.bootstrap.confidence,
          matrixLow: r.candidateLayers.map((_, i) => r.bootstrap!.similarityLow.slice(i * cols, (i + 1) * cols).map(finite)),
          matrixHigh: r.candidateLayers.map((_, i) => r.bootstrap!.similarityHigh.slice(i * cols, (i + 1) * cols).map(finite)),
          tg: [finite(r.bootstrap.tgLow), finite(r.bootstrap.tgHigh)],
          tgNormalized: [finite(r.bootstrap.tgNormalizedLow), finite(r.bootstrap.tgNormalizedHigh)],
        }
      : null,
    computeSeconds: r.computeSeconds,
  };
}

export function describeScore(r: SimilarityResult): string {
  const cols = r.teacherLayers.length;
  const marked = r.teacherLayers.map((t) => {
    const best = r.best.find((b) => b.teacherLayer === t);
    return best === undefined ? -1 : r.candidateLayers.indexOf(best.candidateLayer);
  });
  return [
    `teacher ${r.teacherId}: ${r.numStimuli} stimuli, comparator ${comparatorName(r.comparator)}, RDM ${rdmMethodName(r.rdmMethod)}`,
    '',
    matrixTable({ rows: r.candidateLayers, columns: r.teacherLayers, values: r.similarity, marked }),
    '(* = best candidate layer for that teacher layer)',
    ...(r.skippedLayers.length > 0
      ? [`not scored (constant on some stimulus, which ${rdmMethodName(r.rdmMethod)} RDMs cannot use): ${r.skippedLayers.join(', ')}`]
      : []),
    '',
    ...r.best.map((b, j) => {
      const q = r.candidateLayers.indexOf(b.candidateLayer) * cols + j;
      const ci = r.bootstrap ? ` [${r.bootstrap.similarityLow[q]!.toFixed(4)}, ${r.bootstrap.similarityHigh[q]!.toFixed(4)}], p(best) ${b.pBest.toFixed(3)}` : '';
      const ceiling = r.ceilings.length > 0 ? `; ceiling ${r.ceilings[j]!.toFixed(4)}, normalised ${b.normalizedSimilarity.toFixed(4)}` : '';
      return `best for ${b.teacherLayer}: ${b.candidateLayer} (${b.similarity.toFixed(4)}${ci}${ceiling})`;
    }),
    '',
    `TG = ${r.tg.toFixed(4)}${r.bootstrap ? ` [${r.bootstrap.tgLow.toFixed(4)}, ${r.bootstrap.tgHigh.toFixed(4)}]` : ''}`,
    ...(r.ceilings.length > 0
      ? [`TG (ceiling-normalised) = ${r.tgNormalized.toFixed(4)}${r.bootstrap ? ` [${r.bootstrap.tgNormalizedLow.toFixed(4)}, ${r.bootstrap.tgNormalizedHigh.toFixed(4)}]` : ''}`]
      : []),
    ...(r.bootstrap ? [`(${Math.round(r.bootstrap.confidence * 100)}% bootstrap intervals over ${r.bootstrap.resamples} resamples of the stimuli, seed ${r.bootstrap.seed})`] : []),
  ].join('\n');
}
