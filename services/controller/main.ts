// Wiring of the search controller: storage in the data dir, the trainer pool, clients of the scorer and the teacher
// cache. `searchControllerFactory` is the registry entry ('search-controller'); `startSearchController` builds and
// listens on its own (tests, and `node --import tsx services/controller/main.ts --port 0 ...`, which prints
// "listening on PORT" on stdout).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ClientError, createChannel, createClient, Status } from 'nice-grpc';
import { ScorerDefinition } from '../../gen/tgsage/v1/scorer.ts';
import { SearchControllerDefinition } from '../../gen/tgsage/v1/search_controller.ts';
import { TeacherCacheDefinition } from '../../gen/tgsage/v1/teacher_cache.ts';
import { NotFoundError } from '../common/errors.ts';
import { fromClientError } from '../common/failures.ts';
import { createLogger, type Logger } from '../common/log.ts';
import { buildServer, serviceEntry, type TgsageServer } from '../common/server.ts';
import type { ServiceDeps, ServiceModule } from '../registry.ts';
import { createController, type Controller, type ScoreActivationsFn } from './controller.ts';
import { trainerPool, type PoolOptions, type TrainerPool } from './pool.ts';
import type { ProposerFactory } from './proposer.ts';
import type { Log } from './runner.ts';
import { searchControllerService } from './service.ts';
import { sqliteStorage } from './sqlite-storage.ts';
import { memoryStorage, type StudyStorage } from './storage.ts';
import { strategyProposers } from './strategy-proposer.ts';

export interface ControllerOptions {
  /** Trainer addresses, or one dns:/// name. */
  trainers: readonly string[];
  scorer: string;
  teacherCache: string;
  /** Data directory (controller.sqlite inside); undefined = in memory. */
  dataDir?: string;
  pool?: Omit<PoolOptions, 'targets'>;
  proposers?: ProposerFactory;
  logger: Logger;
}

export interface ControllerModule extends ServiceModule {
  controller: Controller;
  pool: TrainerPool;
  storage: StudyStorage;
  /** Resumes studies left running by an earlier process; call once the server listens. */
  resume(): Promise<string[]>;
}

/** "a:1,b:2" or "dns:///host:port" -> targets. */
export function parseTrainers(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

export async function createSearchControllerModule(o: ControllerOptions): Promise<ControllerModule> {
  const logger = o.logger;
  const log: Log = (level, msg, fields) => logger[level](msg, fields);
  const storage = o.dataDir ? sqliteStorage(join(o.dataDir, 'controller.sqlite')) : memoryStorage();
  const pool = trainerPool({ targets: o.trainers, ...o.pool });
  const scorerChannel = createChannel(o.scorer);
  const cacheChannel = createChannel(o.teacherCache);
  const scorer = createClient(ScorerDefinition, scorerChannel);
  const cache = createClient(TeacherCacheDefinition, cacheChannel);

  const checkTeacher = async (id: string, signal?: AbortSignal): Promise<{ numStimuli: number }> => {
    try {
      return await cache.getTeacher({ id }, { signal: signal ?? AbortSignal.timeout(10_000) });
    } catch (e) {
      if (e instanceof ClientError && e.code === Status.NOT_FOUND) {
        throw new NotFoundError(`teacher_id: teacher ${JSON.stringify(id)} not found in the teacher cache`);
      }
      throw fromClientError(e, `teacher cache at ${o.teacherCache}`);
    }
  };
  const scoreActivations: ScoreActivationsFn = async (teacherId, comparator, chunks, signal) => {
    try {
      return await scorer.scoreActivations(
        (async function* () {
          yield { message: { $case: 'header' as const, value: { teacherId, comparator } } };
          for await (const chunk of chunks) yield { message: { $case: 'chunk' as const, value: chunk } };
        })(),
        { signal },
      );
    } catch (e) {
      throw fromClientError(e, `scorer at ${o.scorer}`);
    }
  };

  const controller = createController({
    storage,
    pool,
    proposers: o.proposers ?? strategyProposers(),
    checkTeacher,
    scoreActivations,
    log,
  });
  return {
    services: [serviceEntry(SearchControllerDefinition, searchControllerService(controller))],
    controller,
    pool,
    storage,
    resume: () => controller.resumeAll(),
    async close() {
      await controller.close();
      pool.close();
      scorerChannel.close();
      cacheChannel.close();
      storage.close();
    },
  };
}

/** The registry entry: addresses and data dir from the shared config (trainer address may list several, or dns:///). */
export async function searchControllerFactory(deps: ServiceDeps): Promise<ServiceModule> {
  const m = await createSearchControllerModule({
    trainers: parseTrainers(deps.config.trainerAddress),
    scorer: deps.config.scorerAddress,
    teacherCache: deps.config.teacherCacheAddress,
    dataDir: deps.config.dataDir,
    logger: deps.logger,
  });
  // runners start on the next tick: the server is listening by then, and they need nothing from it
  setImmediate(() => void m.resume().catch((error: unknown) => deps.logger.error('resume failed', { error })));
  return m;
}

export interface RunningController extends ControllerModule {
  port: number;
  server: TgsageServer;
  close(): Promise<void>;
}

/** Builds, listens (127.0.0.1 by default) and resumes studies. `close` shuts the server down, then the module. */
export async function startSearchController(
  o: ControllerOptions & { host?: string; port?: number },
): Promise<RunningController> {
  const m = await createSearchControllerModule(o);
  const server = buildServer({ name: 'search-controller', services: m.services, logger: o.logger, defaultMetrics: false });
  const port = await server.listen(o.host ?? '127.0.0.1', o.port ?? 50054);
  await m.resume();
  let closing: Promise<void> | undefined;
  return {
    ...m,
    port,
    server,
    close: () =>
      (closing ??= (async () => {
        await m.controller.close(); // runners first, so watch streams end and the drain is quick
        await server.shutdown({ timeoutMs: 2000 });
        await m.close?.();
      })()),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '50054' },
      trainers: { type: 'string', default: '127.0.0.1:50053' },
      scorer: { type: 'string', default: '127.0.0.1:50052' },
      'teacher-cache': { type: 'string', default: '127.0.0.1:50051' },
      'data-dir': { type: 'string', default: process.env['TGSAGE_DATA_DIR'] || 'data' },
      'health-interval-ms': { type: 'string', default: '5000' },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  const logger = createLogger({ service: 'search-controller', level: values['log-level'] as 'info' });
  const running = await startSearchController({
    host: values.host,
    port: Number(values.port),
    trainers: parseTrainers(values.trainers),
    scorer: values.scorer,
    teacherCache: values['teacher-cache'],
    dataDir: values['data-dir'],
    pool: { healthIntervalMs: Number(values['health-interval-ms']) },
    logger,
  });
  process.stdout.write(`listening on ${running.port}\n`);
  const stop = (): void => void running.close().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
