// Issue 9 items 2 and 6 on real servers (127.0.0.1:0): values that poisoned a connection (a 10,000-character '€' id,
// 100 kB+ strings), undecodable requests, uint64 above 2^53, unknown enum values. Each answers INVALID_ARGUMENT
// naming the field, with a short status message, and the same connection and other clients keep working.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createChannel, createClient, Status } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';
import { ComputeTeacherRequest } from '../../gen/tgsage/v1/teacher_cache.ts';
import { CompareRdmsRequest, ScoreActivationsRequest } from '../../gen/tgsage/v1/scorer.ts';
import { createTeacherRequests } from '../../clients/ts/index.ts';
import { STATUS_MESSAGE_MAX_BYTES, boundStatusMessage, quote } from '../../services/common/bounded-text.ts';
import { createLogger } from '../../services/common/log.ts';
import { expectStatus, toArray } from '../support/grpc.ts';
import { randomMatrix } from '../support/reference.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: TestServices;
const n = 8;

before(async () => {
  dir = await tempDir();
  svc = await startServices(['teacher-cache', 'scorer'], { dataDir: dir.path });
  await svc.clients.teacherCache.createTeacher(
    createTeacherRequests({ id: 'base', numStimuli: n }, [{ name: 'a', shape: [n, 4], data: randomMatrix(n, 4, 1) }]),
  );
});
after(async () => {
  await svc.close();
  await dir.remove();
});

const euros = '€'.repeat(10_000); // 30 kB of UTF-8
const huge = 'x'.repeat(200_000);

async function healthy(): Promise<void> {
  const t = await svc.clients.teacherCache.getTeacher({ id: 'base' }, { signal: AbortSignal.timeout(5_000) });
  assert.equal(t.id, 'base');
}

function short(details: string): void {
  assert.ok(Buffer.byteLength(details) <= STATUS_MESSAGE_MAX_BYTES, `status message of ${Buffer.byteLength(details)} bytes`);
}

test('status messages are bounded and escaped; quotes are short prefixes', () => {
  const b = boundStatusMessage('€'.repeat(100_000) + '\n\u0000');
  assert.ok(Buffer.byteLength(b) <= STATUS_MESSAGE_MAX_BYTES);
  assert.match(b, /more bytes\)$/);
  assert.equal(boundStatusMessage('a\nb\u0001'), 'a\\nb\\u0001');
  assert.equal(quote('ab"c'), '"ab\\"c"');
  assert.match(quote('y'.repeat(1000)), /^"y{64}"… \(1000 characters\)$/);
});

test('log lines stay bounded whatever a field holds', () => {
  const lines: string[] = [];
  const logger = createLogger({ service: 't', write: (l) => lines.push(l) });
  logger.warn('call failed', { details: huge, error: new Error(huge), nested: { list: [huge, huge] } });
  assert.ok(lines[0]!.length < 32_000, `log line of ${lines[0]!.length} characters`);
});

test('poisoning ids and long strings answer INVALID_ARGUMENT naming the field; the connection keeps serving', async () => {
  const cache = svc.clients.teacherCache;
  for (const id of [euros, huge]) {
    const e = await expectStatus(cache.getTeacher({ id }), Status.INVALID_ARGUMENT, /^id: \d+ characters, the limit is 256/);
    short(e.details);
    await healthy();
  }
  const e = await expectStatus(
    cache.createTeacher(
      createTeacherRequests({ id: 'd', numStimuli: n, description: 'd'.repeat(3_500_000) }, [
        { name: 'a', shape: [n, 4], data: randomMatrix(n, 4, 2) },
      ]),
    ),
    Status.INVALID_ARGUMENT,
    /^header\.description: 3500000 characters, the limit is 4096/,
  );
  short(e.details);
  await expectStatus(toArray(cache.getRdm({ teacherId: 'base', layer: euros })), Status.INVALID_ARGUMENT, /^layer:/);
  // The scorer checks before it forwards the id to the teacher cache on its shared connection.
  await expectStatus(
    svc.clients.scorer.scoreActivations(
      (async function* () {
        yield ScoreActivationsRequest.fromPartial({ message: { $case: 'header', value: { teacherId: euros } } });
      })(),
    ),
    Status.INVALID_ARGUMENT,
    /^header\.teacher_id:/,
  );
  // Health service names too.
  const channel = createChannel(svc.address('scorer'));
  try {
    const health = createClient(HealthDefinition, channel);
    await expectStatus(health.check({ service: huge }), Status.INVALID_ARGUMENT, /^service:/);
    assert.equal((await health.check({ service: '' })).status, 1);
  } finally {
    channel.close();
  }
  await healthy();
});

