// Typed configuration with embedded defaults. The CLI fills it from flags; env TGSAGE_DATA_DIR sets the data dir.
import { resolve } from 'node:path';
import type { BackendName } from './compute/types.ts';
import type { LogLevel } from './common/log.ts';
import { KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS, MIN_CLIENT_PING_INTERVAL_MS } from './common/keepalive.ts';
import { securityFromEnv, type Security } from './common/security.ts';

export type ServiceName = 'teacher-cache' | 'scorer' | 'trainer' | 'search-controller';

export const SERVICE_NAMES: readonly ServiceName[] = ['teacher-cache', 'scorer', 'trainer', 'search-controller'];

export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = {
  'teacher-cache': 50051,
  scorer: 50052,
  trainer: 50053,
  'search-controller': 50054,
};

export interface Limits {
  /** Most stimuli per teacher / candidate. */
  maxStimuli: number;
  /** Most features (product of shape[1:]) per layer. */
  maxFeaturesPerLayer: number;
  /** Most payload bytes per teacher upload. */
  maxUploadBytes: number;
  /** Most payload bytes per ScoreActivations / CompareRdms call. */
  maxScoreBytes: number;
  /** Most layers per teacher upload or score call. */
  maxLayers: number;
  /** Most bytes one call may make the server allocate for what it declares (layers, RDMs). */
  maxCallBytes: number;
  /** Most bytes all calls of a process together may hold that way; over it, calls get RESOURCE_EXHAUSTED. */
  memoryBudgetBytes: number;
}

/** HTTP/2 and stream timeouts of every server. */
export interface TransportConfig {
  /** Interval of keepalive pings to clients (ms); a client that does not answer in keepaliveTimeoutMs is dropped. */
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  /** Clients may ping this often without calls before a ping counts as abuse (ms; see common/keepalive.ts). */
  minClientPingIntervalMs: number;
  /** Most concurrent streams (calls) per HTTP/2 connection. */
  maxConcurrentStreams: number;
  /** A client stream that sends no message for this long is cancelled with DEADLINE_EXCEEDED (0 = never). */
  streamIdleTimeoutMs: number;
}

export interface TgsageConfig {
  /** Interface to bind (default 127.0.0.1). */
  host: string;
  /** Port per service. */
  ports: Record<ServiceName, number>;
  /** Data directory (teachers, studies, models). */
  dataDir: string;
  /** Where the scorer finds the teacher cache when it runs in another process. */
  teacherCacheAddress: string;
  /** Where the controller finds the scorer and the trainer. */
  scorerAddress: string;
  trainerAddress: string;
  /** Controller: how often DNS trainer targets (`dns:///name:port`) are resolved again. */
  trainerResolveIntervalMs: number;
  limits: Limits;
  /** Bytes of prepared teacher RDMs the scorer keeps in memory. */
  teacherRdmCacheBytes: number;
  compute: { backend: BackendName };
  logLevel: LogLevel;
  /** Port of the /metrics endpoint per process; 0 = off. */
  metricsPort: number;
  /** How long shutdown waits for in-flight calls. */
  drainTimeoutMs: number;
  /**
   * Teacher cache: on start, compute the teachers shipped in teachers/<id>/ (`default`, `fashion`) under their ids
   * when the cache lacks them (in the background, one after another; the cache serves meanwhile). `tgsage serve` /
   * `start` turn it on; off by default for tests.
   */
  installDefaultTeacher: boolean;
  /** Trainer: tfjs backend it trains on, admission control. */
  trainer: TrainerConfig;
  /** Search controller: bound of all successive-halving checkpoints it keeps at once (default 1 GiB). */
  maxCheckpointStoreBytes: number;
  /** Keepalive, streams per connection, idle client streams. */
  transport: TransportConfig;
  /** TLS, tokens and the health port, for the servers and for the calls services make to each other. */
  security: Security;
}

export interface TrainerConfig {
  /** tfjs backend for training (default wasm, with our gradient kernels). */
  backend: 'wasm' | 'cpu' | 'webgpu' | 'tensorflow';
  /** Trainings at once per process (default 1). */
  concurrency: number;
  /** Requests that may wait for a slot; 0 = answer RESOURCE_EXHAUSTED at once when busy (default 8). */
  maxQueue: number;
  /**
   * Largest training checkpoint in bytes (default 64 MiB): the trainer sends and accepts none bigger, the controller
   * keeps none bigger.
   */
  maxCheckpointBytes: number;
}

export type ConfigOverrides = Partial<Omit<TgsageConfig, 'ports' | 'limits' | 'compute' | 'trainer' | 'transport'>> & {
  transport?: Partial<TransportConfig>;
  trainer?: Partial<TrainerConfig>;
  ports?: Partial<Record<ServiceName, number>>;
  limits?: Partial<Limits>;
  compute?: Partial<TgsageConfig['compute']>;
};

/** Where services listen, and where clients look for them, unless told otherwise. */
export const DEFAULT_HOST = '127.0.0.1';

export function defaultAddress(service: ServiceName): string {
  return `${DEFAULT_HOST}:${DEFAULT_PORTS[service]}`;
}

export function defaultConfig(env: NodeJS.ProcessEnv = process.env): TgsageConfig {
  const host = DEFAULT_HOST;
  return {
    host,
    ports: { ...DEFAULT_PORTS },
    dataDir: resolve(env['TGSAGE_DATA_DIR'] || 'data'),
    teacherCacheAddress: `${host}:${DEFAULT_PORTS['teacher-cache']}`,
    scorerAddress: `${host}:${DEFAULT_PORTS.scorer}`,
    trainerAddress: `${host}:${DEFAULT_PORTS.trainer}`,
    trainerResolveIntervalMs: 5000,
    limits: {
      maxStimuli: 10_000,
      maxFeaturesPerLayer: 1 << 20,
      maxUploadBytes: 8 * 1024 ** 3,
      maxScoreBytes: 8 * 1024 ** 3,
      maxLayers: 256,
      maxCallBytes: 2 * 1024 ** 3,
      memoryBudgetBytes: 6 * 1024 ** 3,
    },
    teacherRdmCacheBytes: 512 * 1024 ** 2,
    compute: { backend: 'auto' },
    logLevel: 'info',
    metricsPort: 0,
    drainTimeoutMs: 10_000,
    installDefaultTeacher: false,
    trainer: { backend: 'wasm', concurrency: 1, maxQueue: 8, maxCheckpointBytes: 64 * 1024 ** 2 },
    maxCheckpointStoreBytes: 1024 ** 3,
    transport: {
      keepaliveTimeMs: KEEPALIVE_TIME_MS,
      keepaliveTimeoutMs: KEEPALIVE_TIMEOUT_MS,
      minClientPingIntervalMs: MIN_CLIENT_PING_INTERVAL_MS,
      maxConcurrentStreams: 100,
      streamIdleTimeoutMs: 120_000,
    },
    security: securityFromEnv(env),
  };
}

/** Defaults with `overrides` applied (nested objects merged). */
export function resolveConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): TgsageConfig {
  const base = defaultConfig(env);
  const { ports, limits, compute, trainer, transport, ...rest } = overrides;
  const defined = <T extends object>(o: T | undefined) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  const config: TgsageConfig = {
    ...base,
    ...defined(rest),
    ports: { ...base.ports, ...defined(ports) },
    limits: { ...base.limits, ...defined(limits) },
    compute: { ...base.compute, ...defined(compute) },
    trainer: { ...base.trainer, ...defined(trainer) },
    transport: { ...base.transport, ...defined(transport) },
  };
  config.dataDir = resolve(config.dataDir);
  return config;
}
