// Wire codecs for the messages that carry bulk tensors (LayerChunk / MatrixChunk and the upload requests around
// them). ts-proto's generic writer copies a 1 MiB payload four or five times (buffer growth, fork/join, finish) and
// its reader copies it once more; these write each message into one exactly-sized buffer (one copy of the payload)
// and read the payload as a view of the received buffer (no copy). Anything else (headers, unusual encodings) goes
// through the generated code, so the wire format is exactly protobuf's. `withFastCodecs(definition)` swaps them into
// a service definition, for servers and clients alike.
import { CompareRdmsRequest, ScoreActivationsRequest } from '../../gen/tgsage/v1/scorer.ts';
import { CreateTeacherRequest } from '../../gen/tgsage/v1/teacher_cache.ts';
import { LayerChunk, MatrixChunk } from '../../gen/tgsage/v1/tensor.ts';

type Fns<T> = {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: never): T;
};

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function putVarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

const lenField = (payload: number) => 1 + varintSize(payload) + payload;

// ---- LayerChunk: 1 layer (string), 2 dtype (enum), 3 shape (packed uint32), 4 data (bytes)

function layerChunkSize(c: LayerChunk): number {
  let size = 0;
  if (c.layer) size += lenField(Buffer.byteLength(c.layer));
  if (c.dtype) size += 1 + varintSize(c.dtype);
  if (c.shape.length) size += lenField(c.shape.reduce((s, v) => s + varintSize(v), 0));
  if (c.data.byteLength) size += lenField(c.data.byteLength);
  return size;
}

function putLayerChunk(buf: Buffer, pos: number, c: LayerChunk): number {
  if (c.layer) {
    const len = Buffer.byteLength(c.layer);
    buf[pos++] = 0x0a;
    pos = putVarint(buf, pos, len);
    pos += buf.write(c.layer, pos, 'utf8');
  }
  if (c.dtype) {
    buf[pos++] = 0x10;
    pos = putVarint(buf, pos, c.dtype);
  }
  if (c.shape.length) {
    buf[pos++] = 0x1a;
    pos = putVarint(buf, pos, c.shape.reduce((s, v) => s + varintSize(v), 0));
    for (const v of c.shape) pos = putVarint(buf, pos, v);
  }
  if (c.data.byteLength) {
    buf[pos++] = 0x22;
    pos = putVarint(buf, pos, c.data.byteLength);
    buf.set(c.data, pos);
    pos += c.data.byteLength;
  }
  return pos;
}

// ---- MatrixChunk: 1 layer, 2 dtype, 3 size (uint32), 4 offset (uint64), 5 data

function matrixChunkSize(c: MatrixChunk): number {
  let size = 0;
  if (c.layer) size += lenField(Buffer.byteLength(c.layer));
  if (c.dtype) size += 1 + varintSize(c.dtype);
  if (c.size) size += 1 + varintSize(c.size);
  if (c.offset) size += 1 + varintSize(c.offset);
  if (c.data.byteLength) size += lenField(c.data.byteLength);
  return size;
}

function putMatrixChunk(buf: Buffer, pos: number, c: MatrixChunk): number {
  if (c.layer) {
    buf[pos++] = 0x0a;
    pos = putVarint(buf, pos, Buffer.byteLength(c.layer));
    pos += buf.write(c.layer, pos, 'utf8');
  }
  if (c.dtype) {
    buf[pos++] = 0x10;
    pos = putVarint(buf, pos, c.dtype);
  }
  if (c.size) {
    buf[pos++] = 0x18;
    pos = putVarint(buf, pos, c.size);
  }
  if (c.offset) {
    buf[pos++] = 0x20;
    pos = putVarint(buf, pos, c.offset);
  }
  if (c.data.byteLength) {
    buf[pos++] = 0x2a;
    pos = putVarint(buf, pos, c.data.byteLength);
    buf.set(c.data, pos);
    pos += c.data.byteLength;
  }
  return pos;
}

// ---- reading

class Malformed extends Error {}

interface Cursor {
  buf: Buffer;
  pos: number;
}

function readVarint(c: Cursor, end: number): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) throw new Malformed('truncated varint');
    const b = c.buf[c.pos++]!;
    result += (b & 127) * scale;
    if (b < 128) return result;
    scale *= 128;
  }
  throw new Malformed('varint too long');
}

function skip(c: Cursor, wire: number, end: number): void {
  if (wire === 0) readVarint(c, end);
  else if (wire === 1) c.pos += 8;
  else if (wire === 2) c.pos += readVarint(c, end);
  else if (wire === 5) c.pos += 4;
  else throw new Malformed(`wire type ${wire}`);
  if (c.pos > end) throw new Malformed('truncated field');
}

