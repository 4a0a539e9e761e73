// Issue 9: a seeded, bounded fuzz of every RPC of every service (tgsage's four, Info, health, reflection) on real
// servers in this process (127.0.0.1:0). A few hundred malformed messages: random bytes, fields of the method's own
// message type with random or wrong wire types, huge varints, uint64 above 2^53, unknown enum values, over-long and
// non-UTF-8 strings, truncations and lengths past the end. Asserted: no INTERNAL / UNKNOWN, no call left hanging
// (streams that legitimately run on may end by their deadline), every server still serving, memory bounded.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { DescField, DescMessage } from '@bufbuild/protobuf';
import { Status } from 'nice-grpc';
import { requestSchemas } from '../../services/common/input-guard.ts';
import { defaultDescriptorSet } from '../../services/common/server.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const SEED = 20261201;
const PER_METHOD = 14;
const DEADLINE_MS = 4_000;
const RSS_CEILING = 768 * 1024 * 1024; // growth of this process over the whole fuzz

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Writer {
  readonly bytes: number[] = [];
  varint(v: bigint): void {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      this.bytes.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.bytes.push(Number(x));
  }
  tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }
  lengthDelimited(field: number, payload: number[], lie = 0): void {
    this.tag(field, 2);
    this.varint(BigInt(payload.length + lie));
    this.bytes.push(...payload);
  }
}

/** A random message of type `desc`: mostly its own fields, with odd values and sometimes the wrong wire type. */
function randomMessage(desc: DescMessage, r: () => number, depth: number): number[] {
  const w = new Writer();
  const count = Math.floor(r() * 5);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const varints = [0n, 1n, 99n, -1n, 2n ** 31n, 2n ** 53n + 1n, 2n ** 60n, 2n ** 64n - 1n, BigInt(Math.floor(r() * 1000))];
  const strings = () => {
    const len = pick([0, 3, 40, 257, 5000]);
    if (r() < 0.2) return Array.from({ length: len }, () => Math.floor(r() * 256)); // not UTF-8
    return [...Buffer.from((r() < 0.5 ? '€' : 'a').repeat(len))];
  };
  for (let i = 0; i < count; i++) {
    const field: DescField | undefined = desc.fields.length && r() < 0.9 ? pick(desc.fields) : undefined;
    const number = field?.number ?? 1 + Math.floor(r() * 40);
    const wrongWire = r() < 0.15;
    const kind = field?.fieldKind;
    const message = field && (kind === 'message' || (kind === 'list' && field.listKind === 'message')) ? field.message : undefined;
    const isString = field && (kind === 'scalar' || kind === 'list') && field.scalar === 9;
    const isBytes = field && (kind === 'scalar' || kind === 'list') && field.scalar === 12;
    if (!wrongWire && message && depth < 3) w.lengthDelimited(number, randomMessage(message, r, depth + 1));
    else if (!wrongWire && (isString || isBytes)) w.lengthDelimited(number, isBytes ? Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256)) : strings());
    else if (!wrongWire && field && (kind === 'scalar' || kind === 'enum' || kind === 'list')) {
      w.tag(number, 0);
      w.varint(pick(varints));
    } else {
      const wire = pick([0, 1, 2, 5, 3, 7]);
      w.tag(number, wire);
      if (wire === 0) w.varint(pick(varints));
      else if (wire === 1) w.bytes.push(...Array.from({ length: 8 }, () => Math.floor(r() * 256)));
      else if (wire === 5) w.bytes.push(...Array.from({ length: 4 }, () => Math.floor(r() * 256)));
      else if (wire === 2) w.varint(BigInt(Math.floor(r() * 100)));
    }
  }
  return w.bytes;
}

function malformed(desc: DescMessage | undefined, r: () => number): Buffer {
  const roll = r();
  if (!desc || roll < 0.2) return Buffer.from(Array.from({ length: Math.floor(r() * 48) }, () => Math.floor(r() * 256)));
  const body = randomMessage(desc, r, 0);
  if (roll < 0.35 && body.length > 1) return Buffer.from(body.slice(0, Math.floor(r() * body.length))); // truncated
  if (roll < 0.45) {
    const w = new Writer();
    w.lengthDelimited(1 + Math.floor(r() * 8), body, 1 + Math.floor(r() * 1000)); // length past the end
    return Buffer.from(w.bytes);
  }
  return Buffer.from(body);
}

interface Method {
  path: string;
  desc: DescMessage | undefined;
  clientStream: boolean;
  serverStream: boolean;
}

