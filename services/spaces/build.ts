// Genome -> tfjs-layers model. Deterministic for a seed: every layer's initial weights come from seeds derived from
// (seed, layer name) (init.ts). The model maps [batch, h, w, c] images to softmax class probabilities.
import type * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { validateGenome } from './validate.ts';
import { seededInitializers } from './init.ts';
import { buildConvNet } from './convnet.ts';
import { buildNasNet } from './nasnet.ts';
import { estimateFlops, trainableParameterCount } from './model-info.ts';

export interface BuildOptions {
  /** [height, width, channels] of one image; default [28, 28, 1]. */
  readonly inputShape?: readonly [number, number, number];
  /** Default 10. */
  readonly numClasses?: number;
  /** Weight-initialisation seed; default 0. */
  readonly seed?: number;
}

export interface BuiltModel {
  readonly model: tfl.LayersModel;
  /** Representation layers for scoring, input to output: `conv0`.. (convnet) or `cell0`.. (nasnet). */
  readonly representationLayers: string[];
  /** Trainable parameters. */
  readonly parameterCount: number;
  /** Estimated FLOPs of one forward pass on one image (model-info.ts says what counts). */
  readonly flops: number;
}

/** Validates the genome (InvalidArgumentError) and builds its model. The caller disposes `model`. */
export function buildModel(genome: Genome, options: BuildOptions = {}): BuiltModel {
  const space = validateGenome(genome);
  const inputShape = options.inputShape ?? [28, 28, 1];
  const numClasses = options.numClasses ?? 10;
  const init = seededInitializers(options.seed ?? 0);
  const input = tfl.input({ name: 'input', shape: [...inputShape] });
  const g = genome.space!;
  const { output, representationLayers } =
    g.$case === 'convnet' ? buildConvNet(g.value, input, numClasses, init) : buildNasNet(g.value, input, numClasses, init);
  const model = tfl.model({ name: space, inputs: input, outputs: output });
  return { model, representationLayers, parameterCount: trainableParameterCount(model), flops: estimateFlops(model) };
}

/**
 * The named layers' outputs for a batch `x` (inference mode), in the order of `layerNames`, e.g. the representation
 * layers on stimuli. Runs through the model's own graph (no second model to dispose); the caller disposes the
 * returned tensors.
 */
export function representations(model: tfl.LayersModel, layerNames: readonly string[], x: tf.Tensor): tf.Tensor[] {
  const names = layerNames.map((n) => (model.getLayer(n).output as tfl.SymbolicTensor).name);
  const out = model.execute(x, names);
  return Array.isArray(out) ? out : [out];
}
