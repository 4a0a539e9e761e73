// Trainer pool: trains a candidate on one of several trainers, retrying on another healthy trainer when a failure is
// transient by the failure table (common/failures.ts: UNAVAILABLE, DEADLINE_EXCEEDED, a broken stream, a trainer gone
// silent, a full queue), up to `maxAttempts`; a deterministic failure (bad input, a diverged training, a dead layer's
// constant rows) fails the trial at once with its reason. A trainer is marked unhealthy only when it failed itself,
// not when it reported a failure of its own dependency (trailer tgsage-failure-source). Trainers are a list of
// addresses (one slot each by default: a trainer trains one candidate at a time), or one `dns:///host:port` name balanced by grpc-js round_robin over every address it resolves to. Each
// trainer is health-checked (grpc.health.v1) periodically. Every wait is abortable.
import { ClientError, createClient, Status, type Channel, type Metadata } from 'nice-grpc';
import { dial } from '../common/dial.ts';
import { HealthDefinition } from 'nice-grpc-server-health';
import { FAILURE_SOURCE_TRAILER, isRetryable } from '../common/failures.ts';
import {
  type TrainCandidateRequest,
  TrainerDefinition,
  type TrainingProgress,
  type TrainingResult,
} from '../../gen/tgsage/v1/trainer.ts';

/** A trial failed on every attempt (or with an error that retrying cannot fix). */
export class TrialFailedError extends Error {
  override readonly name = 'TrialFailedError';
  constructor(
    message: string,
    readonly attempts: number,
    readonly trainer: string,
  ) {
    super(message);
  }
}

export interface TrainOptions {
  signal: AbortSignal;
  maxAttempts: number;
  onStarted?: (trainer: string, attempt: number) => void;
  onProgress?: (progress: TrainingProgress) => void;
}

export interface TrainOutcome {
  result: TrainingResult;
  trainer: string;
  attempts: number;
}

export interface TrainerStatus {
  address: string;
  healthy: boolean;
  busy: number;
  slots: number;
}

export interface TrainerPool {
  train(request: TrainCandidateRequest, options: TrainOptions): Promise<TrainOutcome>;
  status(): TrainerStatus[];
  close(): void;
}

export interface PoolOptions {
  /** Trainer addresses (host:port), or exactly one `dns:///host:port`. */
  targets: readonly string[];
  /** Concurrent trainings per address (default 1); for a DNS name, concurrent trainings in all (default 64). */
  slots?: number;
  /** Health-check period (default 5000 ms); 0 turns periodic checks off. */
  healthIntervalMs?: number;
  /** A training that sends nothing for this long is abandoned and retried elsewhere (default 300000 ms). */
  idleTimeoutMs?: number;
  /** Pause before a retry, times the attempt number (default 200 ms). */
  retryBackoffMs?: number;
}

interface Member {
  address: string;
  channel: Channel;
  trainer: ReturnType<typeof createClient<typeof TrainerDefinition>>;
  health: ReturnType<typeof createClient<typeof HealthDefinition>>;
  healthy: boolean;
  busy: number;
  slots: number;
}

