// A genome's summary for DescribeGenome / the CLI: its space, trainable parameters, estimated FLOPs, representation
// layer names and canonical JSON. Builds the model once on the current tfjs backend (tens to hundreds of ms) and
// disposes it.
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import type { GenomeSummary } from '../../gen/tgsage/v1/trainer.ts';
import { buildModel } from './build.ts';
import { spaceEnum } from './decisions.ts';
import { genomeToJson } from './json.ts';
import { validateGenome } from './validate.ts';

/** Image shape and class count of the dataset the model is for; default 28x28x1 images, 10 classes. */
export interface ModelShape {
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
}

export const DEFAULT_MODEL_SHAPE: ModelShape = { inputShape: [28, 28, 1], numClasses: 10 };

export function describeGenome(genome: Genome, shape: ModelShape = DEFAULT_MODEL_SHAPE): GenomeSummary {
  const space = validateGenome(genome);
  const built = buildModel(genome, { inputShape: shape.inputShape, numClasses: shape.numClasses, seed: 0 });
  try {
    return {
      space: spaceEnum(space),
      parameterCount: built.parameterCount,
      flops: built.flops,
      representationLayers: built.representationLayers,
      genomeJson: genomeToJson(genome),
    };
  } finally {
    built.model.dispose();
  }
}
