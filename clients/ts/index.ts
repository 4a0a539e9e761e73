// Typed clients for every tgsage service. Unary calls get a default deadline; retries happen only on methods the
// proto marks idempotency_level NO_SIDE_EFFECTS or IDEMPOTENT (the retry middleware reads the generated options).
import { type Channel, type Client } from 'nice-grpc';
import { deadlineMiddleware } from 'nice-grpc-client-middleware-deadline';
import { retryMiddleware } from 'nice-grpc-client-middleware-retry';
import { HealthDefinition } from 'nice-grpc-server-health';
import { InfoDefinition, type InfoClient } from '../../gen/tgsage/v1/info.ts';
import { ScorerDefinition, type ScorerClient } from '../../gen/tgsage/v1/scorer.ts';
import { SearchControllerDefinition, type SearchControllerClient } from '../../gen/tgsage/v1/search_controller.ts';
import { SearchSpacesDefinition, type SearchSpacesClient } from '../../gen/tgsage/v1/space.ts';
import { TeacherCacheDefinition, type TeacherCacheClient } from '../../gen/tgsage/v1/teacher_cache.ts';
import { TrainerDefinition, type TrainerClient } from '../../gen/tgsage/v1/trainer.ts';
import { withFastCodecs } from '../../services/common/fast-codec.ts';
import { dial } from '../../services/common/dial.ts';
import { securedClientFactory, type Security } from '../../services/common/security.ts';

export interface TgsageAddresses {
  teacherCache?: string;
  scorer?: string;
  trainer?: string;
  controller?: string;
}

export const DEFAULT_ADDRESSES: Required<TgsageAddresses> = {
  teacherCache: '127.0.0.1:50051',
  scorer: '127.0.0.1:50052',
  trainer: '127.0.0.1:50053',
  controller: '127.0.0.1:50054',
};

export interface ClientOptions {
  /** Deadline of unary calls in ms (default 30 000; 0 = none). Streaming calls take `deadline` per call. */
  deadlineMs?: number;
  /** Attempts for idempotent unary calls (default 3; back-off from 100 ms, exponential with jitter). */
  retryMaxAttempts?: number;
  /** TLS files (`tls.ca` to check the servers; `tls.cert`/`tls.key` for mutual TLS) and `tokenFile` (default: none). */
  security?: Security;
}

type RetryCallOptions = { retryMaxAttempts?: number; retryBaseDelayMs?: number; deadline?: Date | number };

export type HealthClient<Ext = {}> = Client<typeof HealthDefinition, Ext>;

export type ServiceKey = keyof TgsageAddresses;

export interface TgsageClients {
  readonly addresses: Required<TgsageAddresses>;
  readonly teacherCache: TeacherCacheClient<RetryCallOptions>;
  readonly scorer: ScorerClient<RetryCallOptions>;
  readonly trainer: TrainerClient<RetryCallOptions>;
  readonly controller: SearchControllerClient<RetryCallOptions>;
  /** tgsage.v1.SearchSpaces (the spaces as decisions), served by the trainer (and the controller: `spacesAt`). */
  readonly spaces: SearchSpacesClient<RetryCallOptions>;
  /** tgsage.v1.SearchSpaces of the process behind one address (trainer or controller). */
  spacesAt(service: 'trainer' | 'controller'): SearchSpacesClient<RetryCallOptions>;
  /** tgsage.v1.Info of the process behind one address. */
  info(service: ServiceKey): InfoClient<RetryCallOptions>;
  /** grpc.health.v1.Health of the process behind one address. */
  health(service: ServiceKey): HealthClient<RetryCallOptions>;
  /** Closes every channel. */
  close(): void;
}

interface MethodLike {
  requestStream: boolean;
  responseStream: boolean;
}

/** Default call options: a deadline and retry attempts for unary methods only (streams can be long). */
function unaryDefaults(
  methods: Record<string, MethodLike>,
  deadlineMs: number,
  attempts: number,
): Record<string, RetryCallOptions> {
  const out: Record<string, RetryCallOptions> = {};
  for (const [key, m] of Object.entries(methods)) {
    if (m.requestStream || m.responseStream) continue;
    out[key] = { retryMaxAttempts: attempts, retryBaseDelayMs: 100, ...(deadlineMs > 0 ? { deadline: deadlineMs } : {}) };
  }
  return out;
}

export function createTgsageClients(addresses: TgsageAddresses = {}, options: ClientOptions = {}): TgsageClients {
  const resolved: Required<TgsageAddresses> = {
    teacherCache: addresses.teacherCache ?? DEFAULT_ADDRESSES.teacherCache,
    scorer: addresses.scorer ?? DEFAULT_ADDRESSES.scorer,
    trainer: addresses.trainer ?? DEFAULT_ADDRESSES.trainer,
    controller: addresses.controller ?? DEFAULT_ADDRESSES.controller,
  };
  const deadlineMs = options.deadlineMs ?? 30_000;
  const attempts = options.retryMaxAttempts ?? 3;
  // Retry first, then deadline: a retry waiting in back-off is cut short by the deadline.
  const factory = securedClientFactory(options.security).use(retryMiddleware).use(deadlineMiddleware);
  const channels = new Map<string, Channel>();
  const channel = (address: string) => {
    let c = channels.get(address);
    if (!c) {
      c = dial(address, options.security);
      channels.set(address, c);
    }
    return c;
  };
  const make = <D extends { methods: Record<string, MethodLike> }>(definition: D, address: string) =>
    factory.create(withFastCodecs(definition as never), channel(address), {
      '*': {},
      ...unaryDefaults(definition.methods, deadlineMs, attempts),
    }) as unknown;
  return {
    addresses: resolved,
    teacherCache: make(TeacherCacheDefinition, resolved.teacherCache) as TeacherCacheClient<RetryCallOptions>,
    scorer: make(ScorerDefinition, resolved.scorer) as ScorerClient<RetryCallOptions>,
    trainer: make(TrainerDefinition, resolved.trainer) as TrainerClient<RetryCallOptions>,
    controller: make(SearchControllerDefinition, resolved.controller) as SearchControllerClient<RetryCallOptions>,
    spaces: make(SearchSpacesDefinition, resolved.trainer) as SearchSpacesClient<RetryCallOptions>,
    spacesAt: (service) => make(SearchSpacesDefinition, resolved[service]) as SearchSpacesClient<RetryCallOptions>,
    info: (service) => make(InfoDefinition, resolved[service]) as InfoClient<RetryCallOptions>,
    health: (service) => make(HealthDefinition, resolved[service]) as HealthClient<RetryCallOptions>,
    close() {
      for (const c of channels.values()) c.close();
      channels.clear();
    },
  };
}

export * from './requests.ts';
export * from './conveniences.ts';
