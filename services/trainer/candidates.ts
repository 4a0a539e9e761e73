// Candidates come from the search spaces' model builder (validated, seeded).
import { buildModel } from '../spaces/build.ts';
import type { PipelineDeps } from './pipeline.ts';

export const buildCandidate: PipelineDeps['buildModel'] = (genome, options) => buildModel(genome, options);
