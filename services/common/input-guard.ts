// The first check every request passes, driven by the proto descriptors so that it covers every field of every RPC,
// present and future: a request that cannot be decoded answers INVALID_ARGUMENT (grpc-js would answer INTERNAL
// "Error deserializing request"), naming the 64-bit field above 2^53 when that is the reason; every string field is
// checked against its length limit and every enum field against its declared values, before any handler runs.
import { createFileRegistry, fromBinary, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { ServerError, Status } from 'nice-grpc';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { quote } from './bounded-text.ts';
import { InvalidArgumentError } from './errors.ts';

/** Default limit (characters) for a string field: ids, names, layer names, client ids, service names. */
export const STRING_MAX_CHARS = 256;
/** Limits for free text and paths, by proto field name. */
export const STRING_LIMITS_BY_FIELD: Readonly<Record<string, number>> = {
  description: 4096,
  failure: 4096,
  directory: 4096,
  model_path: 4096,
  page_token: 2048,
};

export function stringLimit(fieldName: string): number {
  return STRING_LIMITS_BY_FIELD[fieldName] ?? STRING_MAX_CHARS;
}

// ---- decoding that never throws

const UNDECODABLE = Symbol('undecodable');
interface Undecodable {
  readonly [UNDECODABLE]: { bytes: Uint8Array; reason: string };
}
function undecodable(value: unknown): Undecodable | undefined {
  return value !== null && typeof value === 'object' && UNDECODABLE in value ? (value as Undecodable) : undefined;
}
function safeDecoder<T>(decode: (bytes: Uint8Array) => T): (bytes: Uint8Array) => T {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      return { [UNDECODABLE]: { bytes, reason } } as unknown as T;
    }
  };
}

interface TsProtoMethod {
  requestType: { decode(bytes: Uint8Array): unknown };
}
interface GrpcJsMethod {
  requestDeserialize(bytes: Uint8Array): unknown;
}

/** The same service definition (ts-proto generic or grpc-js style) with request decoding that never throws. */
export function withSafeDecoding<D extends object>(definition: D): D {
  if ('methods' in definition && typeof definition.methods === 'object' && definition.methods) {
    const methods: Record<string, unknown> = {};
    for (const [key, m] of Object.entries(definition.methods as Record<string, TsProtoMethod>)) {
      const requestType = { ...m.requestType, decode: safeDecoder((b) => m.requestType.decode(b)) };
      methods[key] = { ...m, requestType };
    }
    return { ...definition, methods } as D;
  }
  const out: Record<string, unknown> = {};
  for (const [key, m] of Object.entries(definition as Record<string, GrpcJsMethod>)) {
    out[key] = { ...m, requestDeserialize: safeDecoder((b) => m.requestDeserialize(b)) };
  }
  return out as D;
}

// ---- descriptor-driven checks

export interface RequestSchemas {
  /** Input message descriptor by method path ("/tgsage.v1.Scorer/CompareRdms"). */
  readonly inputs: ReadonlyMap<string, DescMessage>;
}

export function requestSchemas(descriptorSet: Uint8Array): RequestSchemas {
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, descriptorSet));
  const inputs = new Map<string, DescMessage>();
  for (const type of registry) {
    if (type.kind !== 'service') continue;
    for (const m of type.methods) inputs.set(`/${type.typeName}/${m.name}`, m.input);
  }
  return { inputs };
}

const STRING = 9; // ScalarType.STRING
const WIDE = new Set([3, 4, 6, 16, 18]); // INT64, UINT64, FIXED64, SFIXED64, SINT64

/** Throws InvalidArgumentError naming the first string over its limit or enum value not declared. */
export function checkMessage(desc: DescMessage, value: unknown, path = ''): void {
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const member of desc.members) {
    if (member.kind === 'oneof') {
      const set = obj[member.localName] as { $case?: string; value?: unknown } | undefined;
      if (!set || typeof set !== 'object' || set.$case === undefined) continue;
      const field = member.fields.find((f) => f.localName === set.$case);
      if (field) checkField(field, set.value, path);
      continue;
    }
    checkField(member, obj[member.localName], path);
  }
}

function checkField(field: DescField, value: unknown, path: string): void {
  if (value === undefined || value === null) return;
  const name = path + field.name;
  switch (field.fieldKind) {
    case 'scalar':
      if (field.scalar === STRING) checkString(field.name, name, value);
      return;
    case 'enum':
      checkEnum(field.enum.values, name, value, field.enum.typeName);
      return;
    case 'message':
      checkMessage(field.message, value, `${name}.`);
      return;
    case 'list': {
      if (!Array.isArray(value)) return;
      value.forEach((v, i) => {
        const item = `${name}[${i}]`;
        if (field.listKind === 'scalar' && field.scalar === STRING) checkString(field.name, item, v);
        else if (field.listKind === 'enum') checkEnum(field.enum.values, item, v, field.enum.typeName);
        else if (field.listKind === 'message') checkMessage(field.message, v, `${item}.`);
      });
      return;
    }
    case 'map': {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        checkString(field.name, `${name} key`, k);
        const item = `${name}[${quote(k, 16)}]`;
        if (field.mapKind === 'scalar' && field.scalar === STRING) checkString(field.name, item, v);
        else if (field.mapKind === 'enum') checkEnum(field.enum.values, item, v, field.enum.typeName);
        else if (field.mapKind === 'message') checkMessage(field.message, v, `${item}.`);
      }
      return;
    }
  }
}

