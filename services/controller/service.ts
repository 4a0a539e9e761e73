// gRPC adapter of the search controller: proto <-> domain only.
import type { CallContext } from 'nice-grpc';
import type {
  CompleteTrialRequest,
  SearchControllerServiceImplementation,
} from '../../gen/tgsage/v1/search_controller.ts';
import type { LayerChunk } from '../../gen/tgsage/v1/tensor.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import { paginate } from '../common/pages.ts';
import { splitHeader } from '../common/upload.ts';
import type { Controller } from './controller.ts';
import { textPieces } from './export.ts';

export function searchControllerService(controller: Controller): SearchControllerServiceImplementation {
  return {
    createStudy: (req, ctx) => controller.createStudy(req.config, req.studyId, ctx.signal),
    async *runStudy(req, ctx) {
      const id = await controller.runStudy(req.studyId, req.config, ctx.signal);
      // cancelling this call ends the watch only; the study keeps running
      yield* controller.watch(id, ctx.signal);
    },
    async *watchStudy(req, ctx) {
      if (!req.studyId) throw new InvalidArgumentError('study_id', 'is required');
      controller.getStudy(req.studyId); // NOT_FOUND before the stream starts
      yield* controller.watch(req.studyId, ctx.signal);
    },
    getStudy: async (req) => controller.getStudy(required('study_id', req.studyId)),
    listStudies: async (req) => {
      // newest first; studies are never removed, so the last id returned marks the place
      const page = paginate(controller.listStudies(), (s) => s.id, req, () => false);
      return { studies: page.items, nextPageToken: page.nextPageToken };
    },
    stopStudy: (req) => controller.stopStudy(required('study_id', req.studyId)),
    exportStudy: async function* (req, ctx) {
      const { content, contentType } = controller.exportStudy(required('study_id', req.studyId), req.format);
      for (const piece of textPieces(content)) {
        if (ctx.signal.aborted) return;
        yield { content: piece, contentType };
      }
    },
    suggestTrials: async (req, ctx) => ({
      trials: await controller.suggestTrials(required('study_id', req.studyId), req.clientId, req.count, ctx.signal),
    }),
    completeTrial: (requests, ctx) => completeTrial(controller, requests, ctx),
  };
}

function required(field: string, value: string): string {
  if (!value) throw new InvalidArgumentError(field, 'is required');
  return value;
}

/** Reads the header, then hands the remaining chunks on as a stream (never buffered here). */
async function completeTrial(controller: Controller, requests: AsyncIterable<CompleteTrialRequest>, ctx: CallContext) {
  const { header: h, pieces } = await splitHeader(requests);
  if (!h.studyId) throw new InvalidArgumentError('header.study_id', 'is required');
  // no trial id: an import of an outside result (the controller checks the header's genome)
  const it = pieces[Symbol.asyncIterator]();
  const first = await it.next();
  let chunks: AsyncIterable<LayerChunk> | undefined;
  if (!first.done) {
    if (h.trainHere || h.failure) {
      throw new InvalidArgumentError('chunk', 'activations cannot come with train_here or failure');
    }
    chunks = (async function* () {
      for (let m: IteratorResult<LayerChunk> = first; !m.done; m = await it.next()) yield m.value;
    })();
  }
  return controller.completeTrial(h, chunks, ctx.signal);
}
