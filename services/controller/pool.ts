// Trainer pool: trains a candidate on one of several trainers, retrying on another healthy trainer when a failure is
// transient by the failure table (common/failures.ts: UNAVAILABLE, DEADLINE_EXCEEDED, a broken stream, a trainer gone
// silent, a full queue), up to `maxAttempts`; a deterministic failure (bad input, a diverged training, a dead layer's
// constant rows) fails the trial at once with its reason. A trainer is marked unhealthy only when it failed itself,
// not when it reported a failure of its own dependency (trailer tgsage-failure-source). The trainers come from
// discovery.ts: fixed `host:port` entries, and `dns:///host:port` names the controller resolves itself, again every
// few seconds — one member per address, each with its own slots (one by default: a trainer trains one candidate at a
// time), health checks (grpc.health.v1) and failure count. A member whose address disappears takes no new trial,
// finishes the ones it has, and leaves. Every wait is abortable.
import { ClientError, createClient, createClientFactory, Status, type Channel, type ClientFactory, type Metadata } from 'nice-grpc';
import { dial } from '../common/dial.ts';
import { HealthDefinition } from 'nice-grpc-server-health';
import { FAILURE_SOURCE_TRAILER, isRetryable } from '../common/failures.ts';
import {
  type CurvePoint,
  type ContinueCandidateRequest,
  type TrainCandidateRequest,
  TrainerDefinition,
  type TrainingProgress,
  type TrainingResult,
} from '../../gen/tgsage/v1/trainer.ts';
import { checkpointChunks } from '../trainer/checkpoint-format.ts';
import { discoverTrainers, parseTrainerTargets, type ResolveFn, type TrainerEndpoint } from './discovery.ts';

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
  /** A learning-curve point of the current attempt (a retried attempt starts its curve again). */
  onCurvePoint?: (point: CurvePoint) => void;
  /** Continue from this checkpoint (ContinueCandidate) instead of training from step 0. */
  checkpoint?: Uint8Array | undefined;
}

export interface TrainOutcome {
  result: TrainingResult;
  /** The checkpoint the trainer sent (when the request asked for one and it fit request.max_checkpoint_bytes). */
  checkpoint?: Uint8Array | undefined;
  trainer: string;
  attempts: number;
}

export interface TrainerStatus {
  address: string;
  healthy: boolean;
  busy: number;
  slots: number;
  /** Failed attempts on this trainer since its last success. */
  failures: number;
  /** Gone from discovery: takes no new trial, leaves when its trials end. */
  leaving: boolean;
}

export interface TrainerPool {
  train(request: TrainCandidateRequest, options: TrainOptions): Promise<TrainOutcome>;
  status(): TrainerStatus[];
  /** Re-resolves the DNS targets now (the pool also does so every `resolveIntervalMs`). */
  refresh(): Promise<void>;
  close(): void;
}

/** Makes the channel to one trainer (TLS and tokens live here); `serverName` is the name its certificate carries. */
export type TrainerChannelFactory = (address: string, serverName?: string) => Channel;

export interface PoolOptions {
  /** Trainer targets: `host:port` (one trainer each) and `dns:///host:port` (every address the name resolves to). */
  targets: readonly string[];
  /** Concurrent trainings per trainer address (default 1). */
  slots?: number;
  /** Resolves DNS targets (default: the system resolver). */
  resolve?: ResolveFn;
  /** Re-resolution period of DNS targets (default 5000 ms). */
  resolveIntervalMs?: number;
  /** Channel to one trainer (default: plaintext). */
  channel?: TrainerChannelFactory;
  /** Makes the trainer clients (default: plain; with a token middleware when the controller has a token). */
  clientFactory?: ClientFactory;
  /** Discovery and membership changes (default: silent). */
  log?: (level: 'info' | 'warn', msg: string, fields?: Record<string, unknown>) => void;
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
  failures: number;
  leaving: boolean;
}

