// Wiring of the scorer: compute, a teacher source (the store of an in-process teacher cache if there is one,
// otherwise the teacher-cache service at config.teacherCacheAddress) and a bounded cache of prepared teacher RDMs.
import { ScorerDefinition } from '../../gen/tgsage/v1/scorer.ts';
import { TeacherCacheDefinition } from '../../gen/tgsage/v1/teacher_cache.ts';
import { withFastCodecs } from '../common/fast-codec.ts';
import { processMemoryBudget } from '../common/memory-budget.ts';
import { dial, securedClientFactory } from '../common/security.ts';
import { serviceEntry } from '../common/server.ts';
import type { ServiceDeps, ServiceModule } from '../service-module.ts';
import { TEACHER_STORE } from '../teacher-cache/shared.ts';
import { createPreparedCache } from './prepared-cache.ts';
import { scorerService } from './service.ts';
import { grpcTeacherSource, localTeacherSource, type TeacherSource } from './teacher-source.ts';

export async function createScorerModule(deps: ServiceDeps): Promise<ServiceModule> {
  const { config, logger } = deps;
  const store = deps.shared.get(TEACHER_STORE);
  let teachers: TeacherSource;
  let close: (() => Promise<void>) | undefined;
  if (store) {
    teachers = localTeacherSource(store);
  } else {
    const channel = dial(config.teacherCacheAddress, config.security);
    const client = securedClientFactory(config.security).create(withFastCodecs(TeacherCacheDefinition), channel);
    teachers = grpcTeacherSource(client, config.teacherCacheAddress);
    close = async () => channel.close();
  }
  logger.info('scorer teacher source', { source: teachers.description, cacheBytes: config.teacherRdmCacheBytes });
  const service = scorerService(
    {
      compute: await deps.compute(),
      teachers,
      cache: createPreparedCache(config.teacherRdmCacheBytes),
      maxLayers: config.limits.maxLayers,
    },
    {
      maxFeaturesPerLayer: config.limits.maxFeaturesPerLayer,
      maxScoreBytes: config.limits.maxScoreBytes,
      maxStimuli: config.limits.maxStimuli,
      memory: processMemoryBudget(deps.shared, config.limits),
    },
  );
  return { services: [serviceEntry(ScorerDefinition, service)], usesCompute: true, close };
}
