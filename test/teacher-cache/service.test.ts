// The teacher-cache service on 127.0.0.1:0: every bad input of issue 2 item 8 gets its status with the field named,
// and the service keeps serving; cancel mid-upload, concurrent reads, restart survival, RDM / Gram streaming.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Status } from 'nice-grpc';
import { createTeacherRequests, type LayerInput } from '../../clients/ts/index.ts';
import type { CreateTeacherRequest } from '../../gen/tgsage/v1/teacher_cache.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { RdmMethod } from '../../gen/tgsage/v1/similarity.ts';
import { decodeMatrixChunks } from '../../services/common/chunks.ts';
import { expectStatus, toArray } from '../support/grpc.ts';
import { randomMatrix, referenceRdm } from '../support/reference.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const n = 16;
const limits = { maxStimuli: 64, maxFeaturesPerLayer: 300, maxUploadBytes: 200_000, maxLayers: 16 };
let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: TestServices;

before(async () => {
  dir = await tempDir();
  svc = await startServices(['teacher-cache'], { dataDir: dir.path, limits });
  await svc.clients.teacherCache.createTeacher(createTeacherRequests({ id: 'base', numStimuli: n }, [layerInput('a', 8, 1)]));
});
after(async () => {
  await svc.close();
  await dir.remove();
});

function layerInput(name: string, d: number, seed: number): LayerInput {
  return { name, shape: [n, d], data: randomMatrix(n, d, seed) };
}

/** Proves the service still serves after a failure. */
async function stillServes(): Promise<void> {
  const t = await svc.clients.teacherCache.getTeacher({ id: 'base' });
  assert.equal(t.layers[0]!.name, 'a');
  const list = await svc.clients.teacherCache.listTeachers({});
  assert.ok(list.teachers.some((x) => x.id === 'base'));
  assert.deepEqual(
    (await readdir(join(dir.path, 'teachers'))).filter((f) => f.startsWith('.')),
    [],
    'no temporary directories left',
  );
}

async function* raw(messages: CreateTeacherRequest[]) {
  yield* messages;
}
const hdr = (id: string, numStimuli = n): CreateTeacherRequest => ({
  message: { $case: 'header', value: { id, description: '', numStimuli, stimulusIds: [], rdmMethod: 0, storeGram: false, repetitions: false, missingRepetitions: false, ceilingSplits: 0, ceilingSeed: 0, tgLayers: [] } },
});
const chunk = (layer: string, shape: number[], data: Buffer, dtype = DType.DTYPE_FLOAT32): CreateTeacherRequest => ({
  message: { $case: 'chunk', value: { layer, dtype, shape, data } },
});
const f32 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

async function expectUpload(messages: CreateTeacherRequest[], code: Status, details: RegExp) {
  await expectStatus(svc.clients.teacherCache.createTeacher(raw(messages)), code, details);
  await stillServes();
}

test('create, get, list, GetRdm against a float64 reference, GetGram, delete', async () => {
  const layers = [layerInput('V1', 40, 2), layerInput('IT', 12, 3)];
  const t = await svc.clients.teacherCache.createTeacher(
    createTeacherRequests({ id: 'monkey.v1', numStimuli: n, storeGram: true, description: 'two areas' }, layers, { maxChunkBytes: 256 }),
  );
  assert.equal(t.rdmMethod, RdmMethod.RDM_METHOD_CORRELATION);
  assert.deepEqual(t.layers.map((l) => [l.name, l.numFeatures, l.hasGram]), [['V1', 40, true], ['IT', 12, true]]);
  assert.ok(t.createdAt instanceof Date && t.storedBytes > 0);
  assert.deepEqual((await svc.clients.teacherCache.getTeacher({ id: 'monkey.v1' })).layers, t.layers);

  const chunks = await toArray(svc.clients.teacherCache.getRdm({ teacherId: 'monkey.v1', layer: 'V1' }));
  assert.ok(chunks.every((c) => c.data.byteLength <= 1 << 20 && c.dtype === DType.DTYPE_FLOAT32));
  const [m] = await toArray(decodeMatrixChunks(chunks));
  const ref = referenceRdm(layers[0]!.data, n, 40);
  assert.equal(m!.size, n);
  for (let i = 0; i < n * n; i++) assert.ok(Math.abs(m!.data[i]! - ref[i]!) < 1e-5, `rdm[${i}]`);

  const gram = await toArray(decodeMatrixChunks(svc.clients.teacherCache.getGram({ teacherId: 'monkey.v1', layer: 'IT' })));
  assert.ok(gram[0]!.data instanceof Float64Array);
  await expectStatus(toArray(svc.clients.teacherCache.getGram({ teacherId: 'base', layer: 'a' })), Status.FAILED_PRECONDITION, /without Gram/);
  await expectStatus(toArray(svc.clients.teacherCache.getRdm({ teacherId: 'monkey.v1', layer: 'V4' })), Status.NOT_FOUND, /no layer "V4"/);

  await svc.clients.teacherCache.deleteTeacher({ id: 'monkey.v1' });
  await expectStatus(svc.clients.teacherCache.getTeacher({ id: 'monkey.v1' }), Status.NOT_FOUND, /teacher "monkey.v1" not found/);
  await expectStatus(svc.clients.teacherCache.deleteTeacher({ id: 'monkey.v1' }), Status.NOT_FOUND);
  await stillServes();
});