function checkString(fieldName: string, path: string, value: unknown): void {
  if (typeof value !== 'string') return;
  const max = stringLimit(fieldName);
  if (value.length > max) {
    throw new InvalidArgumentError(path, `${value.length} characters, the limit is ${max} (starts ${quote(value, 32)})`);
  }
}

function checkEnum(values: readonly { number: number }[], path: string, value: unknown, typeName: string): void {
  if (typeof value !== 'number' || values.some((v) => v.number === value)) return;
  throw new InvalidArgumentError(path, `${value} is not a value of ${typeName}`);
}

// ---- naming the field of an undecodable message

/** Why `bytes` does not decode as `desc`: the 64-bit field above 2^53 by name, else a short wire-level reason. */
export function diagnose(desc: DescMessage | undefined, bytes: Uint8Array, fallback: string): string {
  if (desc) {
    try {
      const found = findWide(desc, bytes, 0, bytes.length, '', 0);
      if (found) return `${found}: above 2^53 (9007199254740991), the largest integer tgsage accepts`;
    } catch {
      // malformed wire data: fall through to the decoder's own reason
    }
  }
  return `request is not a valid protobuf message: ${fallback.slice(0, 200)}`;
}

function findWide(desc: DescMessage, buf: Uint8Array, start: number, end: number, path: string, depth: number): string | undefined {
  let pos = start;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= end) throw new Error('truncated');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
    }
    throw new Error('varint too long');
  };
  while (pos < end) {
    const tag = varint();
    const number = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    const field = desc.fields.find((f) => f.number === number);
    const name = path + (field?.name ?? `#${number}`);
    if (wire === 0) {
      const v = varint();
      if (field && 'scalar' in field && field.scalar !== undefined && WIDE.has(field.scalar)) {
        const signed = field.scalar === 18 ? ((v >> 1n) ^ -(v & 1n)) : BigInt.asIntN(64, v);
        const asNumber = field.scalar === 4 ? v : signed; // UINT64 unsigned
        if (asNumber > 9007199254740991n || asNumber < -9007199254740991n) return name;
      }
    } else if (wire === 1) {
      if (field && 'scalar' in field && (field.scalar === 6 || field.scalar === 16)) {
        const view = new DataView(buf.buffer, buf.byteOffset + pos, 8);
        const v = field.scalar === 6 ? view.getBigUint64(0, true) : view.getBigInt64(0, true);
        if (v > 9007199254740991n || v < -9007199254740991n) return name;
      }
      pos += 8;
    } else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > end) throw new Error('truncated');
      if (field?.message && depth < 32 && (field.fieldKind === 'message' || field.fieldKind === 'list')) {
        const inner = findWide(field.message, buf, pos, pos + len, `${name}.`, depth + 1);
        if (inner) return inner;
      }
      pos += len;
    } else if (wire === 5) pos += 4;
    else throw new Error(`wire type ${wire}`);
  }
  return undefined;
}

// ---- the middleware

/** The next message of a client stream, or DEADLINE_EXCEEDED when none arrives within `idleMs` (0 = wait forever). */
async function nextWithin<T>(it: AsyncIterator<T>, idleMs: number, path: string): Promise<IteratorResult<T>> {
  if (!(idleMs > 0)) return it.next();
  let timer: NodeJS.Timeout | undefined;
  const idle = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ServerError(Status.DEADLINE_EXCEEDED, `${path}: the client sent no message for ${idleMs / 1000} s (stream idle timeout)`)),
      idleMs,
    );
  });
  try {
    return await Promise.race([it.next(), idle]);
  } finally {
    clearTimeout(timer);
  }
}

export interface InputGuardOptions {
  /** A client stream that sends nothing for this long is ended with DEADLINE_EXCEEDED (0 = never). */
  streamIdleTimeoutMs?: number;
}

/**
 * Refuses undecodable requests and over-long strings / unknown enum values with INVALID_ARGUMENT before the handler
 * sees them; streamed requests are checked message by message, and a client stream that stalls longer than the idle
 * timeout is ended. Methods without a descriptor (reflection) are only checked for decodability.
 */
export function inputGuardMiddleware(schemas: RequestSchemas, options: InputGuardOptions = {}): ServerMiddleware {
  const idleMs = options.streamIdleTimeoutMs ?? 0;
  const check = (path: string, message: unknown): void => {
    const desc = schemas.inputs.get(path);
    const bad = undecodable(message);
    if (bad) throw new InvalidArgumentError('request', diagnose(desc, bad[UNDECODABLE].bytes, bad[UNDECODABLE].reason));
    if (desc) checkMessage(desc, message);
  };
  return async function* inputGuard<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ) {
    const path = call.method.path;
    if (!call.requestStream) {
      check(path, call.request);
      return yield* call.next(call.request, context);
    }
    const source = call.request as AsyncIterable<unknown>;
    async function* checked() {
      const it = source[Symbol.asyncIterator]();
      for (;;) {
        const next = await nextWithin(it, idleMs, path);
        if (next.done) return;
        check(path, next.value);
        yield next.value;
      }
    }
    return yield* call.next(checked() as Request, context);
  };
}
