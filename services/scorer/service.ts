// Scorer gRPC adapter: proto <-> scoring sessions only.
import { RdmMethod as RdmMethodProto } from '../../gen/tgsage/v1/similarity.ts';
import type { SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import type { CompareRdmsRequest, ScoreActivationsRequest, ScorerServiceImplementation } from '../../gen/tgsage/v1/scorer.ts';
import { RdmSide } from '../../gen/tgsage/v1/scorer.ts';
import { assembleLayers, createMatrixAssembler } from '../common/chunks.ts';
import { comparatorFromProto, comparatorToProto, rdmMethodFromProto, rdmMethodToProto } from '../common/convert.ts';
import { createFloat32Pool } from '../common/buffer-pool.ts';
import { InvalidArgumentError, ResourceExhaustedError } from '../common/errors.ts';
import { createMemoryBudget, type CallMemory, type MemoryBudget } from '../common/memory-budget.ts';
import { splitHeader } from '../common/upload.ts';
import { beginCompare, beginScore, type ScorerDeps, type Similarity } from './score.ts';

export interface ScorerLimits {
  maxFeaturesPerLayer: number;
  maxScoreBytes: number;
  /** Largest num_stimuli (CompareRdms without a teacher). */
  maxStimuli: number;
  /** The process's memory budget; each call reserves its layers / RDMs there before allocating them. */
  memory?: MemoryBudget;
}

export function similarityToProto(s: Similarity): SimilarityResult {
  return {
    teacherId: s.teacherId,
    comparator: comparatorToProto(s.comparator),
    rdmMethod: s.rdmMethod ? rdmMethodToProto(s.rdmMethod) : RdmMethodProto.RDM_METHOD_UNSPECIFIED,
    candidateLayers: s.candidateLayers,
    teacherLayers: s.teacherLayers,
    similarity: s.similarity,
    best: s.best,
    tg: s.tg,
    numStimuli: s.numStimuli,
    computeSeconds: s.computeSeconds,
    also: s.also.map(similarityToProto),
    ceilings: s.ceilings ?? [],
    normalizedSimilarity: s.normalizedSimilarity ?? [],
    tgNormalized: s.tgNormalized,
    skippedLayers: [],
    bootstrap: s.bootstrap && {
      resamples: s.bootstrap.resamples,
      seed: s.bootstrap.seed,
      confidence: s.bootstrap.confidence,
      similarityLow: s.bootstrap.similarityLow,
      similarityHigh: s.bootstrap.similarityHigh,
      tgLow: s.bootstrap.tgLow,
      tgHigh: s.bootstrap.tgHigh,
      tgNormalizedLow: s.bootstrap.tgNormalizedLow,
      tgNormalizedHigh: s.bootstrap.tgNormalizedHigh,
    },
  };
}

export function scorerService(deps: ScorerDeps, limits: ScorerLimits): ScorerServiceImplementation {
  // Candidate layers' storage, reused once a layer has been computed (see buffer-pool.ts): at most two layers are
  // held per call, and up to 256 MiB are kept between calls (let go after 5 s without scoring).
  const layerPool = createFloat32Pool({ maxRetainedBytes: 256 * 1024 * 1024, idleReleaseMs: 5_000 });
  const budget = limits.memory ?? createMemoryBudget({ callBytes: Infinity, processBytes: Infinity });
  return {
    async scoreActivations(requests, { signal }) {
      const memory = budget.call();
      try {
        return await scoreActivations(requests, signal, memory);
      } finally {
        memory.end();
      }
    },
    async compareRdms(requests, { signal }) {
      const memory = budget.call();
      try {
        return await compareRdms(requests, signal, memory);
      } finally {
        memory.end();
      }
    },
  };

  async function scoreActivations(
    requests: AsyncIterable<ScoreActivationsRequest>,
    signal: AbortSignal,
    memory: CallMemory,
  ): Promise<SimilarityResult> {
    const { header, pieces } = await splitHeader(requests);
    const session = await beginScore(
      deps,
      {
        teacherId: header.teacherId,
        rdmMethod:
          header.rdmMethod === RdmMethodProto.RDM_METHOD_UNSPECIFIED
            ? undefined
            : rdmMethodFromProto(header.rdmMethod, 'header.rdm_method', 'correlation'),
        comparator: comparatorFromProto(header.comparator, 'header.comparator'),
        teacherLayers: header.teacherLayers,
        alsoComparators: header.alsoComparators.map((c, i) => comparatorFromProto(c, `header.also_comparators[${i}]`)),
        bootstrap: header.bootstrap,
        bootstrapSeed: header.bootstrapSeed,
      },
      signal,
    );
    const layers = assembleLayers(pieces, {
      expectedStimuli: session.numStimuli,
      maxFeaturesPerLayer: limits.maxFeaturesPerLayer,
      maxTotalBytes: limits.maxScoreBytes,
      allocate: layerPool.take,
      memory,
    });
    // Layer k is computed (native threads) while layer k+1 arrives: at most two layers' activations are held.
    let computing: Promise<void> = Promise.resolve();
    for await (const layer of layers) {
      await computing;
      // the buffer goes back only after a successful compute: a failed one may not have let go of it
      computing = session.addLayer(layer).then(() => {
        layerPool.give(layer.data);
        memory.free(layer.data.byteLength);
      });
      computing.catch(() => undefined); // surfaced by the next await
    }
    await computing;
    return similarityToProto(await session.finish(signal));
  }

  async function compareRdms(
    requests: AsyncIterable<CompareRdmsRequest>,
    signal: AbortSignal,
    memory: CallMemory,
  ): Promise<SimilarityResult> {
    const { header, pieces } = await splitHeader(requests);
    if (header.numStimuli > limits.maxStimuli) {
      throw new ResourceExhaustedError(`header.num_stimuli: ${header.numStimuli} is over the limit of ${limits.maxStimuli} stimuli`);
    }
    const session = await beginCompare(
      deps,
      {
        teacherId: header.teacherId,
        comparator: comparatorFromProto(header.comparator, 'header.comparator'),
        numStimuli: header.numStimuli,
        bootstrap: header.bootstrap,
        bootstrapSeed: header.bootstrapSeed,
        teacherLayers: header.teacherLayers,
      },
      signal,
    );
    const assembler = createMatrixAssembler({
      field: 'rdm.chunk',
      expectedSize: session.numStimuli,
      maxSize: limits.maxStimuli,
      memory,
      checkFinite: 'upper', // only the upper triangle is read: anything may lie below the diagonal
    });
    let side: 'candidate' | 'teacher' | undefined;
    for await (const piece of pieces) {
      if (!piece.chunk) throw new InvalidArgumentError('rdm.chunk', 'missing');
      const pieceSide = piece.side === RdmSide.RDM_SIDE_TEACHER ? 'teacher' : 'candidate';
      if (side !== undefined && piece.side !== RdmSide.RDM_SIDE_UNSPECIFIED && pieceSide !== side) {
        throw new InvalidArgumentError('rdm.side', `changed from ${side} to ${pieceSide} in the middle of an RDM`);
      }
      side ??= pieceSide;
      const matrix = assembler.push(piece.chunk);
      if (matrix) {
        await session.addRdm(side, matrix);
        side = undefined;
      }
    }
    assembler.end();
    return similarityToProto(await session.finish());
  }
}
