// The search controller's domain facade: studies, their runners, watchers and the ask/tell path. service.ts maps
// the gRPC contract onto this; nothing here imports gRPC transport code.
import { randomBytes } from 'node:crypto';
import type { Study, StudyConfig, StudyEvent, Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { ExportFormat, StudyState, TrialOrigin, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import type { Comparator, SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import type { LayerChunk } from '../../gen/tgsage/v1/tensor.ts';
import { FailedPreconditionError, InvalidArgumentError } from '../common/errors.ts';
import { isValidId } from '../common/ids.ts';
import { studyTeacherLayers } from '../teachers/tg-layers.ts';
import { type ValidateDeps, validateStudyConfig } from './config.ts';
import { eventHub, snapshotEvents } from './events.ts';
import { studyToCsv, studyToJson } from './export.ts';
import type { CheckpointStore } from './checkpoints.ts';
import type { TrainerPool } from './pool.ts';
import type { ProposerFactory } from './proposer.ts';
import {
  budgetTrials,
  finishStudy,
  type Log,
  mutex,
  newTrial,
  nextNumber,
  propose,
  recordEnd,
  recordResult,
  recordResultLocked,
  publish,
  runStudyLoop,
  SHUTDOWN,
  snapshot,
  STOP,
  type StudyContext,
  trainTrial,
} from './runner.ts';
import { rewardOf } from './ranking.ts';
import { isTerminal, type StudyStorage } from './storage.ts';
import type { StrategyRegistry } from './strategies/registry.ts';
import { decisionSpace, encode } from '../spaces/decisions.ts';
import { validateGenomeInSpace } from '../spaces/validate.ts';

/** Longest source label of an imported trial, in UTF-8 bytes. */
export const MAX_SOURCE_BYTES = 128;

/** Streams a candidate's layer chunks to the Scorer (one chunk at a time) and returns its similarity result. */
export type ScoreActivationsFn = (
  teacherId: string,
  comparator: Comparator,
  chunks: AsyncIterable<LayerChunk>,
  signal: AbortSignal,
  teacherLayers: readonly string[],
) => Promise<SimilarityResult>;

export interface ControllerDeps {
  storage: StudyStorage;
  pool: TrainerPool;
  proposers: ProposerFactory;
  /** Strategies known to the proposers (validates strategy settings). */
  registry?: StrategyRegistry;
  /** Throws NotFoundError for an unknown teacher. */
  checkTeacher?: ValidateDeps['checkTeacher'];
  scoreActivations?: ScoreActivationsFn;
  /** Successive-halving checkpoints (checkpoints.ts); without it promoted trials train from step 0. */
  checkpoints?: CheckpointStore;
  log?: Log;
  newStudyId?: () => string;
}

export interface CompleteHeader {
  studyId: string;
  trialId: string;
  clientId: string;
  p?: number | undefined;
  trainHere: boolean;
  failure: string;
  /** Import: a genome the study did not suggest (trialId empty). */
  genome?: Genome | undefined;
  /** Import: where the result comes from. */
  source?: string;
}

export interface Controller {
  createStudy(config: StudyConfig | undefined, studyId?: string, signal?: AbortSignal): Promise<Study>;
  /** Starts (or resumes) the study's runner unless it is already running; returns the study id. */
  runStudy(studyId: string, config: StudyConfig | undefined, signal?: AbortSignal): Promise<string>;
  watch(studyId: string, signal?: AbortSignal): AsyncIterable<StudyEvent>;
  /** The study, with its trials unless `withTrials` is false (NOT_FOUND if unknown). */
  getStudy(studyId: string, withTrials?: boolean): Study;
  /** A study's trials in number order (NOT_FOUND if the study is unknown). */
  listTrials(studyId: string): Trial[];
  listStudies(): Study[];
  /** Stops the study; returns it without trials (trial_count says how many). */
  stopStudy(studyId: string): Promise<Study>;
  exportStudy(studyId: string, format: ExportFormat): { content: string; contentType: string };
  suggestTrials(studyId: string, clientId: string, count: number, signal?: AbortSignal): Promise<Trial[]>;
  /** `chunks` is undefined when the client sent no activations. */
  completeTrial(header: CompleteHeader, chunks: AsyncIterable<LayerChunk> | undefined, signal: AbortSignal): Promise<Trial>;
  /** Resumes the runner of every study left RUNNING by an earlier process. */
  resumeAll(): Promise<string[]>;
  /** Stops runners without changing any study (they resume on the next start). */
  close(): Promise<void>;
}

interface Session extends StudyContext {
  abort: AbortController;
  run?: Promise<void>;
}

export function createController(deps: ControllerDeps): Controller {
  const { storage, pool } = deps;
  const log: Log = deps.log ?? (() => {});
  const newStudyId = deps.newStudyId ?? (() => `s-${randomBytes(6).toString('hex')}`);
  const sessions = new Map<string, Promise<Session>>();

  function session(studyId: string): Promise<Session> {
    let s = sessions.get(studyId);
    if (!s) {
      s = openSession(studyId);
      sessions.set(studyId, s);
      s.catch(() => sessions.delete(studyId));
    }
    return s;
  }

  /** Forgets an ended study's session and frees its strategy (tensors). */
  function drop(studyId: string): void {
    const s = sessions.get(studyId);
    sessions.delete(studyId);
    void s?.then((x) => x.proposer.dispose?.(), () => {});
  }

  async function openSession(studyId: string): Promise<Session> {
    const record = storage.getStudy(studyId);
    if (record.driver === 'client') {
      // work a client asked for (train_here, scoring) was cut short by a restart: the client may complete it again
      const cut = storage.listTrials(studyId).filter((t) => t.state === TrialState.TRIAL_STATE_RUNNING);
      if (cut.length > 0) storage.putTrials(studyId, cut.map((t) => ({ ...t, state: TrialState.TRIAL_STATE_PENDING })));
    }
    // an imported trial whose training (train_here) was cut short by a restart: nobody will finish it
    const orphans = storage
      .listTrials(studyId)
      .filter((t) => t.origin === TrialOrigin.TRIAL_ORIGIN_IMPORTED && !isTerminal(t.state))
      .map((t) => ({ ...t, state: TrialState.TRIAL_STATE_FAILED, error: 'interrupted by a controller restart; import it again', finishedAt: new Date() }));
    if (orphans.length > 0) storage.putTrials(studyId, orphans);
    const proposer = await deps.proposers(record.config);
    const saved = storage.getStrategyState(studyId);
    if (saved !== undefined && proposer.restore) {
      proposer.restore(saved);
    } else {
      const done = storage.listTrials(studyId).filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETED && t.rung === 0);
      if (done.length > 0) {
        await proposer.update(done.map((t) => ({ genome: t.genome!, score: rewardOf(t) })));
      }
    }
    let wake: (() => void) | undefined;
    let wakeP: Promise<void> | undefined;
    return {
      id: studyId,
      config: record.config,
      storage,
      pool,
      hub: eventHub(studyId),
      proposer,
      log,
      checkpoints: deps.checkpoints,
      lock: mutex(),
      lastBoard: '',
      abort: new AbortController(),
      kick() {
        wake?.();
        wake = undefined;
        wakeP = undefined;
      },
      kicked() {
        wakeP ??= new Promise<void>((r) => (wake = r));
        return wakeP;
      },
    };
  }

  function terminalStudy(studyId: string): boolean {
    return studyEnded(storage.getStudy(studyId).state);
  }

  async function createStudy(config: StudyConfig | undefined, studyId = '', signal?: AbortSignal): Promise<Study> {
    if (studyId && !isValidId(studyId)) {
      throw new InvalidArgumentError('study_id', `${JSON.stringify(studyId)} is not a valid id`);
    }
    const full = await validateStudyConfig(config, { checkTeacher: deps.checkTeacher, registry: deps.registry }, signal);
    const id = studyId || newStudyId();
    storage.createStudy({
      id,
      config: full,
      state: StudyState.STUDY_STATE_CREATED,
      createdAt: new Date(),
      error: '',
      driver: '',
    });
    log('info', 'study created', { study: id });
    return snapshot({ id, storage });
  }

  async function startRunner(studyId: string): Promise<void> {
    const s = await session(studyId);
    if (s.run) return;
    const record = storage.getStudy(studyId);
    if (record.driver === 'client') {
      throw new FailedPreconditionError(`study ${studyId} is driven by ask/tell clients; it cannot be run here`);
    }
    s.run = runStudyLoop(s, s.abort.signal)
      .catch((e) => log('error', 'runner crashed', { study: studyId, error: String(e) }))
      .finally(() => {
        if (studyEnded(storage.getStudy(studyId).state)) drop(studyId);
      });
    log('info', 'study running', { study: studyId });
  }

  function finishIfClientDone(s: Session): void {
    const record = storage.getStudy(s.id);
    if (record.driver !== 'client' || studyEnded(record.state)) return;
    const trials = budgetTrials(storage.listTrials(s.id));
    if (trials.length >= s.config.numTrials && trials.every((t) => isTerminal(t.state))) {
      const ok = trials.some((t) => t.state === TrialState.TRIAL_STATE_COMPLETED);
      finishStudy(s, ok ? StudyState.STUDY_STATE_FINISHED : StudyState.STUDY_STATE_FAILED, ok ? '' : 'no trial completed');
      drop(s.id);
    }
  }

  /**
   * Imports a result the study did not suggest: a genome with P, and/or activations scored here, or trained here.
   * Nothing is visible until it is complete, except a train_here import, which shows as running while it trains.
   */
  async function importTrial(h: CompleteHeader, chunks: AsyncIterable<LayerChunk> | undefined, signal: AbortSignal): Promise<Trial> {
    if (h.genome === undefined) {
      throw new InvalidArgumentError('header.trial_id', 'is required (or give header.genome to import a trial the study did not suggest)');
    }
    const record = storage.getStudy(h.studyId);
    if (studyEnded(record.state)) throw new FailedPreconditionError(`study ${h.studyId} has ended; import into a study that has not`);
    const space = decisionSpace(record.config.space).name;
    validateGenomeInSpace(h.genome, space, 'header.genome');
    try {
      encode(h.genome); // the strategies learn through the decisions: the genome must have an encoding
    } catch (e) {
      if (e instanceof InvalidArgumentError) {
        throw new InvalidArgumentError(`header.${e.field}`, e.message.slice(e.field.length + 2));
      }
      throw e;
    }
    const source = h.source ?? '';
    if (Buffer.byteLength(source) > MAX_SOURCE_BYTES) {
      throw new InvalidArgumentError('header.source', `must be at most ${MAX_SOURCE_BYTES} bytes (got ${Buffer.byteLength(source)})`);
    }
    if (h.failure) throw new InvalidArgumentError('header.failure', 'an imported trial needs a result: give p, activations or train_here');
    if (h.trainHere && h.p !== undefined) {
      throw new InvalidArgumentError('header.p', 'train_here measures P here; leave p unset');
    }
    checkP(h.p);
    if (!h.trainHere && h.p === undefined && !chunks) throw new InvalidArgumentError('header', 'give p, activations or train_here');
    const s = await session(h.studyId);
    const create = (steps: number): Promise<Trial> =>
      s.lock.run(() => {
        const t = newTrial(h.studyId, nextNumber(s), h.genome, 0, steps, h.clientId, TrialOrigin.TRIAL_ORIGIN_IMPORTED, source);
        storage.putTrials(h.studyId, [t]);
        publish(s, { $case: 'trialProposed', value: t });
        return t;
      });
    let result: Trial;
    if (h.trainHere) {
      const trial = await create(s.config.stepsPerTrial);
      result = await trainTrial(s, trial, s.abort.signal);
    } else {
      let similarity: SimilarityResult | undefined;
      if (chunks) {
        if (!deps.scoreActivations) throw new FailedPreconditionError('no scorer configured');
        similarity = await deps.scoreActivations(s.config.teacherId, s.config.comparator, chunks, signal, studyTeacherLayers(s.config));
      }
      // created and completed under one lock turn: never visible half-done
      result = await s.lock.run(async () => {
        const t = newTrial(h.studyId, nextNumber(s), h.genome, 0, 0, h.clientId, TrialOrigin.TRIAL_ORIGIN_IMPORTED, source);
        return recordResultLocked(s, t, { p: h.p, similarity, attempts: 1 });
      });
    }
    log('info', 'trial imported', { study: h.studyId, trial: result.id, source });
    s.kick();
    return result;
  }

  return {
    createStudy,
    async runStudy(studyId, config, signal) {
      if (!studyId) {
        if (!config) throw new InvalidArgumentError('study_id', 'give a study id or a config');
        studyId = (await createStudy(config, '', signal)).id;
      } else if (config) {
        throw new InvalidArgumentError('config', 'give either a study id or a config, not both');
      }
      const record = storage.getStudy(studyId);
      if (record.state === StudyState.STUDY_STATE_STOPPED || record.state === StudyState.STUDY_STATE_FAILED) {
        throw new FailedPreconditionError(`study ${studyId} is ${StudyState[record.state]}; it cannot run again`);
      }
      if (record.state !== StudyState.STUDY_STATE_FINISHED) await startRunner(studyId);
      return studyId;
    },
    watch(studyId, signal) {
      const ready = (async () => {
        if (terminalStudy(studyId)) return undefined;
        return session(studyId);
      })();
      return {
        async *[Symbol.asyncIterator]() {
          const s = await ready;
          if (!s) {
            yield* snapshotEvents(studyId, snapshot({ id: studyId, storage }));
            yield { studyId, event: { $case: 'studyFinished', value: snapshot({ id: studyId, storage }, false) } };
            return;
          }
          yield* s.hub.watch(() => snapshot(s), signal);
        },
      };
    },
    getStudy: (studyId, withTrials = true) => snapshot({ id: studyId, storage }, withTrials),
    listTrials(studyId) {
      storage.getStudy(studyId); // NOT_FOUND for an unknown study, not an empty listing
      return storage.listTrials(studyId);
    },
    listStudies: () => storage.listStudies().map((r) => snapshot({ id: r.id, storage }, false)),
    async stopStudy(studyId) {
      const record = storage.getStudy(studyId);
      if (studyEnded(record.state)) return snapshot({ id: studyId, storage }, false);
      const s = await session(studyId);
      s.abort.abort(STOP);
      if (s.run) {
        await s.run;
      } else {
        await s.lock.run(() => {
          for (const t of storage.listTrials(studyId)) {
            if (!isTerminal(t.state)) recordEnd(s, t, TrialState.TRIAL_STATE_STOPPED, 'stopped with the study');
          }
          finishStudy(s, StudyState.STUDY_STATE_STOPPED);
        });
      }
      drop(studyId);
      log('info', 'study stopped', { study: studyId });
      return snapshot({ id: studyId, storage }, false);
    },
    exportStudy(studyId, format) {
      const study = snapshot({ id: studyId, storage });
      return format === ExportFormat.EXPORT_FORMAT_CSV
        ? { content: studyToCsv(study), contentType: 'text/csv' }
        : { content: studyToJson(study), contentType: 'application/json' };
    },
    async suggestTrials(studyId, clientId, count, signal) {
      if (!clientId) throw new InvalidArgumentError('client_id', 'is required');
      if (!Number.isInteger(count) || count < 1 || count > 100) {
        throw new InvalidArgumentError('count', `must be in [1, 100], got ${count}`);
      }
      const record = storage.getStudy(studyId);
      if (studyEnded(record.state)) throw new FailedPreconditionError(`study ${studyId} has ended`);
      if (record.driver === 'runner') {
        throw new FailedPreconditionError(`study ${studyId} is run by the controller; create another for ask/tell`);
      }
      const s = await session(studyId);
      storage.updateStudy(studyId, { state: StudyState.STUDY_STATE_RUNNING, driver: 'client' });
      const pending = storage
        .listTrials(studyId)
        .filter((t) => t.clientId === clientId && t.state === TrialState.TRIAL_STATE_PENDING)
        .slice(0, count);
      const fresh = await propose(s, count - pending.length, 0, s.config.stepsPerTrial, clientId, signal, s.config.numTrials);
      return [...pending, ...fresh];
    },
    async completeTrial(h, chunks, signal) {
      if (!h.trialId) return importTrial(h, chunks, signal);
      if (h.genome !== undefined) {
        throw new InvalidArgumentError('header.genome', 'is for imports only: leave trial_id empty to import a trial');
      }
      if (h.source) throw new InvalidArgumentError('header.source', 'is for imports only (trials with a genome and no trial_id)');
      const trial = storage.getTrial(h.studyId, h.trialId);
      if (trial.clientId !== h.clientId) {
        throw new FailedPreconditionError(`trial ${h.trialId} was not suggested to client ${JSON.stringify(h.clientId)}`);
      }
      if (isTerminal(trial.state) || trial.state === TrialState.TRIAL_STATE_RUNNING) {
        throw new FailedPreconditionError(`trial ${h.trialId} is ${TrialState[trial.state]}`);
      }
      const s = await session(h.studyId);
      let result: Trial;
      if (h.failure) {
        result = await s.lock.run(() => recordEnd(s, trial, TrialState.TRIAL_STATE_FAILED, h.failure));
      } else if (h.trainHere) {
        // the client going away does not cancel training it asked for; StopStudy does
        result = await trainTrial(s, trial, s.abort.signal);
      } else {
        checkP(h.p);
        if (h.p === undefined && !chunks) throw new InvalidArgumentError('header', 'give p, activations, train_here or failure');
        let similarity: SimilarityResult | undefined;
        if (chunks) {
          if (!deps.scoreActivations) throw new FailedPreconditionError('no scorer configured');
          storage.putTrials(h.studyId, [{ ...trial, state: TrialState.TRIAL_STATE_RUNNING }]);
          try {
            similarity = await deps.scoreActivations(s.config.teacherId, s.config.comparator, chunks, signal, studyTeacherLayers(s.config));
          } catch (e) {
            storage.putTrials(h.studyId, [trial]); // back to pending: the client may try again
            throw e;
          }
        }
        result = await recordResult(s, trial, { p: h.p, similarity, attempts: trial.attempts + 1 });
      }
      s.kick();
      finishIfClientDone(s);
      return result;
    },
    async resumeAll() {
      const resumed: string[] = [];
      for (const r of storage.listStudies()) {
        if (r.state === StudyState.STUDY_STATE_RUNNING && r.driver === 'runner') {
          await startRunner(r.id);
          resumed.push(r.id);
        }
      }
      if (resumed.length > 0) log('info', 'studies resumed', { studies: resumed });
      return resumed;
    },
    async close() {
      const all = await Promise.allSettled(sessions.values());
      for (const r of all) if (r.status === 'fulfilled') r.value.abort.abort(SHUTDOWN);
      for (const r of all) {
        if (r.status !== 'fulfilled') continue;
        await r.value.run;
        r.value.hub.close();
        r.value.proposer.dispose?.();
      }
      sessions.clear();
    },
  };
}

function studyEnded(state: StudyState): boolean {
  return state === StudyState.STUDY_STATE_FINISHED || state === StudyState.STUDY_STATE_STOPPED ||
    state === StudyState.STUDY_STATE_FAILED;
}

function checkP(p: number | undefined): void {
  if (p !== undefined && (!Number.isFinite(p) || p < 0 || p > 1)) throw new InvalidArgumentError('header.p', `must be in [0, 1], got ${p}`);
}
