// ComputeTeacher: runs a stored tfjs model over a dataset's stimuli and stores the layers' RDMs as a teacher
// (services/teachers/compute.ts does the work), with progress events. Also: the teachers shipped in teachers/<id>/
// (`default` on mnist, `fashion` on Fashion-MNIST) are computed under their directory's name in the background on
// start when the cache lacks them, one after another; the service serves meanwhile and each appears once done.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComputeTeacherEvent } from '../../gen/tgsage/v1/teacher_cache.ts';
import { rdmMethodFromProto } from '../common/convert.ts';
import { NotFoundError } from '../common/errors.ts';
import { DEFAULT_TEACHER_ID } from '../common/ids.ts';
import { SHIPPED_TEACHER_DIR, SHIPPED_TEACHERS_ROOT } from '../teachers/shipped.ts';
import type { ServiceDeps } from '../service-module.ts';
import { computeTeacher, type ComputeTeacherDeps } from '../teachers/compute.ts';
import { modelsDir, resolveModelPath } from '../teachers/model-area.ts';
import { initTrainingBackend } from '../trainer/backend.ts';
import { eventStream } from '../trainer/channel.ts';
import { loadStimulusSet } from '../trainer/data-adapter.ts';
import { datasetRequest } from '../trainer/service.ts';
import type { ComputeTeacherHandler } from './service.ts';
import { teacherToProto } from './service.ts';
import type { TeacherMeta, TeacherStore } from './store.ts';

export { SHIPPED_TEACHER_DIR, SHIPPED_TEACHERS_ROOT };
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
    // Models load only from the data directory's models area (never an arbitrary server path).
    const modelPath = await resolveModelPath(modelsDir(deps.config.dataDir), request.modelPath);
    yield* eventStream<ComputeTeacherEvent, Awaited<ReturnType<typeof computeTeacher>>>(
      (emit) =>
        computeTeacher(
          cdeps,
          {
            id: request.id,
            description: request.description,
            modelPath,
            layers: request.layers,
            tgLayers: request.tgLayers,
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
  /** The layers TG averages over by default (absent: every layer), chosen from docs/science findings. */
  readonly tgLayers?: string[];
}

type InstallOutcome = 'present' | 'updated' | 'computed' | 'absent' | 'failed';

/** The shipped teachers' ids: every directory of `root` with a model.json, `default` first, then by name. */
export function shippedTeacherIds(root = SHIPPED_TEACHERS_ROOT): string[] {
  if (!existsSync(root)) return [];
  const ids = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, 'model.json')))
    .map((e) => e.name)
    .sort();
  return [...ids.filter((id) => id === DEFAULT_TEACHER_ID), ...ids.filter((id) => id !== DEFAULT_TEACHER_ID)];
}

/**
 * Computes every shipped teacher the store lacks, one after another (the shipped `default` first). Never throws: a
 * failure (say, a dataset that is not installed) is logged and the next teacher is tried.
 */
export async function ensureShippedTeachers(
  store: TeacherStore,
  deps: ServiceDeps,
  root = SHIPPED_TEACHERS_ROOT,
): Promise<Record<string, InstallOutcome>> {
  const outcomes: Record<string, InstallOutcome> = {};
  for (const id of shippedTeacherIds(root)) {
    if (deps.shutdownSignal.aborted) break;
    outcomes[id] = await ensureShippedTeacher(store, deps, id, join(root, id));
  }
  return outcomes;
}

/**
 * Computes the teacher shipped in `dir` as `id` if the store lacks it; resolves when done (or skipped). A teacher
 * computed earlier gets the tg_layers its teacher.json now names ('updated'), unless a user set them (SetTgLayers).
 * Never throws: failures are logged, the cache keeps serving without it.
 */
export async function ensureShippedTeacher(
  store: TeacherStore,
  deps: ServiceDeps,
  id = DEFAULT_TEACHER_ID,
  dir = SHIPPED_TEACHER_DIR,
): Promise<InstallOutcome> {
  let present: TeacherMeta | undefined;
  try {
    present = store.get(id);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  if (present) return followShippedTgLayers(store, deps, present, dir);
  const modelPath = `${dir}/model.json`;
  if (!existsSync(modelPath)) {
    deps.logger.warn('no shipped teacher to install', { id, modelPath });
    return 'absent';
  }
  try {
    const info = JSON.parse(readFileSync(`${dir}/teacher.json`, 'utf8')) as ShippedTeacher;
    const started = performance.now();
    deps.logger.info('computing a shipped teacher (in the background)', { id, modelPath, dataset: info.dataset });
    await computeTeacher(
      computeDeps(store, deps),
      {
        id,
        description: `shipped ResNet teacher (${info.dataset}, validation accuracy ${info.validationAccuracy.toFixed(4)})`,
        modelPath,
        layers: [],
        dataset: datasetRequest({ name: info.dataset, directory: '', numStimuli: info.numStimuli, numValidation: 0, splitSeed: info.splitSeed }),
        rdmMethod: 'correlation',
        storeGram: true,
        batchSize: 100, // at most: batches are timed to hold the event loop ~MAX_SLICE_MS (teachers/compute.ts)
        tgLayers: info.tgLayers ?? [],
        tgLayersSetBy: 'shipped',
      },
      () => {},
      deps.shutdownSignal,
    );
    deps.logger.info('shipped teacher ready', { id, seconds: (performance.now() - started) / 1000 });
    return 'computed';
  } catch (error) {
    if (deps.shutdownSignal.aborted) return 'failed';
    deps.logger.warn('could not compute a shipped teacher', { id, error });
    return 'failed';
  }
}

async function followShippedTgLayers(store: TeacherStore, deps: ServiceDeps, present: TeacherMeta, dir: string): Promise<InstallOutcome> {
  if (present.source !== 'computed' || present.tgLayersSetBy === 'user' || !existsSync(`${dir}/teacher.json`)) return 'present';
  try {
    const wanted = (JSON.parse(readFileSync(`${dir}/teacher.json`, 'utf8')) as ShippedTeacher).tgLayers ?? [];
    const stored = present.tgLayers ?? [];
    // the store keeps them in layer order: a teacher.json listing them in another order is no change
    const sorted = (xs: readonly string[]) => [...xs].sort().join('\n');
    if (sorted(wanted) === sorted(stored)) return 'present';
    await store.setTgLayers(present.id, wanted, 'shipped');
    deps.logger.info('shipped teacher tg_layers updated', { id: present.id, from: stored, to: wanted });
    return 'updated';
  } catch (error) {
    deps.logger.warn('could not update a shipped teacher\'s tg_layers', { id: present.id, error });
    return 'present';
  }
}
