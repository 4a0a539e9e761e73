// Wiring of the teacher cache: open the store in the data dir, serve it. Shares the store with an in-process scorer.
import { TeacherCacheDefinition } from '../../gen/tgsage/v1/teacher_cache.ts';
import { processMemoryBudget } from '../common/memory-budget.ts';
import { serviceEntry } from '../common/server.ts';
import type { ServiceDeps, ServiceModule } from '../service-module.ts';
import { computeTeacherHandler, ensureShippedTeachers } from './compute-teacher.ts';
import { teacherCacheService } from './service.ts';
import { TEACHER_STORE } from './shared.ts';
import { openTeacherStore } from './store.ts';

export async function createTeacherCacheModule(deps: ServiceDeps): Promise<ServiceModule> {
  const { config, logger } = deps;
  const store = await openTeacherStore({
    dataDir: config.dataDir,
    compute: await deps.compute(),
    limits: {
      maxStimuli: config.limits.maxStimuli,
      maxFeaturesPerLayer: config.limits.maxFeaturesPerLayer,
      maxUploadBytes: config.limits.maxUploadBytes,
      maxLayers: config.limits.maxLayers,
    },
    logger,
  });
  deps.shared.set(TEACHER_STORE, store);
  if (config.installDefaultTeacher) void ensureShippedTeachers(store, deps);
  return {
    services: [
      serviceEntry(
        TeacherCacheDefinition,
        teacherCacheService(store, computeTeacherHandler(store, deps), processMemoryBudget(deps.shared, config.limits)),
      ),
    ],
    usesCompute: true,
  };
}
