// What the Python client offers, for TypeScript: train with progress / curve callbacks and get the result; complete
// or import ask/tell trials with activations from arrays; the study's score rule. The streams themselves (RunStudy,
// WatchStudy) are already async iterables: `for await (const e of clients.controller.watchStudy({ studyId }))`.
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import type { CompleteTrialHeader, CompleteTrialRequest, ExportFormat, ExportStudyResponse, Trial } from '../../gen/tgsage/v1/search_controller.ts';
import {
  TrainCandidateRequest,
  type DeepPartial,
  type CurvePoint,
  type TrainingProgress,
  type TrainingResult,
} from '../../gen/tgsage/v1/trainer.ts';
import { encodeLayerChunks, MAX_CHUNK_BYTES } from '../../services/common/chunks.ts';
import type { LayerInput } from './requests.ts';

/** The subset of the clients these helpers use (a TgsageClients fits). */
interface TrainerLike {
  trainCandidate(request: TrainCandidateRequest, options?: { signal?: AbortSignal }): AsyncIterable<{ event?: { $case: string; value: unknown } | undefined }>;
}
interface ControllerLike {
  completeTrial(requests: AsyncIterable<CompleteTrialRequest>, options?: { signal?: AbortSignal }): Promise<Trial>;
}

export interface TrainOptions {
  /** Each progress event. */
  onProgress?: (progress: TrainingProgress) => void;
  /** Each learning-curve point as soon as it is measured; return true to stop training (throws TrainingStoppedError). */
  onCurvePoint?: (point: CurvePoint) => boolean | void;
  signal?: AbortSignal;
}

/** Thrown by `train` when onCurvePoint asked to stop; `point` is the last point measured. */
export class TrainingStoppedError extends Error {
  constructor(readonly point: CurvePoint) {
    super(`training stopped at step ${point.step} (P ${point.validationAccuracy.toFixed(4)})`);
    this.name = 'TrainingStoppedError';
  }
}

/** TrainCandidate as one call: callbacks for progress and curve points, the result at the end. */
export async function train(
  clients: { trainer: TrainerLike },
  request: DeepPartial<TrainCandidateRequest> & { genome: Genome },
  options: TrainOptions = {},
): Promise<TrainingResult> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  try {
    for await (const e of clients.trainer.trainCandidate(TrainCandidateRequest.fromPartial(request), { signal })) {
      const ev = e.event;
      if (ev?.$case === 'progress') options.onProgress?.(ev.value as TrainingProgress);
      else if (ev?.$case === 'curvePoint' && options.onCurvePoint?.(ev.value as CurvePoint) === true) {
        throw new TrainingStoppedError(ev.value as CurvePoint);
      } else if (ev?.$case === 'result') return ev.value as TrainingResult;
    }
  } finally {
    stop.abort(); // cancels the call if we left early; a no-op once it ended
  }
  throw new Error("the trainer's stream ended without a result");
}

/** CompleteTrial's request stream: the header, then each layer in chunks of at most 1 MiB (views, no copies). */
export async function* completeTrialRequests(
  header: Partial<CompleteTrialHeader> & { studyId: string },
  layers: readonly LayerInput[] = [],
  maxChunkBytes = MAX_CHUNK_BYTES,
): AsyncGenerator<CompleteTrialRequest> {
  yield { message: { $case: 'header', value: { trialId: '', clientId: '', trainHere: false, failure: '', source: '', ...header } } };
  for (const l of layers) {
    for (const chunk of encodeLayerChunks(l.name, l.shape, l.data, maxChunkBytes)) yield { message: { $case: 'chunk', value: chunk } };
  }
}

/** Tell: completes a suggested trial with P and/or activations, train_here, or a failure. */
export function completeTrial(
  clients: { controller: ControllerLike },
  header: Partial<CompleteTrialHeader> & { studyId: string; trialId: string; clientId: string },
  layers: readonly LayerInput[] = [],
  signal?: AbortSignal,
): Promise<Trial> {
  return clients.controller.completeTrial(completeTrialRequests(header, layers), signal ? { signal } : {});
}

/** Imports a result the study did not suggest: its genome with P, and/or activations, or trainHere. */
export function importTrial(
  clients: { controller: ControllerLike },
  studyId: string,
  genome: Genome,
  result: { p?: number; layers?: readonly LayerInput[]; trainHere?: boolean; source?: string; clientId?: string },
  signal?: AbortSignal,
): Promise<Trial> {
  const header: Partial<CompleteTrialHeader> & { studyId: string } = {
    studyId,
    genome,
    trainHere: result.trainHere ?? false,
    source: result.source ?? '',
    clientId: result.clientId ?? '',
    ...(result.p === undefined ? {} : { p: result.p }),
  };
  return clients.controller.completeTrial(completeTrialRequests(header, result.layers ?? []), signal ? { signal } : {});
}

/** A study's whole export (ExportStudy streams it in pieces of at most 1 MiB): its text and MIME type. */
export async function exportStudy(
  clients: { controller: { exportStudy(request: { studyId: string; format: ExportFormat }, options?: { signal?: AbortSignal }): AsyncIterable<ExportStudyResponse> } },
  studyId: string,
  format: ExportFormat,
  signal?: AbortSignal,
): Promise<{ content: string; contentType: string }> {
  const pieces: string[] = [];
  let contentType = '';
  for await (const piece of clients.controller.exportStudy({ studyId, format }, signal ? { signal } : {})) {
    pieces.push(piece.content);
    contentType ||= piece.contentType;
  }
  return { content: pieces.join(''), contentType };
}

/** Reading a study of any size: every trial page by page, or the study with all of them. */
export { getStudyWithTrials, listAllTrials } from '../../services/controller/study-reader.ts';

/** The controller's score rule (P, TG or P+TG = (1 - alpha) P + alpha TG), to rank results the same way. */
export { resolveScoreRule, studyScore } from '../../services/controller/score.ts';