test('unknown enum values are refused by name', async () => {
  await expectStatus(
    svc.clients.scorer.compareRdms(
      (async function* () {
        yield CompareRdmsRequest.fromPartial({ message: { $case: 'header', value: { numStimuli: n } } });
        yield CompareRdmsRequest.fromPartial({ message: { $case: 'rdm', value: { side: 99 as never } } });
      })(),
    ),
    Status.INVALID_ARGUMENT,
    /^rdm\.side: 99 is not a value of tgsage\.v1\.RdmSide/,
  );
  await expectStatus(
    svc.clients.teacherCache.listTeachers({}).then(() =>
      toArray(svc.clients.teacherCache.computeTeacher({ id: 'e', modelPath: 'm', rdmMethod: 42 as never })),
    ),
    Status.INVALID_ARGUMENT,
    /^rdm_method: 42 is not a value of tgsage\.v1\.RdmMethod/,
  );
});

/** A raw unary / server-streaming call with the given request bytes. */
function rawCall(address: string, path: string, bytes: Uint8Array, streaming = false): Promise<grpc.StatusObject> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const serialize = (b: Buffer) => b;
  const deserialize = (b: Buffer) => b;
  return new Promise<grpc.StatusObject>((resolve) => {
    const deadline = Date.now() + 10_000;
    if (streaming) {
      const call = client.makeServerStreamRequest(path, serialize, deserialize, Buffer.from(bytes), { deadline });
      call.on('data', () => {});
      call.on('error', () => {});
      call.on('status', (s) => resolve(s));
    } else {
      const call = client.makeUnaryRequest(path, serialize, deserialize, Buffer.from(bytes), { deadline }, () => {});
      call.on('status', (s) => resolve(s));
    }
  }).finally(() => client.close());
}

test('undecodable requests answer INVALID_ARGUMENT, uint64 above 2^53 by field name', async () => {
  const addr = svc.address('teacher-cache');
  for (const bytes of [[0x0a, 0x05, 0x61], [0xff, 0xff, 0xff], [0x0b], [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]]) {
    const s = await rawCall(addr, '/tgsage.v1.TeacherCache/GetTeacher', Uint8Array.from(bytes));
    assert.equal(Status[s.code], 'INVALID_ARGUMENT', s.details);
    assert.match(s.details, /^request: /);
  }
  const req = ComputeTeacherRequest.encode(
    ComputeTeacherRequest.fromPartial({ id: 'x', modelPath: 'm', dataset: { name: 'fashion-mnist', splitSeed: 1 } }),
  ).finish();
  // Patch split_seed (tag 5, varint 1) to 2^60.
  const tail = Buffer.from(req);
  const at = tail.indexOf(Buffer.from([0x28, 0x01]));
  assert.ok(at > 0);
  const big = Buffer.concat([tail.subarray(0, at), Buffer.from([0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]), tail.subarray(at + 2)]);
  // The dataset message's length prefix grows by 8 bytes.
  const dsAt = big.lastIndexOf(0x2a, at); // field 5 (dataset) of ComputeTeacherRequest, length-delimited
  big[dsAt + 1] = big[dsAt + 1]! + 8;
  const s = await rawCall(addr, '/tgsage.v1.TeacherCache/ComputeTeacher', big, true);
  assert.equal(Status[s.code], 'INVALID_ARGUMENT', s.details);
  assert.match(s.details, /dataset\.split_seed: above 2\^53/);
  await healthy();
});