/** A length-delimited field's length, checked against the message that encloses it (`end`). */
function readLength(c: Cursor, end: number): number {
  const len = readVarint(c, end);
  if (len > end - c.pos) throw new Malformed(`length ${len} overruns its message (${end - c.pos} bytes left)`);
  return len;
}

function asBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

function readLayerChunk(c: Cursor, end: number): LayerChunk {
  const out: LayerChunk = { layer: '', dtype: 0, shape: [], data: EMPTY };
  while (c.pos < end) {
    const tag = readVarint(c, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) {
      const len = readLength(c, end);
      out.layer = c.buf.toString('utf8', c.pos, c.pos + len);
      c.pos += len;
    } else if (field === 2 && wire === 0) {
      out.dtype = readVarint(c, end);
    } else if (field === 3 && wire === 2) {
      const len = readLength(c, end); // read first: `c.pos + readLength(...)` would add the position before the length
      const stop = c.pos + len;
      while (c.pos < stop) out.shape.push(readVarint(c, stop));
    } else if (field === 3 && wire === 0) {
      out.shape.push(readVarint(c, end));
    } else if (field === 4 && wire === 2) {
      const len = readLength(c, end);
      out.data = c.buf.subarray(c.pos, c.pos + len);
      c.pos += len;
    } else {
      skip(c, wire, end);
    }
  }
  if (c.pos !== end) throw new Malformed('field overruns its message');
  return out;
}

function readMatrixChunk(c: Cursor, end: number): MatrixChunk {
  const out: MatrixChunk = { layer: '', dtype: 0, size: 0, offset: 0, data: EMPTY };
  while (c.pos < end) {
    const tag = readVarint(c, end);
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === 2) {
      const len = readLength(c, end);
      out.layer = c.buf.toString('utf8', c.pos, c.pos + len);
      c.pos += len;
    } else if (field === 2 && wire === 0) out.dtype = readVarint(c, end);
    else if (field === 3 && wire === 0) out.size = readVarint(c, end);
    else if (field === 4 && wire === 0) out.offset = readVarint(c, end);
    else if (field === 5 && wire === 2) {
      const len = readLength(c, end);
      out.data = c.buf.subarray(c.pos, c.pos + len);
      c.pos += len;
    } else skip(c, wire, end);
  }
  if (c.pos !== end) throw new Malformed('field overruns its message');
  return out;
}

const EMPTY = Buffer.alloc(0);

/** If `input` is exactly one length-delimited field `field`, returns its bounds. */
function soleField(buf: Buffer, field: number): { start: number; end: number } | undefined {
  const c: Cursor = { buf, pos: 0 };
  try {
    const tag = readVarint(c, buf.length);
    if (tag !== ((field << 3) | 2)) return undefined;
    const len = readVarint(c, buf.length);
    if (c.pos + len !== buf.length) return undefined;
    return { start: c.pos, end: c.pos + len };
  } catch {
    return undefined;
  }
}

/**
 * nice-grpc serializes with `Buffer.from(encode(m).finish())`, which copies a Uint8Array (1 MiB per chunk, and
 * another 1 MiB of garbage for the GC) but only views an ArrayBuffer; and Buffer.from follows valueOf() (documented:
 * "for objects whose valueOf() returns a value not strictly equal to object"). So a message that spans all of its own
 * ArrayBuffer (bulk messages are allocated that way, see `exact`) answers valueOf() with that ArrayBuffer and is handed
 * to grpc-js without a copy. It stays an ordinary Buffer for everything else.
 */
function finished(buf: Buffer) {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) {
    Object.defineProperty(buf, 'valueOf', { value: () => buf.buffer, enumerable: false });
  }
  return { finish: () => buf };
}

/** A buffer of `size` bytes that is all of its own ArrayBuffer (not a slice of Node's shared pool). */
const exact = (size: number) => Buffer.allocUnsafeSlow(size);

/** Codec for "oneof { header = 1; chunk = 2 (LayerChunk) }" requests. */
function layerUploadCodec<T extends { message?: { $case: string; value: unknown } | undefined }>(generated: Fns<T>): Fns<T> {
  return {
    ...generated,
    encode(m: T) {
      if (m.message?.$case !== 'chunk') return generated.encode(m);
      const chunk = m.message.value as LayerChunk;
      const inner = layerChunkSize(chunk);
      const buf = exact(lenField(inner));
      buf[0] = 0x12;
      const end = putLayerChunk(buf, putVarint(buf, 1, inner), chunk);
      return finished(buf.subarray(0, end));
    },
    decode(input: Uint8Array) {
      const buf = asBuffer(input);
      const sole = soleField(buf, 2);
      if (!sole) return generated.decode(input);
      try {
        const value = readLayerChunk({ buf, pos: sole.start }, sole.end);
        return { message: { $case: 'chunk', value } } as T;
      } catch (error: unknown) {
        if (error instanceof Malformed) return generated.decode(input);
        throw error;
      }
    },
  };
}