function call(client: grpc.Client, m: Method, messages: Buffer[]): Promise<grpc.StatusObject> {
  const ser = (b: Buffer) => b;
  const de = (b: Buffer) => b;
  const options = { deadline: Date.now() + DEADLINE_MS };
  return new Promise((resolve) => {
    let c: grpc.ClientDuplexStream<Buffer, Buffer> | grpc.ClientReadableStream<Buffer> | grpc.ClientWritableStream<Buffer> | grpc.ClientUnaryCall;
    const meta = new grpc.Metadata();
    if (m.clientStream && m.serverStream) c = client.makeBidiStreamRequest(m.path, ser, de, meta, options);
    else if (m.clientStream) c = client.makeClientStreamRequest(m.path, ser, de, meta, options, () => {});
    else if (m.serverStream) c = client.makeServerStreamRequest(m.path, ser, de, messages[0]!, meta, options);
    else c = client.makeUnaryRequest(m.path, ser, de, messages[0]!, meta, options, () => {});
    c.on('status', resolve);
    if ('on' in c) (c as grpc.ClientReadableStream<Buffer>).on('data', () => {});
    (c as grpc.ClientReadableStream<Buffer>).on('error', () => {});
    if (m.clientStream) {
      const w = c as grpc.ClientWritableStream<Buffer>;
      for (const msg of messages) w.write(msg);
      w.end();
    }
  });
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: TestServices;
const names = ['teacher-cache', 'scorer', 'trainer', 'search-controller'] as const;

before(async () => {
  dir = await tempDir();
  // the controller and the trainer dial port 1 (nothing listens): no other process is ever contacted
  svc = await startServices([...names], {
    dataDir: dir.path,
    trainerAddress: '127.0.0.1:1',
    scorerAddress: '127.0.0.1:1',
    logLevel: 'error',
  });
});
after(async () => {
  await svc.close();
  await dir.remove();
});

test('fuzz: every RPC of every service answers malformed requests without INTERNAL/UNKNOWN, hangs or crashes', async () => {
  const schemas = requestSchemas(defaultDescriptorSet());
  const methods: Method[] = [];
  const { createFileRegistry, fromBinary } = await import('@bufbuild/protobuf');
  const { FileDescriptorSetSchema } = await import('@bufbuild/protobuf/wkt');
  for (const type of createFileRegistry(fromBinary(FileDescriptorSetSchema, defaultDescriptorSet()))) {
    if (type.kind !== 'service') continue;
    for (const m of type.methods) {
      const path = `/${type.typeName}/${m.name}`;
      methods.push({
        path,
        desc: schemas.inputs.get(path),
        clientStream: m.methodKind === 'client_streaming' || m.methodKind === 'bidi_streaming',
        serverStream: m.methodKind === 'server_streaming' || m.methodKind === 'bidi_streaming',
      });
    }
  }
  methods.push({ path: '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo', desc: undefined, clientStream: true, serverStream: true });
  assert.ok(methods.length >= 25, `${methods.length} methods`);

  const r = mulberry32(SEED);
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const seen = new Map<string, number>();
  const failures: string[] = [];
  let calls = 0;
  const clients = new Map<string, grpc.Client>();
  try {
    for (const name of names) clients.set(name, new grpc.Client(svc.address(name), grpc.credentials.createInsecure()));
    for (const m of methods) {
      const targets = m.path.startsWith('/tgsage.v1.Info/') || !m.path.startsWith('/tgsage.v1.') ? [...names] : [ownerOf(m.path)];
      for (const target of targets) {
        const client = clients.get(target)!;
        const batch: Array<Promise<void>> = [];
        const perTarget = Math.ceil(PER_METHOD / targets.length) + 2;
        for (let i = 0; i < perTarget; i++) {
          const messages = Array.from({ length: m.clientStream ? 1 + Math.floor(r() * 3) : 1 }, () => malformed(m.desc, r));
          calls++;
          batch.push(
            call(client, m, messages).then((s) => {
              const key = `${Status[s.code]}`;
              seen.set(key, (seen.get(key) ?? 0) + 1);
              const hang = s.code === Status.DEADLINE_EXCEEDED && !m.serverStream;
              if (s.code === Status.INTERNAL || s.code === Status.UNKNOWN || hang) {
                failures.push(`${m.path} on ${target}: ${Status[s.code]} ${s.details.slice(0, 200)}`);
              }
              assert.ok(Buffer.byteLength(s.details) <= 1024, `${m.path}: status message of ${Buffer.byteLength(s.details)} bytes`);
            }),
          );
        }
        await Promise.all(batch);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    }
    // every server still serves
    for (const name of names) {
      const s = await call(clients.get(name)!, { path: '/grpc.health.v1.Health/Check', desc: undefined, clientStream: false, serverStream: false }, [Buffer.alloc(0)]);
      assert.equal(Status[s.code], 'OK', `${name} health: ${s.details}`);
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
  console.log(`fuzz: ${calls} calls over ${methods.length} methods; statuses ${JSON.stringify(Object.fromEntries(seen))}; RSS +${Math.round((peak - rss0) / 2 ** 20)} MiB`);
  assert.deepEqual(failures, []);
  assert.ok(calls >= 300, `${calls} calls`);
  assert.ok(peak - rss0 < RSS_CEILING, `RSS grew by ${peak - rss0} bytes`);
});

function ownerOf(path: string): (typeof names)[number] {
  if (path.startsWith('/tgsage.v1.TeacherCache/')) return 'teacher-cache';
  if (path.startsWith('/tgsage.v1.Scorer/')) return 'scorer';
  if (path.startsWith('/tgsage.v1.Trainer/')) return 'trainer';
  return 'search-controller';
}
