// Runs a study: asks the strategy for genomes, keeps up to `parallelism` trials in flight on the trainer pool, records
// each result durably (with the strategy's state) before announcing it, promotes the best trials through the rungs of
// successive halving, and finishes. The loop reads its position from storage on every turn, so a controller restarted
// after a kill -9 continues where the durable state says: completed trials are kept, unfinished ones run again.
import type { Study, StudyConfig, StudyEvent, Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { ScoreKind, StudyState, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import type { SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import { TrainCandidateRequest } from '../../gen/tgsage/v1/trainer.ts';
import { rungPlan } from './config.ts';
import type { EventHub } from './events.ts';
import type { TrainerPool } from './pool.ts';
import type { Proposer } from './proposer.ts';
import { leaderboard, ranked, rewardOf, scoreOf, trialTg } from './ranking.ts';
import { isTerminal, type StudyStorage, toStudy } from './storage.ts';

export type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** Abort reason of a controller shutdown: trials stay as they are in storage and are re-run after a restart. */
export const SHUTDOWN = Symbol('controller shutdown');
/** Abort reason of StopStudy: trials in flight are marked stopped. */
export const STOP = Symbol('study stopped');

/** Everything one study's code needs; one per study per controller process. */
export interface StudyContext {
  readonly id: string;
  readonly config: StudyConfig;
  readonly storage: StudyStorage;
  readonly pool: TrainerPool;
  readonly hub: EventHub;
  readonly proposer: Proposer;
  readonly log: Log;
  /** Serializes strategy updates and trial-number allocation. */
  readonly lock: Mutex;
  /** Wakes the runner loop (a client trial changed). */
  kick(): void;
  /** Resolves on the next kick. */
  kicked(): Promise<void>;
  lastBoard: string;
}

export interface Mutex {
  run<T>(f: () => Promise<T> | T): Promise<T>;
}

export function mutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(f) {
      const next = tail.then(f, f);
      tail = next.catch(() => undefined);
      return next;
    },
  };
}

export function publish(ctx: StudyContext, event: NonNullable<StudyEvent['event']>): void {
  ctx.hub.publish({ studyId: ctx.id, event });
}

export function snapshot(ctx: Pick<StudyContext, 'id' | 'storage'>, withTrials = true): Study {
  const trials = ctx.storage.listTrials(ctx.id);
  return toStudy(ctx.storage.getStudy(ctx.id), trials, withTrials, ranked(trials)[0]?.id ?? '');
}

/**
 * Asks the strategy for `count` genomes (fewer if the study would exceed `maxTrials` trials) and stores them as
 * pending trials of `rung`, then announces them.
 */
export async function propose(
  ctx: StudyContext,
  count: number,
  rung: number,
  steps: number,
  clientId: string,
  signal?: AbortSignal,
  maxTrials = Infinity,
): Promise<Trial[]> {
  return ctx.lock.run(async () => {
    const k = Math.min(count, maxTrials - ctx.storage.listTrials(ctx.id).length);
    if (k <= 0) return [];
    const genomes = await ctx.proposer.suggest(k, signal);
    signal?.throwIfAborted();
    const first = nextNumber(ctx);
    const trials = genomes.map((genome, i) => newTrial(ctx.id, first + i, genome, rung, steps, clientId));
    ctx.storage.putTrials(ctx.id, trials, ctx.proposer.state?.());
    for (const t of trials) publish(ctx, { $case: 'trialProposed', value: t });
    return trials;
  });
}

function nextNumber(ctx: StudyContext): number {
  return ctx.storage.listTrials(ctx.id).reduce((n, t) => Math.max(n, t.number + 1), 0);
}

export function newTrial(
  studyId: string,
  number: number,
  genome: Trial['genome'],
  rung: number,
  steps: number,
  clientId: string,
): Trial {
  return {
    id: `${studyId}-t${number}`,
    studyId,
    number,
    genome,
    state: TrialState.TRIAL_STATE_PENDING,
    trainer: '',
    steps,
    rung,
    clientId,
    attempts: 0,
    error: '',
    parameterCount: 0,
    wallSeconds: 0,
    createdAt: new Date(),
    rdmPreviews: [],
    curve: [],
    queueSeconds: 0,
    trainSeconds: 0,
  };
}

export interface ResultFields {
  p?: number | undefined;
  similarity?: SimilarityResult | undefined;
  trainer?: string;
  attempts?: number;
  steps?: number;
  parameterCount?: number;
  wallSeconds?: number;
  rdmPreviews?: Trial['rdmPreviews'];
}

/** Completes a trial: scores it, teaches the strategy, stores both in one transaction, then announces it. */
export async function recordResult(ctx: StudyContext, trial: Trial, fields: ResultFields): Promise<Trial> {
  return ctx.lock.run(async () => {
    const { tg, tgRaw, tgNormalized } = trialTg(ctx.config, fields.similarity);
    const t: Trial = {
      ...trial,
      ...fields,
      tg,
      tgRaw,
      tgNormalized,
      score: scoreOf(ctx.config, fields.p, tg),
      state: TrialState.TRIAL_STATE_COMPLETED,
      error: '',
      finishedAt: new Date(),
    };
    try {
      // the strategy learns from rung-0 results: the one budget every proposal is evaluated at
      if (t.rung === 0) await ctx.proposer.update([{ genome: t.genome!, score: rewardOf(t) }]);
    } catch (e) {
      ctx.log('warn', 'strategy update failed', { study: ctx.id, trial: t.id, error: String(e) });
    }
    ctx.storage.putTrials(ctx.id, [t], ctx.proposer.state?.());
    publish(ctx, { $case: 'trialCompleted', value: t });
    announceLeaderboard(ctx);
    return t;
  });
}

/** Ends a trial without a result (failed after all attempts, or stopped), durably, then announces it. */
export function recordEnd(ctx: StudyContext, trial: Trial, state: TrialState, error: string): Trial {
  const t: Trial = { ...trial, state, error, finishedAt: new Date() };
  ctx.storage.putTrials(ctx.id, [t]);
  publish(ctx, { $case: 'trialFailed', value: t });
  return t;
}

function announceLeaderboard(ctx: StudyContext): void {
  const entries = leaderboard(ctx.storage.listTrials(ctx.id));
  const key = JSON.stringify(entries.map((e) => e.trialId));
  if (key === ctx.lastBoard) return;
  ctx.lastBoard = key;
  publish(ctx, { $case: 'leaderboard', value: { entries } });
}

/** Trains one trial on the pool and records the outcome. Never throws; a shutdown leaves the trial as it is. */
export async function trainTrial(ctx: StudyContext, trial: Trial, signal: AbortSignal): Promise<Trial> {
  const c = ctx.config;
  let t: Trial = { ...trial, state: TrialState.TRIAL_STATE_RUNNING };
  ctx.storage.putTrials(ctx.id, [t]);
  const request = TrainCandidateRequest.fromPartial({
    genome: t.genome,
    training: { ...c.training, steps: t.steps, seed: c.seed, dataset: c.dataset },
    teacherId: c.teacherId,
    comparator: c.comparator,
    skipScoring: c.score === ScoreKind.SCORE_KIND_P,
    trialId: t.id,
  });
  try {
    const out = await ctx.pool.train(request, {
      signal,
      maxAttempts: c.maxAttempts,
      onStarted: (trainer, attempt) => {
        t = { ...t, trainer, attempts: attempt };
        publish(ctx, { $case: 'trialStarted', value: { trialId: t.id, trainer, attempt, steps: t.steps } });
      },
      onProgress: (progress) => publish(ctx, { $case: 'trialProgress', value: { trialId: t.id, progress } }),
    });
    const r = out.result;
    return await recordResult(ctx, t, {
      p: r.validationAccuracy,
      similarity: r.similarity,
      trainer: out.trainer,
      attempts: out.attempts,
      steps: r.steps || t.steps,
      parameterCount: r.parameterCount,
      wallSeconds: r.wallSeconds,
      rdmPreviews: r.rdmPreviews,
    });
  } catch (e) {
    if (signal.aborted) {
      if (signal.reason === SHUTDOWN) return t;
      return recordEnd(ctx, t, TrialState.TRIAL_STATE_STOPPED, 'stopped with the study');
    }
    ctx.log('warn', 'trial failed', { study: ctx.id, trial: t.id, error: String(e) });
    return recordEnd(ctx, t, TrialState.TRIAL_STATE_FAILED, e instanceof Error ? e.message : String(e));
  }
}

/** Marks the study ended, durably, and sends the final event to every watcher. */
export function finishStudy(ctx: StudyContext, state: StudyState, error = ''): void {
  ctx.storage.updateStudy(ctx.id, { state, error });
  const final: StudyEvent = { studyId: ctx.id, event: { $case: 'studyFinished', value: snapshot(ctx, false) } };
  ctx.hub.close(final);
}

/** The runner loop. Returns when the study finished, was stopped (STOP) or the controller shuts down (SHUTDOWN). */
export async function runStudyLoop(ctx: StudyContext, signal: AbortSignal): Promise<void> {
  const c = ctx.config;
  const plan = rungPlan(c);
  const running = new Map<string, Promise<unknown>>();
  ctx.storage.updateStudy(ctx.id, { state: StudyState.STUDY_STATE_RUNNING, driver: 'runner' });
  const stopped = aborted(signal);
  try {
    for (;;) {
      if (signal.aborted) break;
      const trials = ctx.storage.listTrials(ctx.id);
      const rung = trials.reduce((r, t) => Math.max(r, t.rung), 0);
      for (const t of trials) {
        if (running.size >= c.parallelism) break;
        if (t.clientId || isTerminal(t.state) || running.has(t.id)) continue;
        running.set(t.id, trainTrial(ctx, t, signal).finally(() => running.delete(t.id)));
      }
      const inRung = trials.filter((t) => t.rung === rung);
      if (rung === 0 && inRung.length < plan[0]!.count && running.size < c.parallelism) {
        const k = Math.min(c.parallelism - running.size, plan[0]!.count - inRung.length);
        const fresh = await propose(ctx, k, 0, plan[0]!.steps, '', signal);
        if (fresh.length === 0) throw new Error('the strategy proposed no trial');
        continue;
      }
      if (running.size === 0 && inRung.every((t) => isTerminal(t.state))) {
        const next = plan[rung + 1];
        const best = next ? ranked(inRung).slice(0, next.count) : [];
        if (next && best.length > 0) {
          await promote(ctx, best, rung + 1, next.steps);
          continue;
        }
        break;
      }
      await Promise.race([...running.values(), ctx.kicked(), stopped]);
    }
  } catch (e) {
    if (!signal.aborted) {
      ctx.log('error', 'study failed', { study: ctx.id, error: String(e) });
      await Promise.allSettled(running.values());
      finishStudy(ctx, StudyState.STUDY_STATE_FAILED, e instanceof Error ? e.message : String(e));
      return;
    }
  }
  await Promise.allSettled(running.values());
  if (signal.aborted) {
    if (signal.reason !== STOP) return; // shutdown: resume after restart
    for (const t of ctx.storage.listTrials(ctx.id)) {
      if (!isTerminal(t.state)) recordEnd(ctx, t, TrialState.TRIAL_STATE_STOPPED, 'stopped with the study');
    }
    finishStudy(ctx, StudyState.STUDY_STATE_STOPPED);
    return;
  }
  const all = ctx.storage.listTrials(ctx.id);
  if (all.some((t) => t.state === TrialState.TRIAL_STATE_COMPLETED)) finishStudy(ctx, StudyState.STUDY_STATE_FINISHED);
  else finishStudy(ctx, StudyState.STUDY_STATE_FAILED, 'no trial completed');
}

/** Successive halving: the best trials of a rung go on, as new trials, with a bigger step budget. */
async function promote(ctx: StudyContext, best: readonly Trial[], rung: number, steps: number): Promise<void> {
  await ctx.lock.run(() => {
    const first = nextNumber(ctx);
    const trials = best.map((b, i) => newTrial(ctx.id, first + i, b.genome, rung, steps, ''));
    ctx.storage.putTrials(ctx.id, trials);
    for (const t of trials) publish(ctx, { $case: 'trialProposed', value: t });
  });
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
