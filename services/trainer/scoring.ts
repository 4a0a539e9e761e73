// Streams a candidate's layer activations straight to the Scorer's ScoreActivations (header, then each layer as
// float32 LayerChunks of at most 1 MiB, layers one after another), keeping each layer's preview rows on the way, and
// turns the preview rows of the best-matching layers into 64 x 64 RDM previews.
import type { Client } from 'nice-grpc';
import { Comparator, RdmMethod, type RdmPreview, type SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import type { ScorerDefinition, ScoreActivationsRequest } from '../../gen/tgsage/v1/scorer.ts';
import { encodeLayerChunks } from '../common/chunks.ts';
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
      rows.set(layer.name, previewRows(layer.data, layer.shape[0]!, PREVIEW_SIZE));
      for (const chunk of encodeLayerChunks(layer.name, layer.shape, layer.data)) yield { message: { $case: 'chunk', value: chunk } };
      args.onLayer?.(layer.name);
    }
  }
  let similarity: SimilarityResult;
  try {
    similarity = await args.scorer.scoreActivations(requests(), { signal: args.signal });
  } catch (error) {
    throw fromClientError(error, 'scorer'); // e.g. a dead layer's constant rows: INVALID_ARGUMENT, kept as such
  }
  const method = rdmMethodName(similarity.rdmMethod);
  const best = [...new Set(similarity.best.map((b) => b.candidateLayer))];
  const previews = best.flatMap((layer) => {
    const r = rows.get(layer);
    return r ? [{ layer, size: r.m, data: rdmBytes(smallRdm(r.rows, r.m, method)) }] : [];
  });
  return { similarity, previews };
}

function rdmMethodName(method: RdmMethod): RdmMethodName {
  if (method === RdmMethod.RDM_METHOD_COSINE) return 'cosine';
  if (method === RdmMethod.RDM_METHOD_EUCLIDEAN) return 'euclidean';
  return 'correlation';
}

function rdmBytes(rdm: Float32Array): Buffer {
  return Buffer.from(rdm.buffer, rdm.byteOffset, rdm.byteLength);
}
