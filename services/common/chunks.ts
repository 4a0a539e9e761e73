// Bulk tensors on the wire: raw little-endian float32 / float16 / float64 bytes in chunks of about 1 MiB.
// LayerAssembler turns a stream of LayerChunk messages into complete float32 layers, one layer buffered at a time,
// checking everything a client can get wrong; the matrix assembler does the same for MatrixChunk (RDMs, Grams);
// the encoders split typed arrays into chunks without copying.
import { endianness } from 'node:os';
import { DType, type LayerChunk, type MatrixChunk } from '../../gen/tgsage/v1/tensor.ts';
import { InvalidArgumentError, ResourceExhaustedError } from './errors.ts';
import type { CallMemory } from './memory-budget.ts';

/** Largest chunk payload the encoders produce. */
export const MAX_CHUNK_BYTES = 1 << 20;

const littleEndian = endianness() === 'LE';

/** One complete layer: n stimuli x d features, row-major float32. */
export interface Layer {
  readonly name: string;
  readonly shape: readonly number[];
  readonly n: number;
  readonly d: number;
  /**
   * Repeated measurements (brain recordings): shape is [repetitions, n, ...features] and data holds repetitions x n
   * x d values, repetition-major. Undefined for a plain layer.
   */
  readonly repetitions?: number;
  readonly data: Float32Array;
}

export function dtypeName(dtype: DType): string {
  switch (dtype) {
    case DType.DTYPE_FLOAT32:
      return 'float32';
    case DType.DTYPE_FLOAT16:
      return 'float16';
    case DType.DTYPE_FLOAT64:
      return 'float64';
    default:
      return `dtype ${dtype}`;
  }
}

/** Bytes per element, or throws InvalidArgumentError naming `field`. */
export function elementSize(dtype: DType, field: string): number {
  switch (dtype) {
    case DType.DTYPE_FLOAT32:
      return 4;
    case DType.DTYPE_FLOAT16:
      return 2;
    case DType.DTYPE_FLOAT64:
      return 8;
    case DType.DTYPE_UNSPECIFIED:
      throw new InvalidArgumentError(field, 'missing (set DTYPE_FLOAT32, DTYPE_FLOAT16 or DTYPE_FLOAT64)');
    default:
      throw new InvalidArgumentError(field, `unknown dtype ${dtype} (use FLOAT32, FLOAT16 or FLOAT64)`);
  }
}

let halfTable: Float32Array | undefined;
function float16Table(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  halfTable = t;
  return t;
}

/** Decodes `bytes` (whole elements of `dtype`) into out[offset ...]. */
function decodeInto(bytes: Uint8Array, dtype: DType, out: Float32Array | Float64Array, offset: number): void {
  const count = bytes.byteLength / (dtype === DType.DTYPE_FLOAT16 ? 2 : dtype === DType.DTYPE_FLOAT64 ? 8 : 4);
  if (!littleEndian) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const table = float16Table();
    for (let i = 0; i < count; i++) {
      out[offset + i] =
        dtype === DType.DTYPE_FLOAT32
          ? view.getFloat32(i * 4, true)
          : dtype === DType.DTYPE_FLOAT64
            ? view.getFloat64(i * 8, true)
            : table[view.getUint16(i * 2, true)]!;
    }
    return;
  }
  const sameType =
    (dtype === DType.DTYPE_FLOAT32 && out instanceof Float32Array) ||
    (dtype === DType.DTYPE_FLOAT64 && out instanceof Float64Array);
  if (sameType) {
    new Uint8Array(out.buffer, out.byteOffset + offset * out.BYTES_PER_ELEMENT, bytes.byteLength).set(bytes);
    return;
  }
  if (dtype === DType.DTYPE_FLOAT16) {
    const table = float16Table();
    if (bytes.byteOffset % 2 === 0) {
      const h = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
      for (let i = 0; i < count; i++) out[offset + i] = table[h[i]!]!;
    } else {
      for (let i = 0; i < count; i++) out[offset + i] = table[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
    }
    return;
  }
  // an unaligned view (a payload inside a received message) is copied out first; Uint8Array's slice, as Buffer's
  // own slice() is a view, not a copy
  const aligned =
    bytes.byteOffset % (dtype === DType.DTYPE_FLOAT64 ? 8 : 4) === 0 ? bytes : Uint8Array.prototype.slice.call(bytes);
  const src =
    dtype === DType.DTYPE_FLOAT64
      ? new Float64Array(aligned.buffer, aligned.byteOffset, count)
      : new Float32Array(aligned.buffer, aligned.byteOffset, count);
  out.set(src, offset);
}

