// ComputeTeacher in domain terms: load a saved tfjs LayersModel, run it over a dataset's stimulus set in batches,
// and hand its layers' activations, one after another, to the teacher store (which computes and stores each layer's
// RDM, then makes the teacher visible). Cheap checks (id, header, model files, layer names, input shape) come first.
import { MAX_SLICE_MS } from '../common/event-loop.ts';
import type { RdmMethod } from '../compute/types.ts';
import { InvalidArgumentError } from '../common/errors.ts';
import type { Layer } from '../common/chunks.ts';
import type { TeacherMeta, TeacherStore, TgLayersSetBy } from '../teacher-cache/store.ts';
import { layerActivations } from '../trainer/activations.ts';
import type { DatasetRequest, LoadedDataset } from '../trainer/pipeline.ts';
import { teacherLayerNames } from './layers.ts';
import { checkTgLayers } from './tg-layers.ts';
import { loadLayersModel } from './model-files.ts';

export interface ComputeTeacherInput {
  readonly id: string;
  readonly description: string;
  readonly modelPath: string;
  readonly layers: readonly string[];
  readonly dataset: DatasetRequest;
  readonly rdmMethod: RdmMethod;
  readonly storeGram: boolean;
  readonly batchSize: number;
  /** The layers TG averages over by default (empty: every recorded layer). */
  readonly tgLayers?: readonly string[];
  readonly tgLayersSetBy?: TgLayersSetBy;
}

export interface ComputeTeacherDeps {
  readonly store: TeacherStore;
  /** The dataset's stimulus set (only `name`, `inputShape` and `stimuli` are used). */
  readonly loadDataset: (spec: DatasetRequest, signal?: AbortSignal) => Promise<StimulusSet>;
  /** Makes tfjs ready for forward passes (once). */
  readonly initBackend: () => Promise<unknown>;
}

export type StimulusSet = Pick<LoadedDataset, 'name' | 'inputShape' | 'stimuli'>;

export interface ComputeProgressEvent {
  readonly phase: 'forward' | 'rdm' | 'store';
  readonly done: number;
  readonly total: number;
}

export async function computeTeacher(
  deps: ComputeTeacherDeps,
  input: ComputeTeacherInput,
  onProgress: (e: ComputeProgressEvent) => void,
  signal: AbortSignal,
): Promise<TeacherMeta> {
  if (!(input.batchSize >= 1 && input.batchSize <= 10_000)) {
    throw new InvalidArgumentError('batch_size', `must be from 1 to 10000 (got ${input.batchSize})`);
  }
  const header = {
    id: input.id,
    description: input.description,
    numStimuli: input.dataset.numStimuli,
    stimulusIds: [],
    rdmMethod: input.rdmMethod,
    storeGram: input.storeGram,
    source: 'computed' as const,
    dataset: input.dataset.name,
    tgLayers: [...(input.tgLayers ?? [])],
    ...(input.tgLayersSetBy ? { tgLayersSetBy: input.tgLayersSetBy } : {}),
  };
  deps.store.validateHeader(header);
  await deps.initBackend();
  const model = await loadLayersModel(input.modelPath);
  try {
    const names = teacherLayerNames(model, input.layers);
    if (names.length === 0) throw new InvalidArgumentError('layers', 'the model has no conv or dense layers to record');
    checkTgLayers(input.id, names, input.tgLayers ?? [], 'tg_layers'); // before the forward pass, not after it
    const data = await deps.loadDataset(input.dataset, signal);
    const expected = model.inputs[0]!.shape.slice(1);
    if (expected.some((s, i) => s !== null && s !== data.inputShape[i])) {
      throw new InvalidArgumentError(
        'model_path',
        `model input shape [${expected.join(', ')}] does not fit ${data.name} images [${data.inputShape.join(', ')}]`,
      );
    }
    const n = data.stimuli.shape[0];
    let stored = 0;
    async function* layers(): AsyncGenerator<Layer> {
      for await (const l of layerActivations(model, names, data.stimuli, {
        batchSize: input.batchSize,
        maxBatchMs: MAX_SLICE_MS, // the teacher cache serves on this thread meanwhile
        signal,
        onBatch: (done, total, group, groups) => onProgress({ phase: 'forward', done: group * total + done, total: groups * total }),
      })) {
        yield { name: l.name, shape: l.shape, n, d: l.data.length / n, data: l.data };
        onProgress({ phase: 'rdm', done: ++stored, total: names.length });
      }
      onProgress({ phase: 'store', done: 0, total: 1 });
    }
    const meta = await deps.store.create(header, layers(), signal);
    onProgress({ phase: 'store', done: 1, total: 1 });
    return meta;
  } finally {
    model.dispose();
  }
}