test('unknown teacher: NOT_FOUND', async () => {
  await expectStatus(svc.clients.teacherCache.getTeacher({ id: 'ghost' }), Status.NOT_FOUND, /ghost/);
  await expectStatus(toArray(svc.clients.teacherCache.getRdm({ teacherId: 'ghost', layer: 'a' })), Status.NOT_FOUND, /ghost/);
  await stillServes();
});

test('bad ids and duplicate ids', async () => {
  await expectUpload([hdr('bad/id'), chunk('a', [n, 2], f32(randomMatrix(n, 2, 1)))], Status.INVALID_ARGUMENT, /^header\.id: /);
  await expectStatus(svc.clients.teacherCache.getTeacher({ id: '' }), Status.INVALID_ARGUMENT, /^id: missing/);
  await expectUpload([hdr('base'), chunk('a', [n, 2], f32(randomMatrix(n, 2, 1)))], Status.ALREADY_EXISTS, /"base" already exists/);
});

test('missing or repeated header: INVALID_ARGUMENT', async () => {
  await expectUpload([chunk('a', [n, 2], f32(randomMatrix(n, 2, 1)))], Status.INVALID_ARGUMENT, /^header: missing: .*got chunk/);
  await expectUpload([], Status.INVALID_ARGUMENT, /^header: missing: .*stream was empty/);
  await expectUpload([hdr('rep'), hdr('rep')], Status.INVALID_ARGUMENT, /^header: repeated/);
});

test('stimulus-count or shape mismatch: INVALID_ARGUMENT', async () => {
  await expectUpload([hdr('sm'), chunk('a', [n + 1, 2], f32(randomMatrix(n + 1, 2, 1)))], Status.INVALID_ARGUMENT, /^chunk\.shape\[0\]: layer "a" has 17 stimuli/);
  await expectUpload([hdr('sm'), chunk('a', [], f32(randomMatrix(n, 2, 1)))], Status.INVALID_ARGUMENT, /^chunk\.shape: missing/);
  await expectUpload([hdr('sm'), chunk('a', [n, 2], Buffer.alloc(0)), chunk('a', [n, 3], f32(randomMatrix(n, 2, 1)))], Status.INVALID_ARGUMENT, /^chunk\.shape: layer "a": \[16,3\] differs/);
  await expectUpload([hdr('sm'), chunk('a', [n, 2], f32(randomMatrix(n, 2, 1)), DType.DTYPE_UNSPECIFIED)], Status.INVALID_ARGUMENT, /^chunk\.dtype: missing/);
});

test('byte length not matching dtype x shape: INVALID_ARGUMENT', async () => {
  const x = f32(randomMatrix(n, 3, 1));
  await expectUpload([hdr('bl'), chunk('a', [n, 3], x.subarray(0, 10))], Status.INVALID_ARGUMENT, /^chunk\.data: layer "a": 10 bytes is not a multiple of the float32 element size/);
  await expectUpload([hdr('bl'), chunk('a', [n, 2], x)], Status.INVALID_ARGUMENT, /^chunk\.data: layer "a": more bytes than dtype x shape/);
  await expectUpload([hdr('bl'), chunk('a', [n, 3], x.subarray(0, 40))], Status.INVALID_ARGUMENT, /^chunk\.data: layer "a" ended short: 10 of 48 elements .*stream ended/);
  await expectUpload([hdr('bl'), chunk('a', [n, 3], x.subarray(0, 40)), chunk('b', [n, 3], x)], Status.INVALID_ARGUMENT, /layer "a" ended short: .*before layer "b" started/);
});

