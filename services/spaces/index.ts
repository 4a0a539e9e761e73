// The search spaces' public surface: genomes as decisions (for strategies), validation, JSON, models, summaries.
export { createRng, deriveSeed, type Rng, type Seed } from './rng.ts';
export {
  CONVNET_SPACE,
  NASNET_SPACE,
  checkDecisions,
  decisionSpace,
  decode,
  encode,
  randomGenome,
  sampleDecisions,
  sampleGenome,
  spaceEnum,
  type DecisionSpace,
  type Decisions,
  type SpaceName,
} from './decisions.ts';
export { canonicalGenome, validateGenome, validateGenomeInSpace } from './validate.ts';
export { genomeFromJson, genomeToJson, genomeToJsonValue } from './json.ts';
export { buildModel, representations, type BuildOptions, type BuiltModel } from './build.ts';
export { describeGenome, DEFAULT_MODEL_SHAPE, type ModelShape } from './describe.ts';
export { estimateFlops, trainableParameterCount } from './model-info.ts';
