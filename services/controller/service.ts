// gRPC adapter of the search controller: proto <-> domain only.
import type { CallContext } from 'nice-grpc';
import {
  type CompleteTrialRequest,
  type SearchControllerServiceImplementation,
  Study,
  StudyView,
} from '../../gen/tgsage/v1/search_controller.ts';
import type { LayerChunk } from '../../gen/tgsage/v1/tensor.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../common/errors.ts';
import { MAX_RESPONSE_BYTES, paginate } from '../common/pages.ts';
import { splitHeader } from '../common/upload.ts';
import type { Controller } from './controller.ts';
import { trialBytes } from './events.ts';
import { textPieces } from './export.ts';

/** Room left in a ListTrials page for its token. */
const PAGE_FIELDS_BYTES = 1024;

const mib = (bytes: number): string => (bytes / 1024 ** 2).toFixed(1);

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
    getStudy: async (req) => {
      const id = required('study_id', req.studyId);
      if (req.view === StudyView.STUDY_VIEW_BASIC) return controller.getStudy(id, false);
      if (req.view !== StudyView.STUDY_VIEW_UNSPECIFIED && req.view !== StudyView.STUDY_VIEW_FULL) {
        throw new InvalidArgumentError('view', `unknown view ${req.view}`);
      }
      const study = controller.getStudy(id);
      const bytes = Study.encode(study).finish().length;
      if (bytes > MAX_RESPONSE_BYTES) {
        throw new FailedPreconditionError(
          `view: study ${id} has ${study.trials.length} trials (${mib(bytes)} MiB), more than one response may carry ` +
            `(${mib(MAX_RESPONSE_BYTES)} MiB): ask for view STUDY_VIEW_BASIC and page its trials with ListTrials`,
        );
      }
      return study;
    },
    listTrials: async (req) => {
      const trials = controller.listTrials(required('study_id', req.studyId));
      // trials are numbered from 0 and never removed; a token holds the last number returned
      const before = (after: string, number: string): boolean => {
        if (!/^\d{1,10}$/.test(after)) throw new InvalidArgumentError('page_token', 'is not a token of a ListTrials response');
        return Number(after) < Number(number);
      };
      const page = paginate(trials, (t) => String(t.number), req, before, trialBytes, MAX_RESPONSE_BYTES - PAGE_FIELDS_BYTES);
      return { trials: page.items, nextPageToken: page.nextPageToken };
    },
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