test('NaN or Inf: INVALID_ARGUMENT naming layer and row', async () => {
  const x = randomMatrix(n, 3, 1);
  x[3 * 5 + 1] = NaN;
  await expectUpload([hdr('nan'), chunk('a', [n, 3], f32(x))], Status.INVALID_ARGUMENT, /^chunk\.data: layer "a" row 5 \(feature 1\) is NaN/);
  x[3 * 5 + 1] = Infinity;
  await expectUpload([hdr('nan'), chunk('a', [n, 3], f32(x))], Status.INVALID_ARGUMENT, /row 5 \(feature 1\) is Inf/);
  const x64 = new Float64Array(randomMatrix(n, 3, 1));
  x64[0] = -Infinity;
  await expectUpload([hdr('nan'), chunk('a', [n, 3], Buffer.from(x64.buffer), DType.DTYPE_FLOAT64)], Status.INVALID_ARGUMENT, /row 0 \(feature 0\) is -Inf/);
});

test('constant row (zero variance): INVALID_ARGUMENT', async () => {
  const x = randomMatrix(n, 3, 1);
  x.fill(0.5, 3 * 7, 3 * 8);
  await expectUpload([hdr('const'), chunk('a', [n, 3], f32(x))], Status.INVALID_ARGUMENT, /^chunk\.data: layer "a" row 7 is constant \(zero variance\)/);
});

test('duplicate layer names: INVALID_ARGUMENT', async () => {
  const x = f32(randomMatrix(n, 3, 1));
  await expectUpload([hdr('dup'), chunk('a', [n, 3], x), chunk('a', [n, 3], x)], Status.INVALID_ARGUMENT, /^chunk\.layer: duplicate layer name "a"/);
});

test('over a limit: RESOURCE_EXHAUSTED', async () => {
  await expectUpload([hdr('big', 65)], Status.RESOURCE_EXHAUSTED, /header\.num_stimuli: 65 is over the limit of 64/);
  await expectUpload([hdr('big'), chunk('a', [n, 301], Buffer.alloc(0))], Status.RESOURCE_EXHAUSTED, /301 features per stimulus, over the limit of 300/);
  const x = f32(randomMatrix(n, 300, 1)); // 19 200 bytes per layer; 11 layers > 200 000 bytes
  const layers = Array.from({ length: 11 }, (_, i) => chunk(`l${i}`, [n, 300], x));
  await expectUpload([hdr('big'), ...layers], Status.RESOURCE_EXHAUSTED, /^chunk\.shape: layer "l10" \(19200 bytes\) takes the upload over the limit of 200000 bytes/);
});

test('a client that cancels mid-upload leaves nothing behind', async () => {
  const ac = new AbortController();
  let sentFirst!: () => void;
  const firstSent = new Promise<void>((r) => (sentFirst = r));
  async function* slow() {
    yield hdr('cancelled');
    yield chunk('a', [n, 4], f32(randomMatrix(n, 4, 1)));
    yield chunk('b', [n, 4], f32(randomMatrix(n, 2, 1)));
    sentFirst();
    await new Promise<void>((r) => {
      const t = setTimeout(r, 10_000);
      ac.signal.addEventListener('abort', () => (clearTimeout(t), r()));
    });
  }
  const call = svc.clients.teacherCache.createTeacher(slow(), { signal: ac.signal });
  await firstSent;
  await new Promise((r) => setTimeout(r, 100));
  // the temporary directory exists while the upload runs, and others can read meanwhile
  assert.equal((await readdir(join(dir.path, 'teachers'))).filter((f) => f.startsWith('.tmp-cancelled')).length, 1);
  await svc.clients.teacherCache.getTeacher({ id: 'base' });
  ac.abort();
  await assert.rejects(call, { name: 'AbortError' });
  for (let i = 0; i < 50 && (await readdir(join(dir.path, 'teachers'))).some((f) => f.startsWith('.')); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await stillServes();
  await expectStatus(svc.clients.teacherCache.getTeacher({ id: 'cancelled' }), Status.NOT_FOUND);
});

test('teachers survive a restart', async () => {
  const before = await svc.clients.teacherCache.getTeacher({ id: 'base' });
  const rdm = await toArray(decodeMatrixChunks(svc.clients.teacherCache.getRdm({ teacherId: 'base', layer: 'a' })));
  await svc.close();
  svc = await startServices(['teacher-cache'], { dataDir: dir.path, limits });
  assert.deepEqual(await svc.clients.teacherCache.getTeacher({ id: 'base' }), before);
  const again = await toArray(decodeMatrixChunks(svc.clients.teacherCache.getRdm({ teacherId: 'base', layer: 'a' })));
  assert.deepEqual(again[0]!.data, rdm[0]!.data);
});
