// Which services exist and how each is built: a map from service name to an async factory that returns the gRPC
// services it serves. runService builds one, listens, logs where, and wires signals; runServices starts several in
// one process (each on its own port) sharing in-process state, e.g. the scorer reads the teacher store directly.
import type { Compute } from './compute/types.ts';
import { createLogger, type Logger } from './common/log.ts';
import { buildServer, type TgsageServer } from './common/server.ts';
import { sharedState, type SharedState } from './common/shared-state.ts';
import { SERVICE_NAMES, type ServiceName, type TgsageConfig } from './config.ts';
import type { ServiceFactory, ServiceModule } from './service-module.ts';

export type { ServiceDeps, ServiceFactory, ServiceModule } from './service-module.ts';

/**
 * The registry. Entries import their modules lazily so that one service's dependencies (tfjs for the trainer, ...)
 * load only where it runs.
 */
export const serviceFactories: Partial<Record<ServiceName, ServiceFactory>> = {
  'teacher-cache': async (deps) => (await import('./teacher-cache/main.ts')).createTeacherCacheModule(deps),
  scorer: async (deps) => (await import('./scorer/main.ts')).createScorerModule(deps),
  trainer: async (deps) => (await import('./trainer/main.ts')).createTrainerModule(deps),
  'search-controller': async (deps) => (await import('./controller/main.ts')).createSearchControllerModule(deps),
};

export function registeredServices(): ServiceName[] {
  return Object.keys(serviceFactories) as ServiceName[];
}

export type ComputeFactory = (config: TgsageConfig, logger: Logger) => Promise<Compute>;

/** Default compute: services/compute's createCompute with the configured backend. */
export const defaultComputeFactory: ComputeFactory = async (config, logger) => {
  const { createCompute } = await import('./compute/index.ts');
  return createCompute({ backend: config.compute.backend, log: (line) => logger.info(line) });
};

export interface RunOptions {
  logger?: Logger;
  /** Compute factory (tests inject a small one). */
  createCompute?: ComputeFactory;
  /** Install SIGTERM / SIGINT handlers (default true). */
  signals?: boolean;
  /** Override the port of each service (e.g. 0 in tests). */
  port?: number;
  /** In-process state the services start with (tests put injected parts here under typed keys). */
  shared?: SharedState;
}

export interface RunningService {
  readonly name: ServiceName;
  readonly server: TgsageServer;
  readonly port: number;
  readonly address: string;
}

export interface RunningServices {
  readonly services: RunningService[];
  /** Graceful shutdown of every server, then release of what they used (compute, stores). */
  close(): Promise<void>;
}

/** Starts `names` in this process, each on its own port (config.ports, or options.port). */
export async function runServices(
  names: ServiceName[],
  config: TgsageConfig,
  options: RunOptions = {},
): Promise<RunningServices> {
  const baseLogger = options.logger ?? createLogger({ service: 'tgsage', level: config.logLevel });
  const shutdownController = new AbortController();
  const shared = options.shared ?? sharedState();
  let computePromise: Promise<Compute> | undefined;
  const computeFactory = options.createCompute ?? defaultComputeFactory;
  const compute = () => (computePromise ??= computeFactory(config, baseLogger));

  const modules: ServiceModule[] = [];
  const running: RunningService[] = [];
  const removeHandlers: Array<() => void> = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const remove of removeHandlers) remove();
      await Promise.all(running.map((r) => r.server.shutdown()));
      for (const m of modules.reverse()) await m.close?.();
      if (computePromise) await (await computePromise).dispose();
    })());

  const ordered = SERVICE_NAMES.filter((n) => names.includes(n));
  try {
    for (const name of ordered) {
      const factory = serviceFactories[name];
      if (!factory) throw new Error(`unknown or not yet available service "${name}" (known: ${registeredServices().join(', ')})`);
      const logger = baseLogger.child({ service: name });
      const module = await factory({ config, logger, compute, shutdownSignal: shutdownController.signal, shared });
      modules.push(module);
      const c = module.usesCompute ? await compute() : module.computeInfo;
      const server = buildServer({
        name,
        services: module.services,
        logger,
        compute: c ? { backend: c.backend, details: c.details } : undefined,
        metricsPort: config.metricsPort ? config.metricsPort + running.length : 0,
        drainTimeoutMs: config.drainTimeoutMs,
        shutdownController,
        transport: config.transport,
        security: { ...config.security, healthPort: config.security.healthPort ? config.security.healthPort + running.length : config.security.healthPort },
      });
      const port = await server.listen(config.host, options.port ?? config.ports[name]);
      const address = `${config.host}:${port}`;
      running.push({ name, server, port, address });
      logger.info('listening', {
        address,
        services: server.serviceNames,
        compute: c ? `${c.backend} (${c.details})` : undefined,
        dataDir: config.dataDir,
        metricsPort: server.metricsPort(),
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  if (options.signals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      baseLogger.info('signal received', { signal });
      close().then(
        () => process.exit(0),
        (error: unknown) => {
          baseLogger.error('shutdown failed', { error });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    removeHandlers.push(() => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
  }
  return { services: running, close };
}

/** Starts one service (build, listen, log the address and compute backend, signal handlers). */
export async function runService(
  name: ServiceName,
  config: TgsageConfig,
  options: RunOptions = {},
): Promise<RunningService & { close(): Promise<void> }> {
  const all = await runServices([name], config, options);
  return { ...all.services[0]!, close: all.close };
}
