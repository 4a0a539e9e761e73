// NumPy `.npy` files: header parsing, streaming reads of the raw data, and a writer (for tests and Python interop).
//
// Supported: format versions 1.0, 2.0 and 3.0; little-endian float16 / float32 / float64 (`<f2`, `<f4`, `<f8`);
// C order. Anything else fails with an NpyError that says what the file holds and what to do about it.
// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

import { open, writeFile } from 'node:fs/promises';

export type NpyDType = 'float16' | 'float32' | 'float64';

const DESCR_TO_DTYPE: Record<string, NpyDType> = { '<f2': 'float16', '<f4': 'float32', '<f8': 'float64' };
const DTYPE_TO_DESCR: Record<NpyDType, string> = { float16: '<f2', float32: '<f4', float64: '<f8' };
export const NPY_ITEM_SIZE: Record<NpyDType, number> = { float16: 2, float32: 4, float64: 8 };

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // "\x93NUMPY"

export class NpyError extends Error {
  override readonly name = 'NpyError';
}

export interface NpyHeader {
  /** Format version, e.g. [1, 0]. */
  readonly version: readonly [number, number];
  readonly dtype: NpyDType;
  readonly shape: readonly number[];
  /** Byte offset of the first element. */
  readonly dataOffset: number;
  /** Number of elements (product of shape; 1 for a 0-d array). */
  readonly size: number;
  /** Bytes of element data (size x item size). */
  readonly byteLength: number;
}

/**
 * Parses the header at the start of `prefix` (which must hold at least the whole header). Returns undefined when
 * `prefix` is too short to know, so a streaming caller can read more; throws NpyError on anything malformed.
 */
