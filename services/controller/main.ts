// Wiring of the search controller: storage in the data dir, the trainer pool, clients of the scorer and the teacher
// cache, the gRPC server. `startSearchController` is used by the CLI / registry and by whole-system tests;
// running this file serves it (`node --import tsx services/controller/main.ts --port 50054 ...`).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ClientError, createChannel, createClient, Status } from 'nice-grpc';
import { ScorerDefinition } from '../../gen/tgsage/v1/scorer.ts';
import { TeacherCacheDefinition } from '../../gen/tgsage/v1/teacher_cache.ts';
import { NotFoundError, UnavailableError } from '../common/errors.ts';
import { createController, type Controller, type ScoreActivationsFn } from './controller.ts';
import { trainerPool, type PoolOptions, type TrainerPool } from './pool.ts';
import type { ProposerFactory } from './proposer.ts';
import type { Log } from './runner.ts';
import { buildControllerServer } from './server.ts';
import { sqliteStorage } from './sqlite-storage.ts';
import { memoryStorage, type StudyStorage } from './storage.ts';
import { strategyProposers } from './strategy-proposer.ts';

export interface ControllerOptions {
  host?: string;
  port?: number;
  /** Trainer addresses, or one dns:/// name. */
  trainers: readonly string[];
  scorer: string;
  teacherCache: string;
  /** Data directory (controller.sqlite inside); undefined = in memory. */
  dataDir?: string;
  pool?: Omit<PoolOptions, 'targets'>;
  proposers?: ProposerFactory;
  log?: Log;
}

export interface RunningController {
  port: number;
  controller: Controller;
  pool: TrainerPool;
  storage: StudyStorage;
  /** Graceful: stops runners (studies resume on the next start), drains, closes channels and the database. */
  close(): Promise<void>;
}

export const jsonLog: Log = (level, msg, fields) =>
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, service: 'search-controller', msg, ...fields }) + '\n');

export async function startSearchController(o: ControllerOptions): Promise<RunningController> {
  const log = o.log ?? jsonLog;
  const storage = o.dataDir ? sqliteStorage(join(o.dataDir, 'controller.sqlite')) : memoryStorage();
  const pool = trainerPool({ targets: o.trainers, ...o.pool });
  const scorerChannel = createChannel(o.scorer);
  const cacheChannel = createChannel(o.teacherCache);
  const scorer = createClient(ScorerDefinition, scorerChannel);
  const cache = createClient(TeacherCacheDefinition, cacheChannel);

  const checkTeacher = async (id: string, signal?: AbortSignal): Promise<void> => {
    try {
      await cache.getTeacher({ id }, { signal: signal ?? AbortSignal.timeout(10_000) });
    } catch (e) {
      if (e instanceof ClientError && e.code === Status.NOT_FOUND) {
        throw new NotFoundError(`teacher_id: teacher ${JSON.stringify(id)} not found in the teacher cache`);
      }
      if (e instanceof ClientError) throw new UnavailableError(`teacher cache at ${o.teacherCache}: ${e.details}`);
      throw e;
    }
  };
  const scoreActivations: ScoreActivationsFn = (teacherId, comparator, chunks, signal) =>
    scorer.scoreActivations(
      (async function* () {
        yield { message: { $case: 'header' as const, value: { teacherId, comparator } } };
        for await (const chunk of chunks) yield { message: { $case: 'chunk' as const, value: chunk } };
      })(),
      { signal },
    );

  const controller = createController({
    storage,
    pool,
    proposers: o.proposers ?? strategyProposers(),
    checkTeacher,
    scoreActivations,
    log,
  });
  const { server, health } = buildControllerServer(controller, log);
  const port = await server.listen(`${o.host ?? '127.0.0.1'}:${o.port ?? 50054}`);
  log('info', 'listening', { port, trainers: o.trainers, dataDir: o.dataDir ?? '(memory)' });
  await controller.resumeAll();
  let closed: Promise<void> | undefined;
  return {
    port,
    controller,
    pool,
    storage,
    close() {
      closed ??= (async () => {
        health.setStatus('unhealthy');
        await controller.close();
        const t = setTimeout(() => server.forceShutdown(), 5000);
        await server.shutdown();
        clearTimeout(t);
        pool.close();
        scorerChannel.close();
        cacheChannel.close();
        storage.close();
      })();
      return closed;
    },
  };
}

/** Parses `--trainers a,b | dns:///host:port --scorer A --teacher-cache A --data-dir D --port P --host H`. */
export function parseControllerArgs(argv: string[]): ControllerOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '50054' },
      trainers: { type: 'string', default: '127.0.0.1:50053' },
      scorer: { type: 'string', default: '127.0.0.1:50052' },
      'teacher-cache': { type: 'string', default: '127.0.0.1:50051' },
      'data-dir': { type: 'string', default: process.env['TGSAGE_DATA_DIR'] ?? 'data' },
      'health-interval-ms': { type: 'string' },
    },
    strict: true,
  });
  const trainers = values.trainers.split(',').map((s) => s.trim()).filter(Boolean);
  const interval = values['health-interval-ms'];
  return {
    host: values.host,
    port: Number(values.port),
    trainers,
    scorer: values.scorer,
    teacherCache: values['teacher-cache'],
    dataDir: values['data-dir'],
    pool: interval === undefined ? {} : { healthIntervalMs: Number(interval) },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = await startSearchController(parseControllerArgs(process.argv.slice(2)));
  process.stdout.write(`search-controller listening on ${running.port}\n`);
  const stop = (): void => {
    void running.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
