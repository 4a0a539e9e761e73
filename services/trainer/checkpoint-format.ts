// The checkpoint file format: everything needed to continue a training run exactly, as one self-checking blob that
// can travel between trainers and rest on the controller's disk. Pure (no tfjs, no gRPC): the controller imports it
// to verify stored checkpoints without loading a training backend.
//
// Layout (all integers little-endian):
//   magic   8 bytes  "TGCKPT\r\n"
//   version u32      CHECKPOINT_FORMAT_VERSION
//   hlen    u32      header length in bytes
//   header  hlen     UTF-8 JSON (CheckpointHeader), space-padded to a multiple of 4 bytes
//   tensors          the header's tensors in order, each shape.product float32 values
//   sha256  32 bytes SHA-256 of every byte before it
import { createHash } from 'node:crypto';
import { InvalidArgumentError, ResourceExhaustedError } from '../common/errors.ts';

export const CHECKPOINT_MAGIC = 'TGCKPT\r\n';
export const CHECKPOINT_FORMAT_VERSION = 1;
/** Default size limit of one checkpoint (trainer and controller; `--max-checkpoint-mib`). */
export const DEFAULT_MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;
/** Header JSON larger than this is refused (a genome, a config and a tensor list are a few KiB). */
const MAX_HEADER_BYTES = 4 * 1024 * 1024;
const SHA_BYTES = 32;
const PREFIX_BYTES = 16;

/** The training settings that shape a run's trajectory (the request must repeat them to continue it). */
export interface CheckpointTraining {
  readonly batchSize: number;
  readonly optimizer: 'sgd_momentum' | 'adam';
  readonly learningRate: number;
  readonly momentum: number;
  readonly schedule: string;
  /** The step budget the learning-rate schedule spans. */
  readonly scheduleSteps: number;
  readonly seed: number;
  readonly clipNorm: number;
}

export interface CheckpointDataset {
  readonly name: string;
  readonly directory: string;
  readonly numStimuli: number;
  readonly numValidation: number;
  readonly splitSeed: number;
}

export interface CheckpointTensorInfo {
  /** "weights/<i>" (the model's weights in model.weights order) or "optimizer/<i>" (in getWeights order). */
  readonly name: string;
  readonly shape: readonly number[];
}

export interface CheckpointHeader {
  /** The genome as canonical JSON (services/spaces/json.ts). */
  readonly genome: Record<string, unknown>;
  readonly training: CheckpointTraining;
  readonly dataset: CheckpointDataset;
  /** Steps trained (and batches drawn from the seeded batch order). */
  readonly step: number;
  /** Backend that trained it (a continuation on the same backend is bitwise the uninterrupted run). */
  readonly backend: string;
  /** Optimizer scalars: its iteration count, and Adam's running beta powers (float32 values, exact). */
  readonly optimizerScalars: Readonly<Record<string, number>>;
  readonly tensors: readonly CheckpointTensorInfo[];
  /** Names of the model's weights in order (a sanity check against a different build). */
  readonly weightNames: readonly string[];
  readonly createdAt: string;
}

export interface Checkpoint {
  readonly header: CheckpointHeader;
  /** One float32 array per header tensor (views into the checkpoint's bytes, or owned copies). */
  readonly tensors: readonly Float32Array[];
  /** Total size in bytes. */
  readonly bytes: number;
}

const elements = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Exact size in bytes of the checkpoint `encodeCheckpoint` would write for these tensors and header. */
export function checkpointSize(headerBytes: number, tensorElements: number): number {
  return PREFIX_BYTES + Math.ceil(headerBytes / 4) * 4 + 4 * tensorElements + SHA_BYTES;
}

/** Throws ResourceExhaustedError naming the limit when `bytes` exceeds it. */
export function checkSizeLimit(bytes: number, limit: number, what = 'checkpoint'): void {
  if (bytes > limit) {
    throw new ResourceExhaustedError(
      `${what} of ${mib(bytes)} exceeds the checkpoint size limit of ${mib(limit)} ` +
        `(trainer --max-checkpoint-mib, or the request's max_checkpoint_bytes)`,
    );
  }
}

