// Runs a study: asks the strategy for genomes, keeps up to `parallelism` trials in flight on the trainer pool, records
// each result durably (with the strategy's state) before announcing it, promotes the best trials through the rungs of
// successive halving, and finishes. The loop reads its position from storage on every turn, so a controller restarted
// after a kill -9 continues where the durable state says: completed trials are kept, unfinished ones run again.
import type { Study, StudyConfig, StudyEvent, Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { ScoreKind, StudyState, TrialOrigin, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import type { SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import { CheckpointMode, TrainCandidateRequest } from '../../gen/tgsage/v1/trainer.ts';
import type { CheckpointStore } from './checkpoints.ts';
import { studyTeacherLayers } from '../teachers/tg-layers.ts';
import { rungPlan, trainingSeedOf } from './config.ts';
import type { EventHub } from './events.ts';
import { promotedFrom } from './halving.ts';
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
  /** Where successive-halving checkpoints wait for the next rung (none: promoted trials train from step 0). */
  readonly checkpoints?: CheckpointStore | undefined;
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
    const k = Math.min(count, maxTrials - budgetTrials(ctx.storage.listTrials(ctx.id)).length);
    if (k <= 0) return [];
    const genomes = await ctx.proposer.suggest(k, signal);
    signal?.throwIfAborted();
    const first = nextNumber(ctx);
    const trials = genomes.map((genome, i) => newTrial(ctx.id, first + i, genome, rung, steps, clientId, TrialOrigin.TRIAL_ORIGIN_STRATEGY));
    ctx.storage.putTrials(ctx.id, trials, ctx.proposer.state?.());
    for (const t of trials) publish(ctx, { $case: 'trialProposed', value: t });
    return trials;
  });
}

/** Trials of the study's own budget (num_trials, the rungs): all but imported ones. */
export function budgetTrials(trials: readonly Trial[]): Trial[] {
  return trials.filter((t) => t.origin !== TrialOrigin.TRIAL_ORIGIN_IMPORTED);
}

export function nextNumber(ctx: StudyContext): number {
  return ctx.storage.listTrials(ctx.id).reduce((n, t) => Math.max(n, t.number + 1), 0);
}

export function newTrial(
  studyId: string,
  number: number,
  genome: Trial['genome'],
  rung: number,
  steps: number,
  clientId: string,
  origin: TrialOrigin = TrialOrigin.TRIAL_ORIGIN_STRATEGY,
  source = '',
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
    origin,
    source,
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
  curve?: Trial['curve'];
  queueSeconds?: number;
  trainSeconds?: number;
  startStep?: number;
  checkpointNote?: string;
}

/** Completes a trial: scores it, teaches the strategy, stores both in one transaction, then announces it. */
export async function recordResult(ctx: StudyContext, trial: Trial, fields: ResultFields): Promise<Trial> {
  return ctx.lock.run(() => recordResultLocked(ctx, trial, fields));
}

