// Adapts the data module (services/data) to what training needs: splits uploaded to the backend once as tensors.
import * as tf from '@tensorflow/tfjs-core';
import { splitTensors } from '../data/batches.ts';
import { loadDataset } from '../data/dataset.ts';
import type { DatasetRequest, LoadedDataset } from './pipeline.ts';

export async function loadTrainingDataset(spec: DatasetRequest): Promise<LoadedDataset> {
  const ds = await loadDataset(spec);
  const shape = [ds.height, ds.width, ds.channels] as const;
  const stimuli = splitTensors(ds.stimuli, shape);
  tf.dispose(stimuli.labels);
  return {
    name: ds.spec.name,
    inputShape: shape,
    numClasses: ds.numClasses,
    training: { train: splitTensors(ds.train, shape), validation: splitTensors(ds.validation, shape), numClasses: ds.numClasses },
    stimuli: stimuli.images,
  };
}

/** Only the stimulus set, as a tensor on the backend (for running teacher models): no training splits uploaded. */
export async function loadStimulusSet(spec: DatasetRequest): Promise<Pick<LoadedDataset, 'name' | 'inputShape' | 'stimuli'>> {
  const ds = await loadDataset(spec);
  const shape = [ds.height, ds.width, ds.channels] as const;
  return { name: ds.spec.name, inputShape: shape, stimuli: tf.tensor4d(ds.stimuli.images, [ds.stimuli.count, ...shape]) };
}