export function trainerPool(options: PoolOptions): TrainerPool {
  if (options.targets.length === 0) throw new Error('trainer pool: no trainer addresses');
  const dns = options.targets.length === 1 && options.targets[0]!.startsWith('dns:');
  const members: Member[] = options.targets.map((address) => {
    const channel = dial(address);
    return {
      address,
      channel,
      trainer: createClient(TrainerDefinition, channel),
      health: createClient(HealthDefinition, channel),
      healthy: true, // optimistic until a check or a call says otherwise
      busy: 0,
      slots: options.slots ?? (dns ? 64 : 1),
    };
  });
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const backoffMs = options.retryBackoffMs ?? 200;
  let waiters: Array<() => void> = [];
  const notify = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };

  const check = async (m: Member): Promise<void> => {
    try {
      const r = await m.health.check({ service: '' }, { signal: AbortSignal.timeout(2000) });
      const healthy = r.status === 1; // SERVING
      if (healthy !== m.healthy) {
        m.healthy = healthy;
        notify();
      }
    } catch {
      if (m.healthy) {
        m.healthy = false;
        notify();
      }
    }
  };
  const interval = options.healthIntervalMs ?? 5000;
  const timer = interval > 0 ? setInterval(() => members.forEach((m) => void check(m)), interval) : undefined;
  timer?.unref();
  if (interval > 0) members.forEach((m) => void check(m));

  /** Takes a free slot: healthy and untried first, then healthy, then (if no trainer is healthy) any free one. */
  async function acquire(tried: ReadonlySet<string>, signal: AbortSignal): Promise<Member> {
    for (;;) {
      signal.throwIfAborted();
      const free = members.filter((m) => m.busy < m.slots);
      const anyHealthy = members.some((m) => m.healthy);
      const pick = free.find((m) => m.healthy && !tried.has(m.address)) ??
        free.find((m) => m.healthy) ??
        (anyHealthy ? undefined : free.find((m) => !tried.has(m.address)) ?? free[0]);
      if (pick) {
        pick.busy++;
        return pick;
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        waiters.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }
  const release = (m: Member): void => {
    m.busy--;
    notify();
  };

  async function attempt(
    m: Member,
    request: TrainCandidateRequest,
    o: TrainOptions,
    onTrailer: (trailer: Metadata) => void,
  ): Promise<TrainingResult> {
    const local = new AbortController();
    const onAbort = (): void => local.abort(o.signal.reason);
    o.signal.addEventListener('abort', onAbort, { once: true });
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        local.abort();
      }, idleTimeoutMs);
    };
    arm();
    try {
      for await (const e of m.trainer.trainCandidate(request, { signal: local.signal, onTrailer })) {
        arm();
        if (e.event?.$case === 'progress') o.onProgress?.(e.event.value);
        else if (e.event?.$case === 'result') return e.event.value;
      }
      throw new ClientError('/tgsage.v1.Trainer/TrainCandidate', Status.UNAVAILABLE, 'stream ended without a result');
    } catch (e) {
      if (idle && !o.signal.aborted) {
        throw new ClientError(
          '/tgsage.v1.Trainer/TrainCandidate',
          Status.DEADLINE_EXCEEDED,
          `no message from the trainer for ${idleTimeoutMs} ms`,
        );
      }
      throw e;
    } finally {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
    }
  }

  return {
    async train(request, o) {
      const tried = new Set<string>();
      let last = '';
      let lastTrainer = '';
      for (let n = 1; n <= o.maxAttempts; n++) {
        if (n > 1) await sleep(backoffMs * (n - 1), o.signal);
        const m = await acquire(tried, o.signal);
        tried.add(m.address);
        lastTrainer = m.address;
        let source: string | undefined;
        try {
          o.onStarted?.(m.address, n);
          const result = await attempt(m, request, o, (t) => (source = t.get(FAILURE_SOURCE_TRAILER)));
          return { result, trainer: m.address, attempts: n };
        } catch (e) {
          o.signal.throwIfAborted();
          const code = e instanceof ClientError ? e.code : Status.UNKNOWN;
          last = `${m.address}: ${Status[code]}: ${e instanceof ClientError ? e.details : String(e)}`;
          // the trainer answered that one of its dependencies failed: it is itself healthy
          if ((code === Status.UNAVAILABLE || code === Status.DEADLINE_EXCEEDED) && source === undefined) {
            if (!dns && m.healthy) {
              m.healthy = false;
              notify();
            }
          }
          if (!isRetryable(code)) throw new TrialFailedError(last, n, m.address);
        } finally {
          release(m);
        }
      }
      throw new TrialFailedError(`failed after ${o.maxAttempts} attempt(s); last: ${last}`, o.maxAttempts, lastTrainer);
    },
    status: () => members.map((m) => ({ address: m.address, healthy: m.healthy, busy: m.busy, slots: m.slots })),
    close() {
      clearInterval(timer);
      for (const m of members) m.channel.close();
      notify();
    },
  };
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
