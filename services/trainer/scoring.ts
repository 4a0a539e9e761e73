// Streams a candidate's layer activations straight to the Scorer's ScoreActivations (header, then each layer as
// float32 LayerChunks of at most 1 MiB, layers one after another), keeping each layer's preview rows on the way, and
// turns the preview rows of the best-matching layers into 64 x 64 RDM previews. A layer the teacher's RDM method cannot
// use (constant on some stimulus: a dead layer) is not sent; it is listed in the result's skipped_layers and TG is
// taken over the others.
import type { Client } from 'nice-grpc';
import { Comparator, RdmMethod, type RdmPreview, type SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import type { ScorerDefinition, ScoreActivationsRequest } from '../../gen/tgsage/v1/scorer.ts';
import { encodeLayerChunks } from '../common/chunks.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import { constantRow } from '../compute/activations.ts';
import { fromClientError } from '../common/failures.ts';
import type { RdmMethod as RdmMethodName } from '../compute/types.ts';
import type { LayerActivations } from './activations.ts';
import { PREVIEW_SIZE, previewRows, smallRdm } from './previews.ts';

export interface ScoreArgs {
  readonly scorer: Client<ScorerDefinition>;
  readonly teacherId: string;
  readonly comparator: Comparator;
  /** Scored in the same pass; results in the SimilarityResult's `also`. */
  readonly alsoComparators?: readonly Comparator[];
  /** Teacher layers to score against (ScoreHeader.teacher_layers; empty: the teacher's tg_layers). */
  readonly teacherLayers?: readonly string[];
  /** The teacher's RDM method: layers it cannot use are skipped (default correlation, the strictest). */
  readonly rdmMethod?: RdmMethodName;
  readonly layers: AsyncIterable<LayerActivations>;
  readonly signal?: AbortSignal;
  /** Called as each layer has been handed to the stream. */
  readonly onLayer?: (name: string) => void;
}

export interface ScoreOutcome {
  readonly similarity: SimilarityResult;
  readonly previews: RdmPreview[];
}

export async function scoreLayers(args: ScoreArgs): Promise<ScoreOutcome> {
  const rows = new Map<string, { rows: Float32Array; m: number }>();
  const skipped: string[] = [];
  async function* requests(): AsyncGenerator<ScoreActivationsRequest> {
    yield {
      message: {
        $case: 'header',
        value: {
          teacherId: args.teacherId,
          rdmMethod: RdmMethod.RDM_METHOD_UNSPECIFIED,
          comparator: args.comparator,
          teacherLayers: [...(args.teacherLayers ?? [])],
          alsoComparators: [...(args.alsoComparators ?? [])],
          bootstrap: 0,
          bootstrapSeed: 0,
        },
      },
    };
    for await (const layer of args.layers) {
      const n = layer.shape[0]!;
      if (constantRow(layer.data, n, layer.data.length / n, args.rdmMethod ?? 'correlation') >= 0) {
        skipped.push(layer.name);
        continue;
      }
      rows.set(layer.name, previewRows(layer.data, n, PREVIEW_SIZE));
      for (const chunk of encodeLayerChunks(layer.name, layer.shape, layer.data)) yield { message: { $case: 'chunk', value: chunk } };
      args.onLayer?.(layer.name);
    }
  }
  let similarity: SimilarityResult;
  try {
    similarity = await args.scorer.scoreActivations(requests(), { signal: args.signal });
  } catch (error) {
    if (rows.size === 0 && skipped.length > 0) {
      throw new InvalidArgumentError(
        'activations',
        `every candidate layer (${skipped.join(', ')}) is constant on some stimulus, which ${args.rdmMethod ?? 'correlation'} ` +
          'RDMs cannot compare (a dead network)',
      );
    }
    throw fromClientError(error, 'scorer');
  }
  similarity = { ...similarity, skippedLayers: skipped };
  const method = rdmMethodName(similarity.rdmMethod);
  const best = [...new Set(similarity.best.map((b) => b.candidateLayer))];
  const previews = best.flatMap((layer) => {
    const r = rows.get(layer);
    return r ? [{ layer, size: r.m, data: rdmBytes(smallRdm(r.rows, r.m, method)) }] : [];
  });
  return { similarity, previews };
}

/** The compute name of a proto RDM method (unspecified: correlation, the default). */
export function rdmMethodName(method: RdmMethod): RdmMethodName {
  if (method === RdmMethod.RDM_METHOD_COSINE) return 'cosine';
  if (method === RdmMethod.RDM_METHOD_EUCLIDEAN) return 'euclidean';
  return 'correlation';
}

function rdmBytes(rdm: Float32Array): Buffer {
  return Buffer.from(rdm.buffer, rdm.byteOffset, rdm.byteLength);
}
