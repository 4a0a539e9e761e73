// Training a search-space candidate on the wasm backend (our gradient kernels): one seed, one result; other seeds
// differ; nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { resolveDatasetSpec } from '../../services/data/dataset.ts';
import { buildModel } from '../../services/spaces/build.ts';
import { initTrainingBackend } from '../../services/trainer/backend.ts';
import { loadTrainingDataset } from '../../services/trainer/data-adapter.ts';
import { trainCandidate } from '../../services/trainer/train.ts';
import { DEFAULT_TRAINING } from '../../services/trainer/types.ts';

const genome: Genome = {
  space: {
    $case: 'convnet',
    value: {
      layers: [
        { filters: 16, kernelSize: 3, downsample: 2, batchNorm: true, activation: 0 },
        { filters: 16, kernelSize: 5, downsample: 3, skipFrom: 0, batchNorm: false, activation: 3 },
      ],
      head: 1,
    },
  },
};

test('wasm: same seed, same losses and P; another seed differs; no leaks', async () => {
  await initTrainingBackend('wasm');
  const data = await loadTrainingDataset(resolveDatasetSpec({ numStimuli: 100 }));
  const baseline = tf.memory().numTensors;
  const run = async (seed: number) => {
    const built = buildModel(genome, { seed });
    try {
      return await trainCandidate({ model: built.model, data: data.training, config: { ...DEFAULT_TRAINING, steps: 20, batchSize: 32, seed, readLossEvery: 5 } });
    } finally {
      built.model.dispose();
    }
  };
  const a = await run(1);
  const b = await run(1);
  const c = await run(2);
  assert.equal(tf.memory().numTensors, baseline, 'no leaked tensors');
  assert.deepEqual(b.lossHistory, a.lossHistory);
  assert.equal(b.validationAccuracy, a.validationAccuracy);
  assert.notDeepEqual(c.lossHistory, a.lossHistory);
  assert.ok(a.lossHistory.at(-1)! < a.lossHistory[0]!, `loss fell: ${a.lossHistory.join(', ')}`);
  assert.ok(a.validationAccuracy > 0.3, `P = ${a.validationAccuracy}`);
});