export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 1048576 ? 3 : 1)} MiB`;
}

/** Serializes a checkpoint (little-endian float32). */
export function encodeCheckpoint(header: CheckpointHeader, tensors: readonly Float32Array[]): Buffer {
  if (tensors.length !== header.tensors.length) throw new Error('checkpoint: tensor count does not match the header');
  let json = JSON.stringify(header);
  const raw = Buffer.from(json, 'utf8');
  const padded = Math.ceil(raw.byteLength / 4) * 4;
  json += ' '.repeat(padded - raw.byteLength);
  const total = checkpointSize(raw.byteLength, tensors.reduce((n, t) => n + t.length, 0));
  const out = Buffer.alloc(total);
  out.write(CHECKPOINT_MAGIC, 0, 'latin1');
  out.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
  out.writeUInt32LE(padded, 12);
  out.write(json, PREFIX_BYTES, 'utf8');
  let offset = PREFIX_BYTES + padded;
  for (const [i, t] of tensors.entries()) {
    if (t.length !== elements(header.tensors[i]!.shape)) throw new Error(`checkpoint: tensor ${i} has the wrong size`);
    const view = new DataView(out.buffer, out.byteOffset + offset, t.length * 4);
    for (let k = 0; k < t.length; k++) view.setFloat32(k * 4, t[k]!, true);
    offset += t.length * 4;
  }
  createHash('sha256').update(out.subarray(0, offset)).digest().copy(out, offset);
  return out;
}

/**
 * Parses and verifies a checkpoint: magic, version, header, sizes, SHA-256. Throws InvalidArgumentError on field
 * "checkpoint" saying what is wrong; the tensors it returns are copies (aligned, independent of `bytes`).
 */
export function decodeCheckpoint(bytes: Uint8Array, field = 'checkpoint'): Checkpoint {
  const bad = (msg: string) => new InvalidArgumentError(field, msg);
  verifyCheckpoint(bytes, field); // framing, version, SHA-256
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = buf.byteLength - SHA_BYTES;
  const hlen = buf.readUInt32LE(12);
  if (hlen % 4 !== 0) throw bad(`bad header length ${hlen}`);
  let header: CheckpointHeader;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + hlen)) as CheckpointHeader;
  } catch (e) {
    throw bad(`header is not valid JSON (${(e as Error).message})`);
  }
  checkHeaderShape(header, bad);
  let offset = PREFIX_BYTES + hlen;
  const tensors: Float32Array[] = [];
  for (const info of header.tensors) {
    const n = elements(info.shape);
    if (offset + 4 * n > body) throw bad(`tensor ${info.name} runs past the end of the data`);
    const t = new Float32Array(n);
    const view = new DataView(buf.buffer, buf.byteOffset + offset, 4 * n);
    for (let k = 0; k < n; k++) t[k] = view.getFloat32(k * 4, true);
    tensors.push(t);
    offset += 4 * n;
  }
  if (offset !== body) throw bad(`${body - offset} bytes after the last tensor`);
  return { header, tensors, bytes: buf.byteLength };
}

function checkHeaderShape(h: CheckpointHeader, bad: (m: string) => Error): void {
  const isObj = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const nat = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!isObj(h) || !isObj(h.genome) || !isObj(h.training) || !isObj(h.dataset) || !isObj(h.optimizerScalars)) {
    throw bad('header lacks genome, training, dataset or optimizer state');
  }
  if (!nat(h.step)) throw bad(`header step ${String(h.step)} is not a step count`);
  if (!Array.isArray(h.tensors) || !Array.isArray(h.weightNames)) throw bad('header lacks its tensor list');
  for (const t of h.tensors) {
    if (!isObj(t) || typeof t.name !== 'string' || !Array.isArray(t.shape) || !t.shape.every(nat)) {
      throw bad(`header tensor ${JSON.stringify(t)?.slice(0, 80)} is malformed`);
    }
  }
}

/** Splits bytes into chunks of at most `size` bytes (views, no copies). */
export function* checkpointChunks(bytes: Uint8Array, size = 1 << 20): Generator<Buffer> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off < buf.byteLength; off += size) yield buf.subarray(off, Math.min(buf.byteLength, off + size));
}

/** Concatenates received chunks, refusing (RESOURCE_EXHAUSTED) past `limit` bytes before buffering more. */
export async function collectCheckpoint(
  chunks: AsyncIterable<{ data: Uint8Array }>,
  limit: number,
  maxChunkBytes = 1 << 20,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let index = 0;
  for await (const c of chunks) {
    if (c.data.byteLength > maxChunkBytes) {
      throw new InvalidArgumentError(`chunk[${index}].data`, `${c.data.byteLength} bytes exceeds the ${maxChunkBytes}-byte chunk limit`);
    }
    total += c.data.byteLength;
    checkSizeLimit(total, limit, 'checkpoint (received so far)');
    parts.push(c.data);
    index++;
  }
  if (total === 0) throw new InvalidArgumentError('chunk', 'no checkpoint bytes: send the checkpoint after the header');
  return Buffer.concat(parts, total);
}

/**
 * Checks a checkpoint's framing and SHA-256 without decoding its tensors (the controller's check of what it stored).
 * Throws InvalidArgumentError like decodeCheckpoint; returns the step it was taken at.
 */
export function verifyCheckpoint(bytes: Uint8Array, field = 'checkpoint'): { step: number } {
  const bad = (msg: string) => new InvalidArgumentError(field, msg);
  if (bytes.byteLength < PREFIX_BYTES + SHA_BYTES) throw bad(`truncated: ${bytes.byteLength} bytes is shorter than any checkpoint`);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.toString('latin1', 0, 8) !== CHECKPOINT_MAGIC) throw bad('not a tgsage checkpoint (bad magic bytes)');
  if (buf.readUInt32LE(8) !== CHECKPOINT_FORMAT_VERSION) throw bad(`format version ${buf.readUInt32LE(8)} is not supported`);
  const body = buf.byteLength - SHA_BYTES;
  if (!createHash('sha256').update(buf.subarray(0, body)).digest().equals(buf.subarray(body))) {
    throw bad('SHA-256 mismatch: the checkpoint is corrupt or truncated');
  }
  const hlen = buf.readUInt32LE(12);
  if (hlen > MAX_HEADER_BYTES || PREFIX_BYTES + hlen > body) throw bad(`bad header length ${hlen}`);
  try {
    const step = (JSON.parse(buf.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + hlen)) as { step?: unknown }).step;
    if (!Number.isSafeInteger(step)) throw new Error('no step');
    return { step: step as number };
  } catch (e) {
    throw bad(`header is not valid (${(e as Error).message})`);
  }
}
