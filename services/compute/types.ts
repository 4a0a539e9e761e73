// The compute layer's one interface. Domain code (teacher cache, scorer, trainer) calls only this; which backend
// does the arithmetic (native BLAS, tfjs wasm / cpu / webgpu / tensorflow) is chosen by config at start-up.

/** How an RDM is computed from a layer's activations (rows = stimuli). */
export type RdmMethod = 'correlation' | 'cosine' | 'euclidean';

/** Comparators that work on RDMs (upper triangles). */
export type RdmComparator = 'spearman' | 'pearson' | 'kendall' | 'cosine';

/** Comparators that work on activations through centred Gram matrices. */
export type GramComparator = 'cka' | 'cka_unbiased';

export type ComparatorName = RdmComparator | GramComparator;

/** Names a user may ask for; 'auto' picks the fastest that loads (blas, then wasm, then cpu). */
export type BackendName = 'auto' | 'blas' | 'wasm' | 'cpu' | 'webgpu' | 'tensorflow';

/** Every compute backend name, 'auto' first. */
export const BACKENDS: readonly BackendName[] = ['auto', 'blas', 'wasm', 'cpu', 'webgpu', 'tensorflow'];

/** One layer's activations: n rows (stimuli) x d features, row-major float32. */
export interface Activations {
  readonly data: Float32Array;
  readonly n: number;
  readonly d: number;
}

/**
 * An RDM's upper triangle made ready for repeated comparison with one comparator (for Spearman: tie-averaged ranks,
 * centred and scaled to unit norm, so a comparison is one dot product). Opaque to callers.
 */
export interface PreparedRdm {
  readonly comparator: RdmComparator;
  /** Number of stimuli N of the RDM it came from. */
  readonly n: number;
  /** Bytes held, for bounded caches. */
  readonly bytes: number;
}

export interface Compute {
  /** Backend in use, e.g. "blas", "wasm". */
  readonly backend: string;
  /** Details for logs and GetInfo: library, threads, device. */
  readonly details: string;
  /** n x n RDM (row-major float32, zero diagonal, symmetric). Throws ComputeInputError on a constant row etc. */
  rdm(x: Activations, method: RdmMethod): Promise<Float32Array>;
  /** Centred Gram matrix H X X^T H (n x n, row-major float64), for linear CKA. */
  centeredGram(x: Activations): Promise<Float64Array>;
  /** Prepares an n x n RDM's upper triangle (i < j) for comparisons with `comparator`. */
  prepare(rdm: Float32Array | Float64Array, n: number, comparator: RdmComparator): Promise<PreparedRdm>;
  /** Similarity of two RDMs prepared with the same comparator and n. */
  compare(a: PreparedRdm, b: PreparedRdm): number;
  /** Linear CKA between two centred Gram matrices of the same n (biased or unbiased HSIC estimator). */
  cka(kc: Float64Array, lc: Float64Array, n: number, unbiased: boolean): number;
  /** Frees backend resources. */
  dispose(): Promise<void>;
}

/** Thrown when a backend cannot be used here (package missing, no GPU, addon not built); the message says why. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/** Bad numbers in the input (NaN / Inf, a constant row): the caller maps it to INVALID_ARGUMENT. */
export class ComputeInputError extends Error {
  override readonly name = 'ComputeInputError';
}
