// Datasets for training and scoring: a seeded, fixed split of a source into train / validation / stimuli.
//
// - Normalisation, once at load: pixel / 255, float32 in [0, 1], layout [count, height, width, 1] in one
//   Float32Array per split. No mean subtraction (batch norm and the first layer's bias absorb it); a user's own
//   teacher model must expect the same.
// - Stimuli: a class-balanced set of num_stimuli held-out images (floor(N / K) per class, the first N mod K classes one
//   more), ORDERED BY CLASS (then by index in the source), so RDMs show block structure. They come from the test
//   files of IDX sources, or from the one pool of the mnist package before validation and train are drawn; either way
//   disjoint from train and validation and a function of (name, directory, split_seed, num_stimuli) only: teacher
//   and candidates see the same stimuli.
// - Validation: num_validation images drawn at random (seeded) from the training pool; train is the rest.
// Memory: Fashion-MNIST keeps its 55 MB uint8 source and 4 bytes per pixel for the splits (58k train = 182 MB,
// 2k validation = 6 MB, 1k stimuli = 3 MB); the mnist package 7.8 MB + 31 MB.
import { InvalidArgumentError } from '../common/errors.ts';
import type { DatasetSpec } from '../../gen/tgsage/v1/data.ts';
import { createRng } from '../spaces/rng.ts';
import { FASHION_MNIST_DIR, loadIdxDirectory, loadMnistPackage, type RawPool, type RawSource } from './sources.ts';

export type DatasetName = 'mnist' | 'fashion-mnist' | 'idx';
export const DATASET_NAMES: readonly DatasetName[] = ['mnist', 'fashion-mnist', 'idx'];

export const DEFAULT_NUM_STIMULI = 1000;
export const DEFAULT_NUM_VALIDATION = 2000;
/** The mnist package has 10,000 images in all: 1,000 stimuli + 1,000 validation leave 8,000 to train on. */
export const DEFAULT_NUM_VALIDATION_MNIST = 1000;
export const MAX_NUM_STIMULI = 10000;

/** One split: `count` images [count, height, width, 1] normalised to [0, 1], and int32 labels. */
export interface Split {
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
  /** Provenance: which pool of the source the rows come from, and their indices there. */
  readonly from: { readonly pool: 'train' | 'test'; readonly indices: Int32Array };
}

/** A spec with every default filled in. */
export interface ResolvedDatasetSpec {
  readonly name: DatasetName;
  readonly directory: string;
  readonly numStimuli: number;
  readonly numValidation: number;
  readonly splitSeed: number;
}

export interface Dataset {
  readonly spec: ResolvedDatasetSpec;
  readonly description: string;
  readonly height: number;
  readonly width: number;
  readonly channels: 1;
  readonly numClasses: number;
  readonly train: Split;
  readonly validation: Split;
  /** Class-balanced, ordered by class. */
  readonly stimuli: Split;
  /** Identifies the stimulus set: equal keys, identical stimuli (teachers store it with their RDMs). */
  readonly stimulusKey: string;
}

/** Fills defaults and checks the spec (InvalidArgumentError naming `dataset.<field>`). */
export function resolveDatasetSpec(spec: Partial<DatasetSpec> = {}, field = 'dataset'): ResolvedDatasetSpec {
  const name = (spec.name ?? '') === '' ? 'mnist' : spec.name!;
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new InvalidArgumentError(`${field}.name`, `must be one of ${DATASET_NAMES.join(', ')} (got ${JSON.stringify(name)})`);
  }
  const n = name as DatasetName;
  let directory = spec.directory ?? '';
  if (n === 'fashion-mnist' && directory === '') directory = FASHION_MNIST_DIR;
  if (n === 'idx' && directory === '') {
    throw new InvalidArgumentError(`${field}.directory`, 'dataset idx needs the directory of its IDX files (--data-dir)');
  }
  if (n === 'mnist' && directory !== '') {
    throw new InvalidArgumentError(`${field}.directory`, 'the mnist package dataset takes no directory; use dataset idx for IDX files');
  }
  const numStimuli = spec.numStimuli || DEFAULT_NUM_STIMULI;
  if (!Number.isInteger(numStimuli) || numStimuli < 3 || numStimuli > MAX_NUM_STIMULI) {
    throw new InvalidArgumentError(`${field}.num_stimuli`, `must be 3 to ${MAX_NUM_STIMULI} (got ${numStimuli})`);
  }
  const numValidation = spec.numValidation || (n === 'mnist' ? DEFAULT_NUM_VALIDATION_MNIST : DEFAULT_NUM_VALIDATION);
  if (!Number.isInteger(numValidation) || numValidation < 1) {
    throw new InvalidArgumentError(`${field}.num_validation`, `must be a positive integer (got ${numValidation})`);
  }
  const splitSeed = spec.splitSeed ?? 0;
  if (!Number.isInteger(splitSeed) || splitSeed < 0) throw new InvalidArgumentError(`${field}.split_seed`, `must be a non-negative integer (got ${splitSeed})`);
  return { name: n, directory, numStimuli, numValidation, splitSeed };
}

/** Loads the raw source of a resolved spec. Injected into loaders so that tests can substitute it. */
export type SourceLoader = (spec: ResolvedDatasetSpec) => Promise<RawSource>;

