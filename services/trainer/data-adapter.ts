// Adapts the data module (services/data) to what training needs. Placeholder until services/data lands.
import { FailedPreconditionError } from '../common/errors.ts';
import type { DatasetRequest, LoadedDataset } from './pipeline.ts';

export async function loadTrainingDataset(spec: DatasetRequest): Promise<LoadedDataset> {
  throw new FailedPreconditionError(`dataset ${spec.name}: the data module is not available yet`);
}