/** recordResult for a caller that holds ctx.lock. */
export async function recordResultLocked(ctx: StudyContext, trial: Trial, fields: ResultFields): Promise<Trial> {
  {
    const { tg, tgRaw, tgNormalized } = trialTg(ctx.config, fields.similarity);
    const t: Trial = {
      ...trial,
      ...fields,
      tg,
      tgRaw,
      tgNormalized,
      score: scoreOf(ctx.config, fields.p, tg, trial.rung),
      state: TrialState.TRIAL_STATE_COMPLETED,
      error: '',
      finishedAt: new Date(),
    };
    try {
      // the strategy learns from rung-0 results: the one budget every proposal is evaluated at
      if (t.rung === 0) {
        const outside = t.origin === TrialOrigin.TRIAL_ORIGIN_IMPORTED;
        await ctx.proposer.update([{ genome: t.genome!, score: rewardOf(t), ...(outside ? { outside } : {}) }]);
      }
    } catch (e) {
      ctx.log('warn', 'strategy update failed', { study: ctx.id, trial: t.id, error: String(e) });
    }
    ctx.storage.putTrials(ctx.id, [t], ctx.proposer.state?.());
    publish(ctx, { $case: 'trialCompleted', value: t });
    announceLeaderboard(ctx);
    return t;
  }
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

/**
 * Whether the study's promoted trials continue from their earlier rung's checkpoint: successive halving with more
 * than one rung, not `retrain_promoted`, and a checkpoint store. Every rung then trains under the learning-rate
 * schedule of the LAST rung's budget (schedule_steps), so a rung's run is exactly the first steps of the longest one.
 */
export function continuesPromoted(ctx: Pick<StudyContext, 'config' | 'checkpoints'>): boolean {
  const mf = ctx.config.multiFidelity;
  return Boolean(ctx.checkpoints && mf?.enabled && !mf.retrainPromoted && rungPlan(ctx.config).length > 1);
}

/** The checkpoint a promoted trial continues from, or why it trains from step 0 (logged). */
async function parentCheckpoint(ctx: StudyContext, t: Trial): Promise<{ from?: { bytes: Uint8Array; parent: Trial }; note: string }> {
  let parent: Trial;
  try {
    parent = ctx.storage.getTrial(ctx.id, t.promotedFrom!);
  } catch {
    return { note: `trial ${t.promotedFrom} it was promoted from is unknown; trained from step 0` };
  }
  let why: string;
  try {
    const got = await ctx.checkpoints!.get(ctx.id, parent.id);
    if ('bytes' in got) return { from: { bytes: got.bytes, parent }, note: '' };
    why = 'missing' in got
      ? `no checkpoint of ${parent.id}${parent.checkpointNote ? ` (${parent.checkpointNote})` : ''}`
      : `the checkpoint of ${parent.id} is corrupt (${got.corrupt})`;
  } catch (e) {
    why = `the checkpoint of ${parent.id} could not be read (${e instanceof Error ? e.message : String(e)})`;
  }
  ctx.log('warn', 'promoted trial trains from step 0', { study: ctx.id, trial: t.id, reason: why });
  return { note: `${why}; trained from step 0` };
}

/** Trains one trial on the pool and records the outcome. Never throws; a shutdown leaves the trial as it is. */
export async function trainTrial(ctx: StudyContext, trial: Trial, signal: AbortSignal): Promise<Trial> {
  const c = ctx.config;
  let t: Trial = { ...trial, state: TrialState.TRIAL_STATE_RUNNING, trainingSeed: trainingSeedOf(c, trial) };
  ctx.storage.putTrials(ctx.id, [t]);
  const plan = rungPlan(c);
  const cont = continuesPromoted(ctx);
  const keep = cont && t.rung < plan.length - 1; // its checkpoint may be continued at the next rung
  const request = TrainCandidateRequest.fromPartial({
    genome: t.genome,
    // evaluation budgets beyond this rung's budget belong to later rungs
    training: {
      ...c.training,
      steps: t.steps,
      seed: t.trainingSeed,
      dataset: c.dataset,
      evalSteps: (c.training?.evalSteps ?? []).filter((s) => s < t.steps),
      ...(cont ? { scheduleSteps: plan.at(-1)!.steps } : {}),
    },
    teacherId: c.teacherId,
    teacherLayers: studyTeacherLayers(c),
    comparator: c.comparator,
    alsoComparators: c.alsoComparators,
    skipScoring: c.score === ScoreKind.SCORE_KIND_P,
    trialId: t.id,
    ...(keep ? { checkpoint: CheckpointMode.CHECKPOINT_MODE_IF_FITS, maxCheckpointBytes: ctx.checkpoints!.limits.maxBytes } : {}),
  });
  try {
    let { from, note } = cont && t.promotedFrom ? await parentCheckpoint(ctx, t) : { from: undefined, note: '' };
    const train = () =>
      ctx.pool.train(request, {
        signal,
        maxAttempts: c.maxAttempts,
        checkpoint: from?.bytes,
        onStarted: (trainer, attempt) => {
          t = { ...t, trainer, attempts: attempt };
          publish(ctx, { $case: 'trialStarted', value: { trialId: t.id, trainer, attempt, steps: t.steps } });
        },
        onProgress: (progress) => publish(ctx, { $case: 'trialProgress', value: { trialId: t.id, progress } }),
        onCurvePoint: (curvePoint) =>
          publish(ctx, { $case: 'trialProgress', value: { trialId: t.id, progress: undefined, curvePoint } }),
      });
    let out: Awaited<ReturnType<typeof train>>;
    try {
      out = await train();
    } catch (e) {
      if (!from || signal.aborted) throw e;
      // the continuation failed (a trainer refused the checkpoint, or failed on it): the same run from step 0
      note = `continuing from ${from.parent.id}'s checkpoint failed (${e instanceof Error ? e.message : String(e)}); trained from step 0`;
      ctx.log('warn', 'promoted trial trains from step 0', { study: ctx.id, trial: t.id, reason: note });
      from = undefined;
      out = await train();
    }
    const r = out.result;
    if (keep && out.checkpoint) {
      try {
        await ctx.checkpoints!.put(ctx.id, t.id, out.checkpoint); // durable before the trial is recorded complete
      } catch (e) {
        note = `checkpoint not kept: ${e instanceof Error ? e.message : String(e)}`;
        ctx.log('warn', 'checkpoint not kept', { study: ctx.id, trial: t.id, error: note });
      }
    } else if (keep) {
      note = `checkpoint not kept: ${r.checkpointOmitted || 'the trainer sent none'}`;
      ctx.log('warn', 'checkpoint not kept', { study: ctx.id, trial: t.id, error: note });
    }
    const startStep = from ? r.startStep : 0;
    const done = await recordResult(ctx, t, {
      p: r.validationAccuracy,
      similarity: r.similarity,
      trainer: out.trainer,
      attempts: out.attempts,
      steps: r.steps || t.steps,
      parameterCount: r.parameterCount,
      wallSeconds: r.wallSeconds,
      rdmPreviews: r.rdmPreviews,
      // a promoted trial keeps one curve: the earlier rungs' points, then this run's (training seconds cumulative)
      curve: from ? continuedCurve(from.parent.curve, r.curve, startStep) : r.curve,
      queueSeconds: r.queueSeconds,
      trainSeconds: r.trainSeconds,
      startStep,
      checkpointNote: note,
    });
    if (from) ctx.checkpoints!.delete(ctx.id, from.parent.id); // its continuation is recorded
    return done;
  } catch (e) {
    if (signal.aborted) {
      if (signal.reason === SHUTDOWN) return t;
      return recordEnd(ctx, t, TrialState.TRIAL_STATE_STOPPED, 'stopped with the study');
    }
    ctx.log('warn', 'trial failed', { study: ctx.id, trial: t.id, error: String(e) });
    return recordEnd(ctx, t, TrialState.TRIAL_STATE_FAILED, e instanceof Error ? e.message : String(e));
  }
}

/** Steps a study's completed trials trained, and the steps retraining promoted trials from step 0 would have. */
export function stepsTrained(trials: readonly Trial[]): { trained: number; fromScratch: number } {
  let trained = 0;
  let fromScratch = 0;
  for (const t of trials) {
    if (t.state !== TrialState.TRIAL_STATE_COMPLETED) continue;
    trained += t.steps - (t.startStep ?? 0);
    fromScratch += t.steps;
  }
  return { trained, fromScratch };
}

/** The parent's points up to the step a continuation started from, then the continuation's, training time added up. */
export function continuedCurve(parent: Trial['curve'], own: Trial['curve'], startStep: number): Trial['curve'] {
  const before = parent.filter((p) => p.step <= startStep);
  const offset = before.at(-1)?.trainSeconds ?? 0;
  return [...before, ...own.map((p) => ({ ...p, trainSeconds: p.trainSeconds + offset }))];
}

/** Marks the study ended, durably, and sends the final event to every watcher. */
export function finishStudy(ctx: StudyContext, state: StudyState, error = ''): void {
  ctx.storage.updateStudy(ctx.id, { state, error });
  if (ctx.checkpoints) {
    try {
      ctx.checkpoints.deleteStudy(ctx.id);
    } catch (e) {
      ctx.log('warn', 'could not delete the study\'s checkpoints', { study: ctx.id, error: String(e) });
    }
    if (continuesPromoted(ctx)) ctx.log('info', 'successive halving steps', { study: ctx.id, ...stepsTrained(ctx.storage.listTrials(ctx.id)) });
  }
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
      // imported trials are ranked and teach the strategy, but neither fill the budget nor run here (the import
      // that asked for training runs it)
      const trials = budgetTrials(ctx.storage.listTrials(ctx.id));
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
        const best = promotedFrom(plan, rung, inRung);
        if (best.length > 0) {
          await promote(ctx, best, rung + 1, plan[rung + 1]!.steps, inRung);
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

/**
 * Successive halving: the best trials of a rung go on, as new trials with a bigger step budget that continue from
 * their checkpoints (promoted_from); the checkpoints of the trials not promoted are deleted once the promotion is
 * stored.
 */
async function promote(ctx: StudyContext, best: readonly Trial[], rung: number, steps: number, inRung: readonly Trial[]): Promise<void> {
  await ctx.lock.run(() => {
    const first = nextNumber(ctx);
    const trials = best.map((b, i) => ({
      ...newTrial(ctx.id, first + i, b.genome, rung, steps, '', TrialOrigin.TRIAL_ORIGIN_PROMOTED),
      promotedFrom: b.id,
      trainingSeed: trainingSeedOf(ctx.config, b),
    }));
    ctx.storage.putTrials(ctx.id, trials);
    for (const t of trials) publish(ctx, { $case: 'trialProposed', value: t });
  });
  const kept = new Set(best.map((b) => b.id));
  for (const t of inRung) if (!kept.has(t.id)) ctx.checkpoints?.delete(ctx.id, t.id);
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