export function trainerPool(options: PoolOptions): TrainerPool {
  const targets = parseTrainerTargets(options.targets);
  const makeChannel: TrainerChannelFactory = options.channel ?? ((address) => dial(address));
  const clients = options.clientFactory ?? createClientFactory();
  const members: Member[] = [];
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

  let closed = false;
  let empty = false;
  const retire = (m: Member): void => {
    const i = members.indexOf(m);
    if (i >= 0) members.splice(i, 1);
    m.channel.close();
    options.log?.('info', 'trainer left the pool', { trainer: m.address });
  };
  /** Discovery's answer: new addresses join, missing ones leave once idle (at once if idle), returning ones stay. */
  const setEndpoints = (endpoints: TrainerEndpoint[]): void => {
    if (closed) return;
    const wanted = new Map(endpoints.map((e) => [e.address, e]));
    for (const m of [...members]) {
      const stays = wanted.has(m.address);
      if (stays === !m.leaving) continue;
      m.leaving = !stays;
      if (m.leaving && m.busy === 0) retire(m);
      else options.log?.('info', stays ? 'trainer back in discovery' : 'trainer left discovery; finishing its trials', { trainer: m.address });
    }
    for (const e of endpoints) {
      if (members.some((m) => m.address === e.address)) continue;
      const channel = makeChannel(e.address, e.serverName);
      const m: Member = {
        address: e.address,
        channel,
        trainer: clients.create(TrainerDefinition, channel),
        health: createClient(HealthDefinition, channel), // health needs no token
        healthy: true, // optimistic until a check or a call says otherwise
        busy: 0,
        slots: options.slots ?? 1,
        failures: 0,
        leaving: false,
      };
      members.push(m);
      options.log?.('info', 'trainer joined the pool', { trainer: m.address });
      if (interval > 0) void check(m);
    }
    if (members.length === 0 && !empty) options.log?.('warn', 'no trainers: trials wait until one appears', { targets: options.targets });
    empty = members.length === 0;
    notify();
  };
  const discovery = discoverTrainers({
    targets,
    resolve: options.resolve,
    intervalMs: options.resolveIntervalMs,
    onEndpoints: setEndpoints,
    onError: (message) => options.log?.('warn', message),
  });

  /**
   * Takes a free slot of a member that is not leaving: a healthy one this trial has not tried (waiting for one while
   * such a trainer exists but is busy), else a healthy tried one, else (no trainer healthy) any free one — untried
   * first. Among equals, the fewest recent failures, then the least busy.
   */
  async function acquire(tried: ReadonlySet<string>, signal: AbortSignal): Promise<Member> {
    for (;;) {
      signal.throwIfAborted();
      if (closed) throw new Error('trainer pool closed');
      const live = members.filter((m) => !m.leaving);
      const free = live.filter((m) => m.busy < m.slots).sort((a, b) => a.failures - b.failures || a.busy - b.busy);
      const anyHealthy = live.some((m) => m.healthy);
      const untriedHealthy = live.some((m) => m.healthy && !tried.has(m.address));
      const pick = free.find((m) => m.healthy && !tried.has(m.address)) ??
        (untriedHealthy ? undefined : free.find((m) => m.healthy)) ??
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
    if (m.leaving && m.busy === 0) retire(m);
    notify();
  };

  async function attempt(
    m: Member,
    request: TrainCandidateRequest,
    o: TrainOptions,
    onTrailer: (trailer: Metadata) => void,
  ): Promise<{ result: TrainingResult; checkpoint?: Uint8Array }> {
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
      const events = o.checkpoint
        ? m.trainer.continueCandidate(continueRequests(request, o.checkpoint), { signal: local.signal, onTrailer })
        : m.trainer.trainCandidate(request, { signal: local.signal, onTrailer });
      const limit = Number(request.maxCheckpointBytes) || Infinity;
      const pieces: Uint8Array[] = [];
      let received = 0;
      for await (const e of events) {
        arm();
        if (e.event?.$case === 'progress') o.onProgress?.(e.event.value);
        else if (e.event?.$case === 'curvePoint') o.onCurvePoint?.(e.event.value);
        else if (e.event?.$case === 'checkpointChunk') {
          received += e.event.value.data.byteLength;
          if (received <= limit) pieces.push(e.event.value.data); // over the asked limit: dropped, never buffered
        } else if (e.event?.$case === 'result') {
          const r = e.event.value;
          const complete = received > 0 && received <= limit && received === Number(r.checkpointBytes);
          return { result: r, checkpoint: complete ? Buffer.concat(pieces, received) : undefined };
        }
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
          const { result, checkpoint } = await attempt(m, request, o, (t) => (source = t.get(FAILURE_SOURCE_TRAILER)));
          m.failures = 0;
          return { result, checkpoint, trainer: m.address, attempts: n };
        } catch (e) {
          o.signal.throwIfAborted();
          const code = e instanceof ClientError ? e.code : Status.UNKNOWN;
          last = `${m.address}: ${Status[code]}: ${e instanceof ClientError ? e.details : String(e)}`;
          m.failures++;
          // the trainer answered that one of its dependencies failed: it is itself healthy
          if ((code === Status.UNAVAILABLE || code === Status.DEADLINE_EXCEEDED) && source === undefined) {
            if (m.healthy) {
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
    status: () =>
      members.map((m) => ({
        address: m.address,
        healthy: m.healthy,
        busy: m.busy,
        slots: m.slots,
        failures: m.failures,
        leaving: m.leaving,
      })),
    refresh: () => discovery.refresh(),
    close() {
      closed = true;
      discovery.stop();
      clearInterval(timer);
      for (const m of members) m.channel.close();
      notify();
    },
  };
}

/** A ContinueCandidate stream: the request as header, then the checkpoint in chunks of at most 1 MiB. */
async function* continueRequests(request: TrainCandidateRequest, checkpoint: Uint8Array): AsyncGenerator<ContinueCandidateRequest> {
  yield { message: { $case: 'header', value: request } };
  for (const data of checkpointChunks(checkpoint)) yield { message: { $case: 'chunk', value: { data } } };
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
