// Datasets for training, loaded once per process and kept (they are small: tens of MB on the backend).
import * as tf from '@tensorflow/tfjs-core';
import type { DatasetRequest, LoadedDataset } from './pipeline.ts';
import { loadTrainingDataset } from './data-adapter.ts';

export interface DatasetCache {
  load(spec: DatasetRequest, signal?: AbortSignal): Promise<LoadedDataset>;
  dispose(): void;
}

export function createDatasetCache(
  loader: (spec: DatasetRequest, signal?: AbortSignal) => Promise<LoadedDataset> = loadTrainingDataset,
): DatasetCache {
  const cache = new Map<string, Promise<LoadedDataset>>();
  return {
    load(spec, signal) {
      const key = JSON.stringify([spec.name, spec.directory, spec.numStimuli, spec.numValidation, spec.splitSeed]);
      let entry = cache.get(key);
      if (!entry) {
        entry = loader(spec, signal);
        cache.set(key, entry);
        entry.catch(() => cache.delete(key));
      }
      return entry;
    },
    dispose() {
      for (const entry of cache.values()) {
        entry.then(
          (d) => tf.dispose([d.training.train.images, d.training.train.labels, d.training.validation.images, d.training.validation.labels, d.stimuli]),
          () => {},
        );
      }
      cache.clear();
    },
  };
}
