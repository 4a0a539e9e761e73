// IDX files (the MNIST / Fashion-MNIST format), gzipped or not. Header: two zero bytes, a type code (0x08 = unsigned
// byte, the only one image datasets use), the number of dimensions, then each dimension as a big-endian uint32;
// then the data, row-major. Every check fails with a message naming the file.
import { readFile } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';

const gunzipAsync = promisify(gunzip);

export class IdxFormatError extends Error {
  override readonly name = 'IdxFormatError';
}

export interface IdxArray {
  /** Dimensions, e.g. [60000, 28, 28] for images, [60000] for labels. */
  readonly dims: number[];
  /** The values (a view into the file's bytes, no copy). */
  readonly data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** Parses an IDX file's (already gunzipped) bytes. `source` names it in errors. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  if (bytes.length < 4) throw new IdxFormatError(`${source}: too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxFormatError(
      `${source}: bad IDX magic number 0x${hex(bytes, 0, 4)} (expected 0x000008NN: two zero bytes, type 0x08, dimensions)`,
    );
  }
  const type = bytes[2]!;
  if (type !== 0x08) {
    const name = TYPE_NAMES[type];
    throw new IdxFormatError(
      `${source}: IDX type 0x${type.toString(16).padStart(2, '0')}${name ? ` (${name})` : ' (unknown)'} is not supported; image datasets use 0x08 (unsigned byte)`,
    );
  }
  const ndim = bytes[3]!;
  if (ndim === 0) throw new IdxFormatError(`${source}: IDX header has 0 dimensions`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) throw new IdxFormatError(`${source}: truncated IDX header (${ndim} dimensions need ${headerBytes} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== size) {
    throw new IdxFormatError(
      `${source}: IDX dimensions ${dims.join('x')} need ${size} data bytes but the file has ${actual}${actual < size ? ' (truncated?)' : ''}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Reads an IDX file, gunzipping it when it starts with the gzip magic (whatever its name). */
export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array = await readFile(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (err) {
      throw new IdxFormatError(`${path}: corrupt gzip data: ${(err as Error).message}`);
    }
  }
  return parseIdx(bytes, path);
}

/** Builds an IDX file's bytes (for tests and tools). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function hex(bytes: Uint8Array, start: number, end: number): string {
  return Array.from(bytes.subarray(start, end), (b) => b.toString(16).padStart(2, '0')).join('');
}
