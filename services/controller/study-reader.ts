// Reading a study of any size through the controller's API, for every client (CLI, TS client, experiment runner):
// GetStudy's full view is refused past 4 MiB (a few hundred trials with learning curves), so trials are paged.
import {
  type GetStudyRequest,
  type ListTrialsRequest,
  type ListTrialsResponse,
  type Study,
  StudyView,
  type Trial,
} from '../../gen/tgsage/v1/search_controller.ts';
import { allPages, MAX_PAGE_SIZE } from '../common/pages.ts';

/** The part of a SearchController client these helpers use. */
export interface StudyReader {
  getStudy(request: Partial<GetStudyRequest>, options?: { signal?: AbortSignal }): Promise<Study>;
  listTrials(request: Partial<ListTrialsRequest>, options?: { signal?: AbortSignal }): Promise<ListTrialsResponse>;
}

/** Every trial of a study in number order, page by page (ListTrials: a page holds at most 4 MiB). */
export function listAllTrials(clients: { controller: StudyReader }, studyId: string, signal?: AbortSignal): Promise<Trial[]> {
  const options = signal ? { signal } : {};
  return allPages(async (pageToken) => {
    const page = await clients.controller.listTrials({ studyId, pageToken, pageSize: MAX_PAGE_SIZE }, options);
    return { items: page.trials, nextPageToken: page.nextPageToken };
  });
}

/**
 * A study with all its trials, however many: its basic view, then its trials page by page. For a running study the
 * two are read one after the other, so completed_trials and best_trial_id may lag the trials by what finished in
 * between.
 */
export async function getStudyWithTrials(clients: { controller: StudyReader }, studyId: string, signal?: AbortSignal): Promise<Study> {
  const study = await clients.controller.getStudy({ studyId, view: StudyView.STUDY_VIEW_BASIC }, signal ? { signal } : {});
  return { ...study, trials: await listAllTrials(clients, studyId, signal) };
}
