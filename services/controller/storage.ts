// Study storage: the one place a study's durable state lives (studies, trials, strategy state). The runner and the
// service talk to this interface only; `memoryStorage` backs unit tests, `sqliteStorage` (sqlite-storage.ts) is the
// default. Every call is synchronous (better-sqlite3 is), so a read-modify-write inside one call cannot interleave
// with another request on the event loop.
import type { Study, StudyConfig, Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { type StudyState, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import { AlreadyExistsError, NotFoundError } from '../common/errors.ts';

/** A study row: everything but its trials. */
export interface StudyRecord {
  id: string;
  config: StudyConfig;
  state: StudyState;
  createdAt: Date;
  error: string;
  /** Who proposes its trials: 'runner' (RunStudy: resumed on restart), 'client' (ask/tell), '' (not started). */
  driver: StudyDriver;
}

export type StudyDriver = '' | 'runner' | 'client';

/** Fields of a study that change after it is created. */
export type StudyPatch = Partial<Pick<StudyRecord, 'state' | 'error' | 'driver'>>;

export interface StudyStorage {
  /** Adds a new study (ALREADY_EXISTS if the id is taken). */
  createStudy(record: StudyRecord): void;
  /** The study (NOT_FOUND if unknown). */
  getStudy(id: string): StudyRecord;
  /** Every study, newest first. */
  listStudies(): StudyRecord[];
  /** Changes a study's state, error or driver. */
  updateStudy(id: string, patch: StudyPatch): void;
  /** A study's trials in number order. */
  listTrials(studyId: string): Trial[];
  /** One trial (NOT_FOUND if unknown). */
  getTrial(studyId: string, trialId: string): Trial;
  /**
   * Inserts or replaces trials, and optionally the strategy's state, in one transaction: when it returns, all of it
   * is durable (for SQLite: committed with synchronous=FULL).
   */
  putTrials(studyId: string, trials: readonly Trial[], strategyState?: string): void;
  /** The strategy state saved with the latest putTrials that carried one. */
  getStrategyState(studyId: string): string | undefined;
  close(): void;
}

/** Terminal trial states: a trial in one of them is never run again. */
export function isTerminal(state: TrialState): boolean {
  return state === TrialState.TRIAL_STATE_COMPLETED || state === TrialState.TRIAL_STATE_FAILED ||
    state === TrialState.TRIAL_STATE_STOPPED;
}

/** Assembles the Study message from a record and its trials (trials included only if asked). */
export function toStudy(record: StudyRecord, trials: readonly Trial[], withTrials: boolean, bestTrialId = ''): Study {
  return {
    id: record.id,
    config: record.config,
    state: record.state,
    trials: withTrials ? [...trials] : [],
    createdAt: record.createdAt,
    completedTrials: trials.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETED).length,
    trialCount: trials.length,
    bestTrialId,
    error: record.error,
  };
}

/** In-memory storage for tests; copies in and out so callers cannot alias stored objects. */
export function memoryStorage(): StudyStorage {
  const studies = new Map<string, StudyRecord>();
  const trials = new Map<string, Map<string, Trial>>();
  const strategy = new Map<string, string>();
  const must = (id: string): StudyRecord => {
    const s = studies.get(id);
    if (!s) throw new NotFoundError(`study ${JSON.stringify(id)} not found`);
    return s;
  };
  return {
    createStudy(record) {
      if (studies.has(record.id)) throw new AlreadyExistsError(`study ${JSON.stringify(record.id)} already exists`);
      studies.set(record.id, structuredClone(record));
      trials.set(record.id, new Map());
    },
    getStudy: (id) => structuredClone(must(id)),
    listStudies: () =>
      [...studies.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).map((s) =>
        structuredClone(s)
      ),
    updateStudy(id, patch) {
      Object.assign(must(id), structuredClone(patch));
    },
    listTrials(studyId) {
      must(studyId);
      return [...trials.get(studyId)!.values()].sort((a, b) => a.number - b.number).map((t) => structuredClone(t));
    },
    getTrial(studyId, trialId) {
      must(studyId);
      const t = trials.get(studyId)!.get(trialId);
      if (!t) throw new NotFoundError(`trial ${JSON.stringify(trialId)} not found in study ${studyId}`);
      return structuredClone(t);
    },
    putTrials(studyId, list, strategyState) {
      must(studyId);
      const m = trials.get(studyId)!;
      for (const t of list) m.set(t.id, structuredClone(t));
      if (strategyState !== undefined) strategy.set(studyId, strategyState);
    },
    getStrategyState: (studyId) => (must(studyId), strategy.get(studyId)),
    close() {},
  };
}
