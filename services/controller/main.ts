// Wiring of the search controller: storage in the data dir, the trainer pool (trainers discovered from the config's
// addresses), clients of the scorer and the teacher cache (TLS and tokens when configured), successive-halving
// checkpoints next to the SQLite file. `createSearchControllerModule` is the registry's factory ('search-controller'):
// `tgsage serve search-controller`, `tgsage start` and tests all start it through the registry.
import { join } from 'node:path';
import { ClientError, Status } from 'nice-grpc';
import { withFastCodecs } from '../common/fast-codec.ts';
import { ScorerDefinition } from '../../gen/tgsage/v1/scorer.ts';
import { SearchControllerDefinition } from '../../gen/tgsage/v1/search_controller.ts';
import { SearchSpacesDefinition } from '../../gen/tgsage/v1/space.ts';
import { TeacherCacheDefinition } from '../../gen/tgsage/v1/teacher_cache.ts';
import { NotFoundError } from '../common/errors.ts';
import type { CheckedTeacher } from './config.ts';
import { fromClientError } from '../common/failures.ts';
import { dial, securedClientFactory } from '../common/security.ts';
import { stateKey } from '../common/shared-state.ts';
import { serviceEntry } from '../common/server.ts';
import { searchSpacesService } from '../spaces/service.ts';
import type { ServiceDeps, ServiceModule } from '../service-module.ts';
import { fileCheckpointStore } from './checkpoints.ts';
import { createController, type Controller, type ScoreActivationsFn } from './controller.ts';
import { trainerPool, type PoolOptions, type TrainerPool } from './pool.ts';
import type { Log } from './runner.ts';
import { searchControllerService } from './service.ts';
import { sqliteStorage } from './sqlite-storage.ts';
import type { StudyStorage } from './storage.ts';
import { strategyProposers } from './strategy-proposer.ts';

export interface ControllerModule extends ServiceModule {
  controller: Controller;
  pool: TrainerPool;
  storage: StudyStorage;
}

/** Pool settings a test may inject (e.g. a resolve function for dns:/// names, the health-check interval). */
export const TRAINER_POOL_OVERRIDES = stateKey<Partial<Omit<PoolOptions, 'targets'>>>('tgsage.controller.pool-overrides');

/** "a:1,b:2" or "dns:///host:port" -> targets. */
export function parseTrainers(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The registry entry: addresses and data dir from the shared config (the trainer address may list several, and/or
 * dns:/// names the pool resolves itself). Studies left running by an earlier process resume on the next tick, once
 * the server listens.
 */
export async function createSearchControllerModule(deps: ServiceDeps): Promise<ControllerModule> {
  const { config, logger } = deps;
  const log: Log = (level, msg, fields) => logger[level](msg, fields);
  const storage = sqliteStorage(join(config.dataDir, 'controller.sqlite'));
  const clients = securedClientFactory(config.security);
  const pool = trainerPool({
    targets: parseTrainers(config.trainerAddress),
    log,
    channel: (address, serverName) => dial(address, config.security, { serverName }),
    clientFactory: clients,
    resolveIntervalMs: config.trainerResolveIntervalMs,
    ...deps.shared.get(TRAINER_POOL_OVERRIDES),
  });
  const checkpoints = fileCheckpointStore(join(config.dataDir, 'checkpoints'), {
    maxBytes: config.trainer.maxCheckpointBytes,
    maxTotalBytes: config.maxCheckpointStoreBytes,
  });
  const scorerChannel = dial(config.scorerAddress, config.security);
  const cacheChannel = dial(config.teacherCacheAddress, config.security);
  const scorer = clients.create(withFastCodecs(ScorerDefinition), scorerChannel);
  const cache = clients.create(TeacherCacheDefinition, cacheChannel);

  const checkTeacher = async (id: string, signal?: AbortSignal): Promise<CheckedTeacher> => {
    try {
      const t = await cache.getTeacher({ id }, { signal: signal ?? AbortSignal.timeout(10_000) });
      return { ...t, layerNames: t.layers.map((l) => l.name) };
    } catch (e) {
      if (e instanceof ClientError && e.code === Status.NOT_FOUND) {
        throw new NotFoundError(`teacher_id: teacher ${JSON.stringify(id)} not found in the teacher cache`);
      }
      throw fromClientError(e, `teacher cache at ${config.teacherCacheAddress}`);
    }
  };
  const scoreActivations: ScoreActivationsFn = async (teacherId, comparator, chunks, signal, teacherLayers) => {
    try {
      return await scorer.scoreActivations(
        (async function* () {
          yield { message: { $case: 'header' as const, value: { teacherId, comparator, teacherLayers: [...teacherLayers] } } };
          for await (const chunk of chunks) yield { message: { $case: 'chunk' as const, value: chunk } };
        })(),
        { signal },
      );
    } catch (e) {
      throw fromClientError(e, `scorer at ${config.scorerAddress}`);
    }
  };

  const controller = createController({ storage, pool, proposers: strategyProposers(), checkTeacher, scoreActivations, checkpoints, log });
  // runners start on the next tick: the server is listening by then, and they need nothing from it
  setImmediate(() => void controller.resumeAll().catch((error: unknown) => logger.error('resume failed', { error })));
  return {
    services: [
      serviceEntry(SearchControllerDefinition, searchControllerService(controller)),
      serviceEntry(SearchSpacesDefinition, searchSpacesService()),
    ],
    controller,
    pool,
    storage,
    async close() {
      await controller.close();
      pool.close();
      scorerChannel.close();
      cacheChannel.close();
      storage.close();
    },
  };
}
