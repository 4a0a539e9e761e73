// Candidates come from the search spaces' model builder (validated, seeded).
import type { PipelineDeps } from './pipeline.ts';

const path = '../spaces/build.ts';
const spaces = (await import(path).catch(() => undefined)) as { buildModel: PipelineDeps['buildModel'] } | undefined;

export const buildCandidate: PipelineDeps['buildModel'] = (genome, options) => {
  if (!spaces) throw new Error('services/spaces/build.ts is not available yet');
  return spaces.buildModel(genome, options);
};
