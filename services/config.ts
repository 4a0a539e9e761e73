// Typed configuration with embedded defaults. The CLI fills it from flags; env TGSAGE_DATA_DIR sets the data dir.
import { resolve } from 'node:path';
import type { BackendName } from './compute/types.ts';
import type { LogLevel } from './common/log.ts';

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
   * Teacher cache: on start, compute the teacher shipped in teachers/default as `default` when the cache lacks it
   * (in the background; the cache serves meanwhile). `tgsage serve` / `start` turn it on; off by default for tests.
   */
  installDefaultTeacher: boolean;
  /** Trainer: tfjs backend it trains on, admission control. */
  trainer: TrainerConfig;
}

export interface TrainerConfig {
  /** tfjs backend for training (default wasm, with our gradient kernels). */
  backend: 'wasm' | 'cpu' | 'webgpu' | 'tensorflow';
  /** Trainings at once per process (default 1). */
  concurrency: number;
  /** Requests that may wait for a slot; 0 = answer RESOURCE_EXHAUSTED at once when busy (default 8). */
  maxQueue: number;
}

export type ConfigOverrides = Partial<Omit<TgsageConfig, 'ports' | 'limits' | 'compute' | 'trainer'>> & {
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
    limits: {
      maxStimuli: 10_000,
      maxFeaturesPerLayer: 1 << 20,
      maxUploadBytes: 8 * 1024 ** 3,
      maxScoreBytes: 8 * 1024 ** 3,
      maxLayers: 256,
    },
    teacherRdmCacheBytes: 512 * 1024 ** 2,
    compute: { backend: 'auto' },
    logLevel: 'info',
    metricsPort: 0,
    drainTimeoutMs: 10_000,
    installDefaultTeacher: false,
    trainer: { backend: 'wasm', concurrency: 1, maxQueue: 8 },
  };
}

/** Defaults with `overrides` applied (nested objects merged). */
export function resolveConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): TgsageConfig {
  const base = defaultConfig(env);
  const { ports, limits, compute, trainer, ...rest } = overrides;
  const defined = <T extends object>(o: T | undefined) =>
    Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
  const config: TgsageConfig = {
    ...base,
    ...defined(rest),
    ports: { ...base.ports, ...defined(ports) },
    limits: { ...base.limits, ...defined(limits) },
    compute: { ...base.compute, ...defined(compute) },
    trainer: { ...base.trainer, ...defined(trainer) },
  };
  config.dataDir = resolve(config.dataDir);
  return config;
}
