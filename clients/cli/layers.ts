// `--layer NAME=FILE.npy` arguments, turned into a stream of LayerChunk messages read from the files in chunks of
// at most 1 MiB: one file open at a time, one chunk in memory at a time.

import { DType, type LayerChunk } from '../../gen/tgsage/v1/tensor.ts';
import { MAX_CHUNK_BYTES } from '../../services/common/chunks.ts';
import { CliError } from './errors.ts';
import { formatBytes } from './format.ts';
import { openNpy, type NpyDType, type NpyHeader } from './npy.ts';
import type { Progress } from './progress.ts';

export { MAX_CHUNK_BYTES };

export interface LayerSpec {
  readonly name: string;
  readonly path: string;
}

/** commander collector for repeatable `--layer NAME=FILE` options. */
export function collectLayer(value: string, previous: LayerSpec[] = []): LayerSpec[] {
  const eq = value.indexOf('=');
  if (eq <= 0 || eq === value.length - 1) throw new CliError(`--layer: expected NAME=FILE.npy, got '${value}'`);
  return [...previous, { name: value.slice(0, eq), path: value.slice(eq + 1) }];
}

export const NPY_TO_DTYPE: Record<NpyDType, DType> = {
  float16: DType.DTYPE_FLOAT16,
  float32: DType.DTYPE_FLOAT32,
  float64: DType.DTYPE_FLOAT64,
};

export interface OpenedLayer extends LayerSpec {
  readonly header: NpyHeader;
  readonly chunks: (options: { chunkBytes?: number; signal?: AbortSignal }) => AsyncGenerator<Buffer, void>;
}

/** Reads every file's header up front (no data), so a bad file fails before anything is sent. */
export async function openLayers(specs: readonly LayerSpec[]): Promise<OpenedLayer[]> {
  if (specs.length === 0) throw new CliError('no layers given: add --layer NAME=FILE.npy (repeatable)');
  const seen = new Set<string>();
  const opened: OpenedLayer[] = [];
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new CliError(`--layer: layer name '${spec.name}' given twice`);
    seen.add(spec.name);
    let npy;
    try {
      npy = await openNpy(spec.path);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
        throw new CliError(`--layer ${spec.name}: no such file: ${spec.path}`);
      }
      throw error;
    }
    if (npy.header.shape.length === 0) throw new CliError(`${spec.path}: a 0-d array has no stimulus axis`);
    opened.push({ ...spec, header: npy.header, chunks: npy.chunks });
  }
  return opened;
}

export function describeLayer(layer: OpenedLayer): string {
  const h = layer.header;
  return `${layer.name} ${h.shape.join('x')} ${h.dtype} (${formatBytes(h.byteLength)})`;
}

/**
 * Yields each layer's chunks in order. The first chunk of a layer carries layer, dtype and shape; later chunks
 * carry layer and dtype (same values) and data only.
 */
export async function* layerChunks(
  layers: readonly OpenedLayer[],
  progress: Progress,
  options: { chunkBytes?: number; signal?: AbortSignal } = {},
): AsyncGenerator<LayerChunk, void> {
  const chunkBytes = Math.min(options.chunkBytes ?? MAX_CHUNK_BYTES, MAX_CHUNK_BYTES);
  for (const layer of layers) {
    progress.start(layer.name, layer.header.byteLength);
    const dtype = NPY_TO_DTYPE[layer.header.dtype];
    let first = true;
    for await (const data of layer.chunks({ chunkBytes, ...(options.signal ? { signal: options.signal } : {}) })) {
      yield { layer: layer.name, dtype, shape: first ? [...layer.header.shape] : [], data };
      first = false;
      progress.advance(data.length);
    }
    if (first) yield { layer: layer.name, dtype, shape: [...layer.header.shape], data: Buffer.alloc(0) };
    progress.finish(`sent ${describeLayer(layer)}`);
  }
}

/**
 * The layer with axis `axis` moved to the front (`--repetitions-axis`): [.., R, ..] -> [R, ..]. Axis 0 streams as it
 * is; any other axis reads the file into memory once and reorders whole rows.
 */
export async function moveAxisToFront(layer: OpenedLayer, axis: number, itemSize: number): Promise<OpenedLayer> {
  const shape = layer.header.shape;
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) {
    throw new CliError(`--repetitions-axis: ${axis} is not an axis of ${layer.path} (shape ${shape.join('x')})`);
  }
  if (axis === 0) return layer;
  const data = Buffer.alloc(layer.header.byteLength);
  let at = 0;
  for await (const piece of layer.chunks({})) {
    piece.copy(data, at);
    at += piece.length;
  }
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const reps = shape[axis]!;
  const block = shape.slice(axis + 1).reduce((a, b) => a * b, 1) * itemSize;
  const out = Buffer.alloc(data.length);
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < reps; r++) data.copy(out, (r * outer + o) * block, (o * reps + r) * block, (o * reps + r + 1) * block);
  }
  const moved = [reps, ...shape.slice(0, axis), ...shape.slice(axis + 1)];
  return {
    ...layer,
    header: { ...layer.header, shape: moved },
    async *chunks(options) {
      const size = options.chunkBytes ?? MAX_CHUNK_BYTES;
      for (let p = 0; p < out.length; p += size) {
        options.signal?.throwIfAborted();
        yield out.subarray(p, Math.min(p + size, out.length));
      }
    },
  };
}