export function parseNpyHeader(prefix: Uint8Array, source = 'input'): NpyHeader | undefined {
  const buf = Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (buf.length < 10) return undefined;
  if (!buf.subarray(0, 6).equals(MAGIC)) throw new NpyError(`${source}: not an .npy file (bad magic string)`);
  const major = buf[6]!;
  const minor = buf[7]!;
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) return undefined;
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else {
    throw new NpyError(`${source}: unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  if (buf.length < start + headerLen) return undefined;
  const text = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const dict = parseHeaderDict(text, source);
  const dtype = DESCR_TO_DTYPE[dict.descr];
  if (dtype === undefined) {
    throw new NpyError(
      `${source}: unsupported dtype '${dict.descr}' (supported: little-endian float16/float32/float64 '<f2', '<f4', '<f8'); ` +
        `convert with a.astype('<f4')`,
    );
  }
  if (dict.fortranOrder) {
    throw new NpyError(
      `${source}: array is stored in Fortran order; only C order is supported (save np.ascontiguousarray(a))`,
    );
  }
  const size = dict.shape.reduce((a, b) => a * b, 1);
  return {
    version: [major, minor],
    dtype,
    shape: dict.shape,
    dataOffset: start + headerLen,
    size,
    byteLength: size * NPY_ITEM_SIZE[dtype],
  };
}

interface HeaderDict {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Parses the Python dict literal of an .npy header: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }. */
function parseHeaderDict(text: string, source: string): HeaderDict {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) throw new NpyError(`${source}: malformed .npy header: ${t.slice(0, 80)}`);
  const descr = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(t);
  if (descr === null) {
    throw new NpyError(`${source}: unsupported dtype (structured or missing 'descr'); only plain float arrays are read`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(t);
  if (fortran === null) throw new NpyError(`${source}: malformed .npy header: no 'fortran_order'`);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(t);
  if (shape === null) throw new NpyError(`${source}: malformed .npy header: no 'shape'`);
  const dims = shape[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = /^(\d+)L?$/.exec(s);
      if (n === null) throw new NpyError(`${source}: malformed shape '(${shape[1]})'`);
      return Number(n[1]);
    });
  return { descr: descr[2]!, fortranOrder: fortran[1] === 'True', shape: dims };
}

/** Reads only the header of an .npy file and checks that the file holds exactly the data it announces. */
export async function readNpyHeader(path: string): Promise<NpyHeader> {
  const fh = await open(path, 'r');
  try {
    return await readHeaderFrom(fh, path);
  } finally {
    await fh.close();
  }
}

type FileHandle = Awaited<ReturnType<typeof open>>;

async function readHeaderFrom(fh: FileHandle, path: string): Promise<NpyHeader> {
  let want = 256;
  for (;;) {
    const buf = Buffer.alloc(want);
    const { bytesRead } = await fh.read(buf, 0, want, 0);
    const header = parseNpyHeader(buf.subarray(0, bytesRead), path);
    if (header !== undefined) {
      const { size: fileSize } = await fh.stat();
      const expected = header.dataOffset + header.byteLength;
      if (fileSize < expected) {
        throw new NpyError(
          `${path}: truncated: shape (${header.shape.join(', ')}) ${header.dtype} needs ${expected} bytes, file has ${fileSize}`,
        );
      }
      if (fileSize > expected) throw new NpyError(`${path}: ${fileSize - expected} unexpected trailing bytes after the data`);
      return header;
    }
    if (bytesRead < want) throw new NpyError(`${path}: truncated .npy header`);
    want *= 4;
    if (want > 1 << 26) throw new NpyError(`${path}: .npy header too large`);
  }
}

export interface ReadChunksOptions {
  /** Largest chunk in bytes; rounded down to whole elements. Default 1 MiB. */
  readonly chunkBytes?: number;
  readonly signal?: AbortSignal;
}

/**
 * Streams an .npy file's raw element bytes in chunks of at most `chunkBytes` (whole elements each), never holding
 * more than one chunk in memory. Each yielded Buffer is freshly allocated and owned by the consumer.
 */
export async function openNpy(
  path: string,
): Promise<{ header: NpyHeader; chunks(options?: ReadChunksOptions): AsyncGenerator<Buffer, void> }> {
  const header = await readNpyHeader(path);
  return {
    header,
    chunks: (options = {}) => readChunks(path, header, options),
  };
}

async function* readChunks(path: string, header: NpyHeader, options: ReadChunksOptions): AsyncGenerator<Buffer, void> {
  const item = NPY_ITEM_SIZE[header.dtype];
  const chunkBytes = Math.max(item, Math.floor((options.chunkBytes ?? 1 << 20) / item) * item);
  const fh = await open(path, 'r');
  try {
    let position = header.dataOffset;
    const end = header.dataOffset + header.byteLength;
    while (position < end) {
      options.signal?.throwIfAborted();
      const n = Math.min(chunkBytes, end - position);
      const buf = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const { bytesRead } = await fh.read(buf, filled, n - filled, position + filled);
        if (bytesRead === 0) throw new NpyError(`${path}: file shrank while reading`);
        filled += bytesRead;
      }
      position += n;
      yield buf;
    }
  } finally {
    await fh.close();
  }
}

export type NpyArray = Float32Array | Float64Array | Uint16Array;

/** Reads a whole .npy file into memory. float16 data comes back as raw Uint16Array bits. */
export async function readNpy(path: string): Promise<{ header: NpyHeader; data: NpyArray }> {
  const { header, chunks } = await openNpy(path);
  const bytes = new Uint8Array(header.byteLength);
  let offset = 0;
  for await (const chunk of chunks({ chunkBytes: 16 << 20 })) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { header, data: typedView(header.dtype, bytes) };
}

function typedView(dtype: NpyDType, bytes: Uint8Array): NpyArray {
  const n = bytes.byteLength / NPY_ITEM_SIZE[dtype];
  switch (dtype) {
    case 'float16':
      return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    case 'float32':
      return new Float32Array(bytes.buffer, bytes.byteOffset, n);
    case 'float64':
      return new Float64Array(bytes.buffer, bytes.byteOffset, n);
  }
}

function dtypeOf(data: NpyArray): NpyDType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'float16';
}

export interface EncodeOptions {
  /** Format version to write; default 1.0, or 2.0 when the header needs it. 3.0 writes a UTF-8 header. */
  readonly version?: 1 | 2 | 3;
  /** Header alignment (total prefix length a multiple of it). NumPy >= 1.17 uses 64; older ones 16. */
  readonly align?: number;
  /** Writes fortran_order: True (to test readers' rejection; the data is written as given). */
  readonly fortranOrder?: boolean;
}

/** Encodes an array (host byte order must be little-endian, as on every platform Node runs on) as an .npy file. */
export function encodeNpy(data: NpyArray, shape: readonly number[], options: EncodeOptions = {}): Buffer {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new NpyError(`shape (${shape.join(', ')}) has ${size} elements, data has ${data.length}`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const fortran = options.fortranOrder === true ? 'True' : 'False';
  const dict = `{'descr': '${DTYPE_TO_DESCR[dtypeOf(data)]}', 'fortran_order': ${fortran}, 'shape': ${shapeText}, }`;
  const align = options.align ?? 64;
  let version = options.version ?? 1;
  const dictBytes = Buffer.byteLength(dict, 'utf8');
  if (version === 1 && dictBytes + 1 + 10 + align > 0xffff) version = 2;
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dictBytes + 1) / align) * align;
  const headerLen = total - prefix;
  const out = Buffer.alloc(total + data.byteLength);
  MAGIC.copy(out, 0);
  out[6] = version;
  out[7] = 0;
  if (version === 1) out.writeUInt16LE(headerLen, 8);
  else out.writeUInt32LE(headerLen, 8);
  out.write(dict.padEnd(headerLen - 1, ' ') + '\n', prefix, version === 3 ? 'utf8' : 'latin1');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, total);
  return out;
}

export async function writeNpy(
  path: string,
  data: NpyArray,
  shape: readonly number[],
  options: EncodeOptions = {},
): Promise<void> {
  await writeFile(path, encodeNpy(data, shape, options));
}
