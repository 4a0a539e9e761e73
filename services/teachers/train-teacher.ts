// Trains the reference teacher (resnet.ts) on a dataset's training split, measures its validation accuracy, and
// saves it as a tfjs LayersModel (model.json + weights.bin) with teacher.json saying how it was made.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LoadedDataset } from '../trainer/pipeline.ts';
import { trainCandidate } from '../trainer/train.ts';
import { DEFAULT_TRAINING, type TrainingProgressEvent } from '../trainer/types.ts';
import { METADATA_KEY } from './layers.ts';
import { saveLayersModel } from './model-files.ts';
import { buildResNetTeacher } from './resnet.ts';

export interface TeacherTrainingOptions {
  readonly data: LoadedDataset;
  readonly datasetSpec: { name: string; splitSeed: number; numStimuli: number; numValidation: number };
  readonly outDir: string;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly widths: readonly [number, number, number];
  readonly blocksPerStage: number;
  /** The command line that made it, recorded in teacher.json. */
  readonly command: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (e: TrainingProgressEvent) => void;
}

export interface TeacherJson {
  readonly format: 'tgsage-teacher/1';
  readonly dataset: string;
  readonly splitSeed: number;
  readonly numStimuli: number;
  readonly numValidation: number;
  readonly validationAccuracy: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly architecture: string;
  readonly parameterCount: number;
  readonly representationLayers: string[];
  readonly backend: string;
  readonly trainSeconds: number;
  readonly createdAt: string;
  readonly command: string;
}

export async function trainTeacher(o: TeacherTrainingOptions): Promise<TeacherJson> {
  const net = buildResNetTeacher({
    inputShape: o.data.inputShape,
    numClasses: o.data.numClasses,
    widths: o.widths,
    blocksPerStage: o.blocksPerStage,
    seed: o.seed,
  });
  try {
    const outcome = await trainCandidate({
      model: net.model,
      data: o.data.training,
      config: {
        ...DEFAULT_TRAINING,
        steps: o.steps,
        batchSize: o.batchSize,
        optimizer: 'adam',
        learningRate: o.learningRate,
        schedule: 'warmup_cosine',
        seed: o.seed,
        readLossEvery: 20,
      },
      signal: o.signal,
      onProgress: o.onProgress,
    });
    net.model.setUserDefinedMetadata({ [METADATA_KEY]: { representationLayers: net.representationLayers } });
    await saveLayersModel(net.model, o.outDir);
    const info: TeacherJson = {
      format: 'tgsage-teacher/1',
      dataset: o.datasetSpec.name,
      splitSeed: o.datasetSpec.splitSeed,
      numStimuli: o.datasetSpec.numStimuli,
      numValidation: o.datasetSpec.numValidation,
      validationAccuracy: outcome.validationAccuracy,
      steps: outcome.steps,
      batchSize: o.batchSize,
      learningRate: o.learningRate,
      seed: o.seed,
      architecture: `resnet widths ${o.widths.join('/')} x ${o.blocksPerStage} block(s) per stage, batch norm, GAP, softmax`,
      parameterCount: net.model.countParams(),
      representationLayers: net.representationLayers,
      backend: tf.getBackend(),
      trainSeconds: outcome.trainSeconds,
      createdAt: new Date().toISOString(),
      command: o.command,
    };
    await writeFile(join(o.outDir, 'teacher.json'), `${JSON.stringify(info, null, 2)}\n`);
    return info;
  } finally {
    net.model.dispose();
  }
}
