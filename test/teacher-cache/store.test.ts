// The teacher store as a pure domain module: atomic creation, restart survival, leftovers, corruption, abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Layer } from '../../services/common/chunks.ts';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, ResourceExhaustedError, AlreadyExistsError } from '../../services/common/errors.ts';
import { randomMatrix, referenceRdm } from '../support/reference.ts';
import { teacherStoreFixture } from '../support/teacher-store.ts';

const n = 12;
const { freshDir, open, header } = teacherStoreFixture(n, 4);

function layer(name: string, d: number, seed: number): Layer {
  return { name, shape: [n, d], n, d, data: randomMatrix(n, d, seed) };
}

async function* from(layers: Layer[], pause?: Promise<void>) {
  for (const [i, l] of layers.entries()) {
    if (i === 1 && pause) await pause;
    yield l;
  }
}

test('create, read back, survive a reopen', async () => {
  const dir = await freshDir();
  const store = await open(dir);
  const layers = [layer('V1', 9, 1), layer('IT', 5, 2)];
  const meta = await store.create(header('t1', { storeGram: true }), from(layers), new AbortController().signal);
  assert.deepEqual(meta.layers.map((l) => l.name), ['V1', 'IT']);
  const rdm = await store.readRdm('t1', 'IT');
  const ref = referenceRdm(layers[1]!.data, n, 5);
  for (let i = 0; i < n * n; i++) assert.ok(Math.abs(rdm[i]! - ref[i]!) < 1e-5);
  assert.equal((await store.readGram('t1', 'V1')).length, n * n);
  await assert.rejects(store.readRdm('t1', 'nope'), NotFoundError);
  await assert.rejects(store.create(header('t1'), from(layers), new AbortController().signal), AlreadyExistsError);

  const again = await open(dir);
  assert.deepEqual(again.list().map((t) => t.id), ['t1']);
  assert.deepEqual(again.get('t1'), meta);
  assert.deepEqual(await again.readRdm('t1', 'IT'), rdm);
});

test('leftover temporary directories are removed; a corrupt teacher is reported, not served', async () => {
  const dir = await freshDir();
  const store = await open(dir);
  await store.create(header('good'), from([layer('a', 4, 3)]), new AbortController().signal);
  await store.create(header('bad'), from([layer('a', 4, 4)]), new AbortController().signal);
  await mkdir(join(dir, 'teachers', '.tmp-x-123'));
  await writeFile(join(dir, 'teachers', '.tmp-x-123', 'layer-000.rdm.f32'), 'half');
  const file = join(dir, 'teachers', 'bad', 'layer-000.rdm.f32');
  const bytes = await readFile(file);
  bytes[17] ^= 0xff;
  await writeFile(file, bytes);

  const reopened = await open(dir);
  assert.deepEqual(reopened.list().map((t) => t.id), ['good']);
  assert.match(reopened.corrupt().get('bad') ?? '', /checksum mismatch/);
  assert.throws(() => reopened.get('bad'), FailedPreconditionError);
  assert.deepEqual((await readdir(join(dir, 'teachers'))).sort(), ['bad', 'good']);
  await reopened.remove('bad');
  assert.deepEqual(await readdir(join(dir, 'teachers')), ['good']);
});

test('bad headers and limits', async () => {
  const store = await open(await freshDir());
  const s = new AbortController().signal;
  await assert.rejects(store.create(header('../x'), from([]), s), (e) => e instanceof InvalidArgumentError && e.field === 'header.id');
  await assert.rejects(store.create(header('x', { numStimuli: 2 }), from([]), s), /header.num_stimuli: must be at least 3/);
  await assert.rejects(store.create(header('x', { numStimuli: 101 }), from([]), s), ResourceExhaustedError);
  await assert.rejects(store.create(header('x', { stimulusIds: ['a'] }), from([]), s), /header.stimulus_ids: has 1 entries/);
  await assert.rejects(store.create(header('x'), from([]), s), /no layers were uploaded/);
  const five = [1, 2, 3, 4, 5].map((i) => layer(`l${i}`, 3, i));
  await assert.rejects(store.create(header('x'), from(five), s), /more than 4 layers/);
  const constant = layer('flat', 3, 9);
  constant.data.fill(2, 3 * 4, 3 * 5);
  await assert.rejects(store.create(header('x'), from([constant]), s), /layer "flat" row 4 is constant/);
  assert.deepEqual(store.list(), []);
  assert.deepEqual(await readdir(store.dir), []);
});

test('an aborted upload leaves nothing; reads go on during an upload', async () => {
  const store = await open(await freshDir());
  await store.create(header('other'), from([layer('a', 4, 5)]), new AbortController().signal);
  let release!: () => void;
  const pause = new Promise<void>((r) => (release = r));
  const ac = new AbortController();
  const upload = store.create(header('slow'), from([layer('a', 4, 6), layer('b', 4, 7)], pause), ac.signal);
  await new Promise((r) => setTimeout(r, 20));
  // mid-upload: other teachers are readable, the new one is invisible
  assert.equal((await store.readRdm('other', 'a')).length, n * n);
  assert.deepEqual(store.list().map((t) => t.id), ['other']);
  assert.throws(() => store.get('slow'), NotFoundError);
  assert.equal((await readdir(store.dir)).filter((f) => f.startsWith('.tmp-slow')).length, 1);
  ac.abort();
  release();
  await assert.rejects(upload, { name: 'AbortError' });
  assert.deepEqual(await readdir(store.dir), ['other']);
  // the id is free again
  await store.create(header('slow'), from([layer('a', 4, 6)]), new AbortController().signal);
});