export const loadSource: SourceLoader = (spec) => {
  switch (spec.name) {
    case 'mnist':
      return loadMnistPackage();
    case 'fashion-mnist':
      return loadIdxDirectory(
        spec.directory,
        'fashion-mnist',
        'install it with `apt-get install dataset-fashion-mnist`, or give a directory of Fashion-MNIST IDX files with --data-dir (dataset idx)',
      );
    case 'idx':
      return loadIdxDirectory(
        spec.directory,
        'idx',
        'give a directory holding train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz] (--data-dir)',
      );
  }
};

/** Splits a raw source by a resolved spec. Pure: same source and spec, same dataset. */
export function splitSource(source: RawSource, spec: ResolvedDatasetSpec): Dataset {
  const { height, width } = source.train;
  const numClasses = Math.max(maxLabel(source.train), source.test ? maxLabel(source.test) : 0) + 1;
  const rng = createRng(spec.splitSeed, 'tgsage-dataset-split');
  const heldOut = source.test ?? source.train;
  const stimulusIdx = balancedByClass(heldOut, numClasses, spec.numStimuli, rng.fork('stimuli'));

  let pool: number[];
  if (source.test) {
    pool = Array.from({ length: source.train.count }, (_, i) => i);
  } else {
    const taken = new Uint8Array(source.train.count);
    for (const i of stimulusIdx) taken[i] = 1;
    pool = [];
    for (let i = 0; i < source.train.count; i++) if (!taken[i]) pool.push(i);
  }
  if (spec.numValidation >= pool.length) {
    throw new InvalidArgumentError(
      'dataset.num_validation',
      `${spec.numValidation} leaves no training images (${pool.length} available after the stimuli)`,
    );
  }
  rng.fork('validation').shuffle(pool);
  const validationIdx = pool.slice(0, spec.numValidation).sort((a, b) => a - b);
  const trainIdx = pool.slice(spec.numValidation).sort((a, b) => a - b);
  return {
    spec,
    description: source.description,
    height,
    width,
    channels: 1,
    numClasses,
    train: gather(source.train, 'train', trainIdx),
    validation: gather(source.train, 'train', validationIdx),
    stimuli: gather(heldOut, source.test ? 'test' : 'train', stimulusIdx),
    stimulusKey: `${spec.name}:${spec.directory}:split_seed=${spec.splitSeed}:num_stimuli=${spec.numStimuli}`,
  };
}

function maxLabel(pool: RawPool): number {
  let m = 0;
  for (let i = 0; i < pool.count; i++) if (pool.labels[i]! > m) m = pool.labels[i]!;
  return m;
}

/** Indices of a class-balanced sample ordered by class, then by index. */
function balancedByClass(pool: RawPool, numClasses: number, n: number, rng: ReturnType<typeof createRng>): number[] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < pool.count; i++) byClass[pool.labels[i]!]!.push(i);
  const out: number[] = [];
  byClass.forEach((indices, c) => {
    const want = Math.floor(n / numClasses) + (c < n % numClasses ? 1 : 0);
    if (indices.length < want) {
      throw new InvalidArgumentError(
        'dataset.num_stimuli',
        `${n} stimuli need ${want} held-out images of class ${c}, but there are ${indices.length}`,
      );
    }
    // a partial Fisher-Yates picks `want` of them uniformly
    for (let k = 0; k < want; k++) {
      const j = k + rng.int(indices.length - k);
      [indices[k], indices[j]] = [indices[j]!, indices[k]!];
    }
    out.push(...indices.slice(0, want).sort((a, b) => a - b));
  });
  return out;
}

const SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

function gather(pool: RawPool, name: 'train' | 'test', indices: readonly number[]): Split {
  const size = pool.height * pool.width;
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  indices.forEach((src, row) => {
    const from = src * size;
    const to = row * size;
    for (let k = 0; k < size; k++) images[to + k] = SCALE[pool.images[from + k]!]!;
    labels[row] = pool.labels[src]!;
  });
  return { images, labels, count: indices.length, from: { pool: name, indices: Int32Array.from(indices) } };
}

export interface DatasetLoader {
  /** The dataset of a spec; loaded once, then served from memory. Concurrent calls share one load. */
  load(spec?: Partial<DatasetSpec>): Promise<Dataset>;
  /** Forgets everything cached. */
  clear(): void;
}

/** A loader with its own in-memory cache of sources and splits. */
export function createDatasetLoader(loadRaw: SourceLoader = loadSource): DatasetLoader {
  const sources = new Map<string, Promise<RawSource>>();
  const datasets = new Map<string, Promise<Dataset>>();
  const remember = <T>(map: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> => {
    let p = map.get(key);
    if (p === undefined) {
      p = make();
      map.set(key, p);
      p.catch(() => map.delete(key));
    }
    return p;
  };
  return {
    async load(spec = {}) {
      const resolved = resolveDatasetSpec(spec);
      const sourceKey = `${resolved.name}:${resolved.directory}`;
      return remember(datasets, JSON.stringify(resolved), async () => {
        const source = await remember(sources, sourceKey, () => loadRaw(resolved));
        return splitSource(source, resolved);
      });
    },
    clear() {
      sources.clear();
      datasets.clear();
    },
  };
}

/** Loads one dataset without caching (a fresh loader per call). */
export function loadDataset(spec: Partial<DatasetSpec> = {}, loadRaw: SourceLoader = loadSource): Promise<Dataset> {
  return createDatasetLoader(loadRaw).load(spec);
}