/** Index of the first NaN / Inf in x[from, to) above the diagonal of a size x size matrix, or -1. */
function firstNonFiniteAbove(x: Float32Array | Float64Array, size: number, from: number, to: number): number {
  for (let row = Math.floor(from / size); row * size < to; row++) {
    const start = Math.max(from, row * size + row + 1);
    const end = Math.min(to, (row + 1) * size);
    if (start < end) {
      const bad = firstNonFinite(x, start, end);
      if (bad >= 0) return bad;
    }
  }
  return -1;
}

/** Index of the first NaN / Inf (or only Inf, with allowNaN) in x[from, to), or -1. */
function firstNonFinite(x: Float32Array | Float64Array, from: number, to: number, allowNaN = false): number {
  for (let i = from; i < to; i++) {
    const v = x[i]!;
    if (v - v !== 0 && !(allowNaN && v !== v)) return i;
  }
  return -1;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export interface LayerAssemblerOptions {
  /** Prefix of field names in errors (default "chunk"). */
  field?: string;
  /** Required shape[0] of every layer (the number of stimuli). */
  expectedStimuli?: number;
  /** Most features (product of shape[1:]) per layer. */
  maxFeaturesPerLayer?: number;
  /** Most payload bytes over the whole stream. */
  maxTotalBytes?: number;
  /** Reject NaN / Inf (default true). */
  checkFinite?: boolean;
  /** Layers are [repetitions, stimuli, ...features]; `expectedStimuli` then applies to shape[1]. */
  repetitions?: boolean;
  /** With checkFinite: NaN (a missing value) is allowed, Inf still is not. */
  allowNaN?: boolean;
  /**
   * Storage for a layer of `length` elements (default: a new Float32Array). It may hold old values: the assembler
   * writes every element before it yields the layer.
   */
  allocate?: (length: number) => Float32Array;
  /** The call's memory account: each layer's storage is reserved there before it is allocated. */
  memory?: CallMemory;
}

export interface LayerAssembler {
  /** Takes the next chunk; returns the layer it completes, if it does. */
  push(chunk: LayerChunk): Layer | undefined;
  /** The stream ended: throws if a layer is incomplete. */
  end(): void;
  /** Names of completed layers, in order. */
  readonly layerNames: readonly string[];
  /** Payload bytes taken so far. */
  readonly totalBytes: number;
}

interface Pending {
  name: string;
  dtype: DType;
  size: number;
  shape: number[];
  n: number;
  d: number;
  reps: number | undefined;
  total: number;
  received: number;
  data: Float32Array;
}

export function createLayerAssembler(options: LayerAssemblerOptions = {}): LayerAssembler {
  const field = options.field ?? 'chunk';
  const checkFinite = options.checkFinite ?? true;
  const maxTotal = options.maxTotalBytes ?? Infinity;
  const allocate = options.allocate ?? ((length: number) => new Float32Array(length));
  const names: string[] = [];
  const seen = new Set<string>();
  let pending: Pending | undefined;
  let totalBytes = 0;

  function start(chunk: LayerChunk): Pending {
    const name = chunk.layer;
    if (!name) throw new InvalidArgumentError(`${field}.layer`, 'missing on the first chunk of a layer');
    if (seen.has(name)) throw new InvalidArgumentError(`${field}.layer`, `duplicate layer name "${name}"`);
    const size = elementSize(chunk.dtype, `${field}.dtype`);
    const shape = [...chunk.shape];
    if (shape.length === 0) {
      throw new InvalidArgumentError(`${field}.shape`, `missing on the first chunk of layer "${name}"`);
    }
    if (shape.some((s) => !(s > 0))) {
      throw new InvalidArgumentError(`${field}.shape`, `layer "${name}": every dimension must be > 0, got [${shape}]`);
    }
    const lead = options.repetitions ? 1 : 0;
    if (options.repetitions && shape.length < 3) {
      throw new InvalidArgumentError(
        `${field}.shape`,
        `layer "${name}" has shape [${shape}]; with repetitions it must be [repetitions, stimuli, ...features]`,
      );
    }
    if (options.repetitions && shape[0]! < 2) {
      throw new InvalidArgumentError(`${field}.shape[0]`, `layer "${name}" has ${shape[0]} repetition; at least 2 are needed`);
    }
    const n = shape[lead]!;
    if (options.expectedStimuli !== undefined && n !== options.expectedStimuli) {
      throw new InvalidArgumentError(
        `${field}.shape[${lead}]`,
        `layer "${name}" has ${n} stimuli (shape [${shape}]) but ${options.expectedStimuli} are expected`,
      );
    }
    const reps = options.repetitions ? shape[0]! : undefined;
    const d = shape.slice(lead + 1).reduce((a, b) => a * b, 1);
    if (options.maxFeaturesPerLayer !== undefined && d > options.maxFeaturesPerLayer) {
      throw new ResourceExhaustedError(
        `${field}.shape: layer "${name}" has ${d} features per stimulus, over the limit of ${options.maxFeaturesPerLayer}`,
      );
    }
    const total = n * d * (reps ?? 1);
    if (totalBytes + total * size > maxTotal) {
      throw new ResourceExhaustedError(
        `${field}.shape: layer "${name}" (${total * size} bytes) takes the upload over the limit of ${maxTotal} bytes`,
      );
    }
    if (total > 2 ** 31 - 1) {
      throw new ResourceExhaustedError(`${field}.shape: layer "${name}" has ${total} elements, too many for one layer`);
    }
    options.memory?.reserve(total * 4, `${field}.shape: layer "${name}" [${shape}]`);
    return { name, dtype: chunk.dtype, size, shape, n, d, reps, total, received: 0, data: allocate(total) };
  }

  function shortMessage(p: Pending, what: string): InvalidArgumentError {
    return new InvalidArgumentError(
      `${field}.data`,
      `layer "${p.name}" ended short: ${p.received} of ${p.total} elements (shape [${p.shape}]) arrived before ${what}`,
    );
  }

  return {
    push(chunk) {
      if (pending && chunk.layer && chunk.layer !== pending.name) {
        throw shortMessage(pending, `layer "${chunk.layer}" started`);
      }
      const p = (pending ??= start(chunk));
      if (chunk.dtype !== DType.DTYPE_UNSPECIFIED && chunk.dtype !== p.dtype) {
        throw new InvalidArgumentError(
          `${field}.dtype`,
          `layer "${p.name}": ${dtypeName(chunk.dtype)} differs from its first chunk's ${dtypeName(p.dtype)}`,
        );
      }
      if (chunk.shape.length > 0 && !sameShape(chunk.shape, p.shape)) {
        throw new InvalidArgumentError(
          `${field}.shape`,
          `layer "${p.name}": [${chunk.shape}] differs from its first chunk's [${p.shape}]`,
        );
      }
      const bytes = chunk.data;
      if (bytes.byteLength % p.size !== 0) {
        throw new InvalidArgumentError(
          `${field}.data`,
          `layer "${p.name}": ${bytes.byteLength} bytes is not a multiple of the ${dtypeName(p.dtype)} element size (${p.size} bytes)`,
        );
      }
      const count = bytes.byteLength / p.size;
      if (p.received + count > p.total) {
        throw new InvalidArgumentError(
          `${field}.data`,
          `layer "${p.name}": more bytes than dtype x shape: ${(p.received + count) * p.size} bytes arrived, ` +
            `${dtypeName(p.dtype)} x [${p.shape}] is ${p.total * p.size} bytes`,
        );
      }
      totalBytes += bytes.byteLength;
      if (totalBytes > maxTotal) {
        throw new ResourceExhaustedError(`${field}.data: the upload is over the limit of ${maxTotal} bytes`);
      }
      decodeInto(bytes, p.dtype, p.data, p.received);
      if (checkFinite) {
        const bad = firstNonFinite(p.data, p.received, p.received + count, options.allowNaN);
        if (bad >= 0) {
          const v = p.data[bad]!;
          const row = Math.floor(bad / p.d);
          const where = p.reps === undefined ? `row ${row}` : `repetition ${Math.floor(row / p.n)} row ${row % p.n}`;
          const hint = p.reps !== undefined && Number.isNaN(v) ? ' (declare missing repetitions in the header to allow NaN)' : '';
          throw new InvalidArgumentError(
            `${field}.data`,
            `layer "${p.name}" ${where} (feature ${bad % p.d}) is ${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf'}${hint}`,
          );
        }
      }
      p.received += count;
      if (p.received < p.total) return undefined;
      pending = undefined;
      seen.add(p.name);
      names.push(p.name);
      return p.reps === undefined
        ? { name: p.name, shape: p.shape, n: p.n, d: p.d, data: p.data }
        : { name: p.name, shape: p.shape, n: p.n, d: p.d, repetitions: p.reps, data: p.data };
    },
    end() {
      if (pending) throw shortMessage(pending, 'the stream ended');
    },
    get layerNames() {
      return names;
    },
    get totalBytes() {
      return totalBytes;
    },
  };
}

/** Complete layers from a chunk stream; throws on the first problem. */
export async function* assembleLayers(
  chunks: AsyncIterable<LayerChunk> | Iterable<LayerChunk>,
  options: LayerAssemblerOptions = {},
): AsyncGenerator<Layer> {
  const assembler = createLayerAssembler(options);
  for await (const chunk of chunks) {
    const layer = assembler.push(chunk);
    if (layer) yield layer;
  }
  assembler.end();
}

/** One complete square matrix. float64 stays float64 unless `output: 'float32'`; float16 becomes float32. */
export interface Matrix {
  readonly name: string;
  readonly size: number;
  readonly data: Float32Array | Float64Array;
}

export interface MatrixAssemblerOptions {
  /** Prefix of field names in errors (default "chunk"). */
  field?: string;
  /** Required size of every matrix. */
  expectedSize?: number;
  /** Largest size accepted. */
  maxSize?: number;
  /** Element type of the result (default 'keep'). */
  output?: 'keep' | 'float32' | 'float64';
  /** Reject NaN / Inf (default true); 'upper': only above the diagonal (what RDM comparisons read). */
  checkFinite?: boolean | 'upper';
  /** The call's memory account: each matrix's storage is reserved there before it is allocated. */
  memory?: CallMemory;
}

export interface MatrixAssembler {
  push(chunk: MatrixChunk): Matrix | undefined;
  end(): void;
  readonly names: readonly string[];
}

export function createMatrixAssembler(options: MatrixAssemblerOptions = {}): MatrixAssembler {
  const field = options.field ?? 'chunk';
  const checkFinite = options.checkFinite ?? true;
  const names: string[] = [];
  let pending:
    | { name: string; dtype: DType; elSize: number; size: number; total: number; received: number; data: Float32Array | Float64Array }
    | undefined;

  function start(chunk: MatrixChunk) {
    const name = chunk.layer;
    if (!name) throw new InvalidArgumentError(`${field}.layer`, 'missing on the first chunk of a matrix');
    const elSize = elementSize(chunk.dtype, `${field}.dtype`);
    const size = chunk.size;
    if (!(size > 0)) throw new InvalidArgumentError(`${field}.size`, `missing on the first chunk of matrix "${name}"`);
    if (options.expectedSize !== undefined && size !== options.expectedSize) {
      throw new InvalidArgumentError(`${field}.size`, `matrix "${name}" is ${size} x ${size}, expected ${options.expectedSize}`);
    }
    if (options.maxSize !== undefined && size > options.maxSize) {
      throw new ResourceExhaustedError(`${field}.size: matrix "${name}" is ${size} x ${size}, over the limit of ${options.maxSize}`);
    }
    const wide = options.output === 'float64' || (options.output !== 'float32' && chunk.dtype === DType.DTYPE_FLOAT64);
    const total = size * size;
    options.memory?.reserve(total * (wide ? 8 : 4), `${field}.size: matrix "${name}" (${size} x ${size})`);
    const data = wide ? new Float64Array(total) : new Float32Array(total);
    return { name, dtype: chunk.dtype, elSize, size, total, received: 0, data };
  }

  return {
    push(chunk) {
      if (pending && chunk.layer && chunk.layer !== pending.name) {
        throw new InvalidArgumentError(
          `${field}.data`,
          `matrix "${pending.name}" ended short: ${pending.received} of ${pending.total} elements arrived before matrix "${chunk.layer}" started`,
        );
      }
      const p = (pending ??= start(chunk));
      if (chunk.dtype !== DType.DTYPE_UNSPECIFIED && chunk.dtype !== p.dtype) {
        throw new InvalidArgumentError(`${field}.dtype`, `matrix "${p.name}": ${dtypeName(chunk.dtype)} differs from its first chunk's ${dtypeName(p.dtype)}`);
      }
      if (chunk.size !== 0 && chunk.size !== p.size) {
        throw new InvalidArgumentError(`${field}.size`, `matrix "${p.name}": ${chunk.size} differs from its first chunk's ${p.size}`);
      }
      if (chunk.offset !== p.received) {
        throw new InvalidArgumentError(`${field}.offset`, `matrix "${p.name}": chunk starts at ${chunk.offset}, expected ${p.received}`);
      }
      const bytes = chunk.data;
      if (bytes.byteLength % p.elSize !== 0) {
        throw new InvalidArgumentError(
          `${field}.data`,
          `matrix "${p.name}": ${bytes.byteLength} bytes is not a multiple of the ${dtypeName(p.dtype)} element size (${p.elSize} bytes)`,
        );
      }
      const count = bytes.byteLength / p.elSize;
      if (p.received + count > p.total) {
        throw new InvalidArgumentError(
          `${field}.data`,
          `matrix "${p.name}": more bytes than dtype x size x size: ${(p.received + count) * p.elSize} > ${p.total * p.elSize}`,
        );
      }
      decodeInto(bytes, p.dtype, p.data, p.received);
      if (checkFinite) {
        const bad =
          checkFinite === 'upper'
            ? firstNonFiniteAbove(p.data, p.size, p.received, p.received + count)
            : firstNonFinite(p.data, p.received, p.received + count);
        if (bad >= 0) {
          const where = checkFinite === 'upper' ? `row ${Math.floor(bad / p.size)} column ${bad % p.size}` : `row ${Math.floor(bad / p.size)}`;
          throw new InvalidArgumentError(`${field}.data`, `matrix "${p.name}" ${where} has NaN or Inf`);
        }
      }
      p.received += count;
      if (p.received < p.total) return undefined;
      pending = undefined;
      names.push(p.name);
      return { name: p.name, size: p.size, data: p.data };
    },
    end() {
      if (pending) {
        throw new InvalidArgumentError(
          `${field}.data`,
          `matrix "${pending.name}" ended short: ${pending.received} of ${pending.total} elements arrived before the stream ended`,
        );
      }
    },
    get names() {
      return names;
    },
  };
}

/** Complete matrices from a MatrixChunk stream. */
export async function* decodeMatrixChunks(
  chunks: AsyncIterable<MatrixChunk> | Iterable<MatrixChunk>,
  options: MatrixAssemblerOptions = {},
): AsyncGenerator<Matrix> {
  const assembler = createMatrixAssembler(options);
  for await (const chunk of chunks) {
    const m = assembler.push(chunk);
    if (m) yield m;
  }
  assembler.end();
}

function dtypeOf(data: Float32Array | Float64Array): DType {
  return data instanceof Float64Array ? DType.DTYPE_FLOAT64 : DType.DTYPE_FLOAT32;
}

/** Zero-copy byte views of `data`, each at most maxChunkBytes and a whole number of elements. */
function* byteSlices(data: Float32Array | Float64Array, maxChunkBytes: number): Generator<[number, Buffer]> {
  const el = data.BYTES_PER_ELEMENT;
  const step = Math.max(1, Math.floor(maxChunkBytes / el)) * el;
  const all = data.byteLength;
  let start = 0;
  do {
    const len = Math.min(step, all - start);
    yield [start / el, Buffer.from(data.buffer, data.byteOffset + start, len)];
    start += len;
  } while (start < all);
}

/**
 * Splits one layer (row-major, shape[0] = stimuli) into LayerChunk messages of at most maxChunkBytes. The chunks view
 * `data` without copying: do not change it while they are being sent.
 */
export function* encodeLayerChunks(
  name: string,
  shape: readonly number[],
  data: Float32Array | Float64Array,
  maxChunkBytes = MAX_CHUNK_BYTES,
): Generator<LayerChunk> {
  const dtype = dtypeOf(data);
  let first = true;
  for (const [, bytes] of byteSlices(data, maxChunkBytes)) {
    yield first ? { layer: name, dtype, shape: [...shape], data: bytes } : { layer: '', dtype: 0, shape: [], data: bytes };
    first = false;
  }
}

/** Splits a size x size matrix into MatrixChunk messages of at most maxChunkBytes (views, no copy). */
export function* encodeMatrixChunks(
  name: string,
  size: number,
  data: Float32Array | Float64Array,
  maxChunkBytes = MAX_CHUNK_BYTES,
): Generator<MatrixChunk> {
  const dtype = dtypeOf(data);
  for (const [offset, bytes] of byteSlices(data, maxChunkBytes)) {
    yield { layer: name, dtype, size, offset, data: bytes };
  }
}
