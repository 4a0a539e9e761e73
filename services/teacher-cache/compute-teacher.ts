// ComputeTeacher: runs a stored tfjs model over a dataset's stimuli and stores the layers' RDMs as a teacher
// (services/teachers/compute.ts does the work), with progress events. Also: the shipped teacher (teachers/default)
// is computed as `default` in the background on start when the cache lacks it; the service serves meanwhile and
// `default` appears once done.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ComputeTeacherEvent } from '../../gen/tgsage/v1/teacher_cache.ts';
import { rdmMethodFromProto } from '../common/convert.ts';
import { NotFoundError } from '../common/errors.ts';
import { DEFAULT_TEACHER_ID } from '../common/ids.ts';
import type { ServiceDeps } from '../service-module.ts';
import { computeTeacher, type ComputeTeacherDeps } from '../teachers/compute.ts';
import { initTrainingBackend } from '../trainer/backend.ts';
import { eventStream } from '../trainer/channel.ts';
import { loadStimulusSet } from '../trainer/data-adapter.ts';
import { datasetRequest } from '../trainer/service.ts';
import type { ComputeTeacherHandler } from './service.ts';
import { teacherToProto } from './service.ts';
import type { TeacherStore } from './store.ts';

/** The teacher shipped in the repository, computed as `default` on start when missing. */
export const SHIPPED_TEACHER_DIR = fileURLToPath(new URL('../../teachers/default/', import.meta.url));
export { DEFAULT_TEACHER_ID };

function computeDeps(store: TeacherStore, deps: ServiceDeps): ComputeTeacherDeps {
  // Stimulus sets stay on the backend once loaded (1000 28x28 images: 3 MB each).
  const sets = new Map<string, ReturnType<typeof loadStimulusSet>>();
  return {
    store,
    loadDataset: (spec) => {
      const key = JSON.stringify(spec);
      let set = sets.get(key);
      if (!set) {
        set = loadStimulusSet(spec);
        sets.set(key, set);
        set.catch(() => sets.delete(key));
      }
      return set;
    },
    initBackend: () => initTrainingBackend(deps.config.trainer.backend, (line) => deps.logger.info(line)),
  };
}

export function computeTeacherHandler(store: TeacherStore, deps: ServiceDeps): ComputeTeacherHandler {
  const cdeps = computeDeps(store, deps);
  return async function* (request, context) {
    yield* eventStream<ComputeTeacherEvent, Awaited<ReturnType<typeof computeTeacher>>>(
      (emit) =>
        computeTeacher(
          cdeps,
          {
            id: request.id,
            description: request.description,
            modelPath: request.modelPath,
            layers: request.layers,
            dataset: datasetRequest(request.dataset),
            rdmMethod: rdmMethodFromProto(request.rdmMethod, 'rdm_method', 'correlation'),
            storeGram: request.storeGram,
            batchSize: request.batchSize || 100,
          },
          (p) => emit({ event: { $case: 'progress', value: { ...p } } }),
          context.signal,
        ),
      (meta) => ({ event: { $case: 'teacher', value: teacherToProto(meta) } }),
    );
  };
}

/** What teachers/<dir>/teacher.json says about the stimulus set the teacher belongs to. */
export interface ShippedTeacher {
  readonly dataset: string;
  readonly splitSeed: number;
  readonly numStimuli: number;
  readonly validationAccuracy: number;
}

/**
 * Starts computing the shipped teacher as `default` if the store lacks it; resolves when done (or skipped). Never
 * throws: failures are logged, the cache keeps serving without `default`.
 */
export async function ensureDefaultTeacher(
  store: TeacherStore,
  deps: ServiceDeps,
  dir = SHIPPED_TEACHER_DIR,
): Promise<'present' | 'computed' | 'absent' | 'failed'> {
  try {
    store.get(DEFAULT_TEACHER_ID);
    return 'present';
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  const modelPath = `${dir}/model.json`;
  if (!existsSync(modelPath)) {
    deps.logger.warn('no shipped teacher to install as default', { modelPath });
    return 'absent';
  }
  try {
    const info = JSON.parse(readFileSync(`${dir}/teacher.json`, 'utf8')) as ShippedTeacher;
    const started = performance.now();
    deps.logger.info('computing the shipped teacher as default (in the background)', { modelPath, dataset: info.dataset });
    await computeTeacher(
      computeDeps(store, deps),
      {
        id: DEFAULT_TEACHER_ID,
        description: `shipped ResNet teacher (${info.dataset}, validation accuracy ${info.validationAccuracy.toFixed(4)})`,
        modelPath,
        layers: [],
        dataset: datasetRequest({ name: info.dataset, directory: '', numStimuli: info.numStimuli, numValidation: 0, splitSeed: info.splitSeed }),
        rdmMethod: 'correlation',
        storeGram: true,
        batchSize: 200,
      },
      () => {},
      deps.shutdownSignal,
    );
    deps.logger.info('default teacher ready', { seconds: (performance.now() - started) / 1000 });
    return 'computed';
  } catch (error) {
    if (deps.shutdownSignal.aborted) return 'failed';
    deps.logger.warn('could not compute the default teacher', { error });
    return 'failed';
  }
}
