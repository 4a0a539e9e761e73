// Wiring of the trainer service: tfjs backend, datasets, model builder, the teacher cache and scorer clients, the
// slots. `createTrainerModule` is the registry's factory; tests may inject any part of the pipeline through `overrides`.
import { ClientError, Status, type Channel, type Client } from 'nice-grpc';
import { withFastCodecs } from '../common/fast-codec.ts';
import { ScorerDefinition } from '../../gen/tgsage/v1/scorer.ts';
import { TeacherCacheDefinition } from '../../gen/tgsage/v1/teacher_cache.ts';
import { TrainerDefinition } from '../../gen/tgsage/v1/trainer.ts';
import { SearchSpacesDefinition } from '../../gen/tgsage/v1/space.ts';
import { NotFoundError } from '../common/errors.ts';
import { fromClientError } from '../common/failures.ts';
import { dial, securedClientFactory } from '../common/security.ts';
import { serviceEntry } from '../common/server.ts';
import { searchSpacesService } from '../spaces/service.ts';
import type { ServiceDeps, ServiceModule } from '../service-module.ts';
import { initTrainingBackend } from './backend.ts';
import { createDatasetCache } from './datasets.ts';
import type { PipelineDeps, TeacherInfo } from './pipeline.ts';
import { rdmMethodName } from './scoring.ts';
import { TrainerService } from './service.ts';
import { createSlots } from './slots.ts';
import { buildCandidate } from './candidates.ts';

/** Looks a teacher up in the teacher cache: NotFoundError with a hint, other failures as the failure table says. */
export function teacherLookup(client: Client<TeacherCacheDefinition>, address: string) {
  return async (id: string, signal?: AbortSignal): Promise<TeacherInfo> => {
    try {
      const t = await client.getTeacher({ id }, { signal });
      return {
        id: t.id,
        numStimuli: t.numStimuli,
        dataset: t.dataset,
        layerNames: t.layers.map((l) => l.name),
        tgLayers: t.tgLayers,
        rdmMethod: rdmMethodName(t.rdmMethod),
      };
    } catch (error) {
      if (error instanceof ClientError && error.code === Status.NOT_FOUND) {
        throw new NotFoundError(`unknown teacher ${id}: list teachers with \`tgsage teacher list\``);
      }
      throw fromClientError(error, `teacher cache at ${address}`);
    }
  };
}

export async function createTrainerModule(
  deps: ServiceDeps,
  overrides: Partial<PipelineDeps> = {},
): Promise<ServiceModule> {
  const { config, logger } = deps;
  const channels: Channel[] = [];
  const channel = (address: string) => {
    const c = dial(address, config.security);
    channels.push(c);
    return c;
  };
  const clients = securedClientFactory(config.security);
  const backend = await initTrainingBackend(config.trainer.backend, (line) => logger.info(line));
  logger.info('training backend', { ...backend });
  const datasets = createDatasetCache();
  const service = TrainerService({
    loadDataset: overrides.loadDataset ?? datasets.load,
    buildModel: overrides.buildModel ?? buildCandidate,
    getTeacher:
      overrides.getTeacher ??
      teacherLookup(clients.create(withFastCodecs(TeacherCacheDefinition), channel(config.teacherCacheAddress)), config.teacherCacheAddress),
    scorer: overrides.scorer ?? clients.create(withFastCodecs(ScorerDefinition), channel(config.scorerAddress)), // the hot path: fast codecs
    slots: overrides.slots ?? createSlots({ concurrency: config.trainer.concurrency, maxQueue: config.trainer.maxQueue }),
    backend: overrides.backend ?? (() => backend.backend),
    maxCheckpointBytes: overrides.maxCheckpointBytes ?? config.trainer.maxCheckpointBytes,
    log: (message, fields) => logger.info(message, fields),
  });
  return {
    services: [serviceEntry(TrainerDefinition, service), serviceEntry(SearchSpacesDefinition, searchSpacesService())],
    computeInfo: backend,
    async close() {
      for (const c of channels) c.close();
      datasets.dispose();
    },
  };
}