/** Codec for CompareRdmsRequest: "oneof { header = 1; rdm = 2 (RdmUpload { side = 1; chunk = 2 }) }". */
function rdmUploadCodec(generated: Fns<CompareRdmsRequest>): Fns<CompareRdmsRequest> {
  return {
    ...generated,
    encode(m: CompareRdmsRequest) {
      if (m.message?.$case !== 'rdm' || !m.message.value.chunk) return generated.encode(m);
      const { side, chunk } = m.message.value;
      const chunkSize = matrixChunkSize(chunk);
      const upload = (side ? 1 + varintSize(side) : 0) + lenField(chunkSize);
      const buf = exact(lenField(upload));
      buf[0] = 0x12;
      let pos = putVarint(buf, 1, upload);
      if (side) {
        buf[pos++] = 0x08;
        pos = putVarint(buf, pos, side);
      }
      buf[pos++] = 0x12;
      pos = putVarint(buf, pos, chunkSize);
      return finished(buf.subarray(0, putMatrixChunk(buf, pos, chunk)));
    },
    decode(input: Uint8Array) {
      const buf = asBuffer(input);
      const sole = soleField(buf, 2);
      if (!sole) return generated.decode(input);
      try {
        const c: Cursor = { buf, pos: sole.start };
        let side = 0;
        let chunk: MatrixChunk | undefined;
        while (c.pos < sole.end) {
          const tag = readVarint(c, sole.end);
          if (tag === 0x08) side = readVarint(c, sole.end);
          else if (tag === 0x12) {
            const len = readLength(c, sole.end);
            chunk = readMatrixChunk(c, c.pos + len);
          } else skip(c, tag & 7, sole.end);
        }
        return { message: { $case: 'rdm', value: { side, chunk } } };
      } catch (error: unknown) {
        if (error instanceof Malformed) return generated.decode(input);
        throw error;
      }
    },
  };
}

function matrixChunkCodec(generated: Fns<MatrixChunk>): Fns<MatrixChunk> {
  return {
    ...generated,
    encode(m: MatrixChunk) {
      const buf = exact(matrixChunkSize(m));
      return finished(buf.subarray(0, putMatrixChunk(buf, 0, m)));
    },
    decode(input: Uint8Array) {
      const buf = asBuffer(input);
      try {
        return readMatrixChunk({ buf, pos: 0 }, buf.length);
      } catch (error: unknown) {
        if (error instanceof Malformed) return generated.decode(input);
        throw error;
      }
    },
  };
}

export const fastLayerChunk = {
  encode(c: LayerChunk): Buffer {
    const buf = exact(layerChunkSize(c));
    return buf.subarray(0, putLayerChunk(buf, 0, c));
  },
  decode(input: Uint8Array): LayerChunk {
    const buf = asBuffer(input);
    return readLayerChunk({ buf, pos: 0 }, buf.length);
  },
};

const codecs = new Map<unknown, unknown>([
  [CreateTeacherRequest, layerUploadCodec(CreateTeacherRequest as unknown as Fns<CreateTeacherRequest>)],
  [ScoreActivationsRequest, layerUploadCodec(ScoreActivationsRequest as unknown as Fns<ScoreActivationsRequest>)],
  [CompareRdmsRequest, rdmUploadCodec(CompareRdmsRequest as unknown as Fns<CompareRdmsRequest>)],
  [MatrixChunk, matrixChunkCodec(MatrixChunk as unknown as Fns<MatrixChunk>)],
  [LayerChunk, { ...LayerChunk, encode: (m: LayerChunk) => finished(fastLayerChunk.encode(m)), decode: fastLayerChunk.decode }],
]);

interface MethodLike {
  requestType: unknown;
  responseType: unknown;
}

/** The same definition with the fast codecs for every bulk-tensor request or response type it uses. */
export function withFastCodecs<D extends { methods: Record<string, MethodLike> }>(definition: D): D {
  const methods: Record<string, MethodLike> = {};
  for (const [key, m] of Object.entries(definition.methods)) {
    methods[key] = {
      ...m,
      requestType: codecs.get(m.requestType) ?? m.requestType,
      responseType: codecs.get(m.responseType) ?? m.responseType,
    };
  }
  return { ...definition, methods } as D;
}
