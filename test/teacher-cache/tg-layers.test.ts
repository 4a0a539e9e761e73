// Which teacher layers TG averages over: the rule (services/teachers/tg-layers.ts) and the store's tg_layers — set at
// creation or later, checked, kept across a restart, replaced atomically — and a shipped teacher following its
// teacher.json until a user sets them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Layer } from '../../services/common/chunks.ts';
import { InvalidArgumentError, NotFoundError } from '../../services/common/errors.ts';
import { silentLogger } from '../../services/common/log.ts';
import type { ServiceDeps } from '../../services/service-module.ts';
import { ensureShippedTeacher } from '../../services/teacher-cache/compute-teacher.ts';
import { ALL_LAYERS, fixStudyTeacherLayers, resolveTeacherLayers } from '../../services/teachers/tg-layers.ts';
import { randomMatrix } from '../support/reference.ts';
import { teacherStoreFixture } from '../support/teacher-store.ts';

const teacher = { id: 't', layerNames: ['stem', 'b1', 'b2', 'pool'] };
const withDefault = { ...teacher, tgLayers: ['b2', 'pool'] };

test('the rule: named layers in teacher order; none = the teacher default, else all; "*" = all', () => {
  assert.deepEqual(resolveTeacherLayers(teacher, [], 'f'), ['stem', 'b1', 'b2', 'pool']);
  assert.deepEqual(resolveTeacherLayers(withDefault, [], 'f'), ['b2', 'pool']);
  assert.deepEqual(resolveTeacherLayers(withDefault, [ALL_LAYERS], 'f'), ['stem', 'b1', 'b2', 'pool']);
  assert.deepEqual(resolveTeacherLayers(withDefault, ['pool', 'stem'], 'f'), ['stem', 'pool']);
  const bad: Array<[string[], RegExp]> = [
    [['nope'], /f: teacher "t" has no layer "nope" \(it has: stem, b1, b2, pool\)/],
    [['b1', 'b1'], /f: layer "b1" is listed twice/],
    [[ALL_LAYERS, 'b1'], /f: "\*" \(every layer\) must stand alone/],
  ];
  for (const [wanted, message] of bad) {
    assert.throws(() => resolveTeacherLayers(teacher, wanted, 'f'), (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message));
  }
});

test('a study fixes its layers at creation: a teacher default becomes names, "all" stays "*"', () => {
  assert.deepEqual(fixStudyTeacherLayers(withDefault, [], 'teacher_layers'), ['b2', 'pool']);
  assert.deepEqual(fixStudyTeacherLayers(teacher, [], 'teacher_layers'), [ALL_LAYERS]);
  assert.deepEqual(fixStudyTeacherLayers(withDefault, [ALL_LAYERS], 'teacher_layers'), [ALL_LAYERS]);
  assert.deepEqual(fixStudyTeacherLayers(withDefault, ['pool', 'b1'], 'teacher_layers'), ['b1', 'pool']);
  assert.throws(() => fixStudyTeacherLayers(teacher, ['IT'], 'teacher_layers'), /teacher_layers: teacher "t" has no layer "IT"/);
});

const n = 12;
const { freshDir, open, header } = teacherStoreFixture(n, 8);
async function* layers(): AsyncGenerator<Layer> {
  for (const [k, name] of ['stem', 'b1', 'pool'].entries()) yield { name, shape: [n, 6], n, d: 6, data: randomMatrix(n, 6, k + 1) };
}
const signal = () => new AbortController().signal;

test('store: tg_layers at creation are checked against the layers; a bad list leaves no teacher', async () => {
  const dir = await freshDir();
  const store = await open(dir);
  const t = await store.create(header('a', { tgLayers: ['pool', 'b1'] }), layers(), signal());
  assert.deepEqual(t.tgLayers, ['b1', 'pool'], 'kept in layer order');
  assert.equal(t.tgLayersSetBy, 'user');
  assert.equal((await store.create(header('all'), layers(), signal())).tgLayers, undefined, 'none given: every layer');
  await assert.rejects(store.create(header('b', { tgLayers: ['IT'] }), layers(), signal()), /header\.tg_layers: teacher "b" has no layer "IT"/);
  assert.throws(() => store.validateHeader(header('c', { tgLayers: ['b1', 'b1'] })), /header\.tg_layers: layer "b1" is listed twice/);
  assert.throws(() => store.validateHeader(header('c', { tgLayers: [ALL_LAYERS] })), /header\.tg_layers: list the layers/);
  assert.deepEqual(store.list().map((x) => x.id), ['a', 'all']);
  assert.deepEqual((await readdir(join(dir, 'teachers'))).sort(), ['a', 'all'], 'nothing half-written left');
});

test('store: setTgLayers replaces the metadata atomically, survives a reopen, keeps the checksums; errors name the field', async () => {
  const dir = await freshDir();
  const store = await open(dir);
  const created = await store.create(header('a'), layers(), signal());
  const set = await store.setTgLayers('a', ['pool']);
  assert.deepEqual(set.tgLayers, ['pool']);
  assert.equal(set.tgLayersSetBy, 'user');
  assert.deepEqual(set.layers, created.layers);
  assert.equal(set.createdAt, created.createdAt);
  const metaBytes = (m: object) => Buffer.byteLength(JSON.stringify({ ...m, storedBytes: 0 }, null, 1));
  assert.equal(set.storedBytes - created.storedBytes, metaBytes(set) - metaBytes(created));
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'teachers', 'a', 'teacher.json'), 'utf8')), set);
  assert.deepEqual((await open(dir)).get('a').tgLayers, ['pool']);
  const cleared = await store.setTgLayers('a', []);
  assert.equal(cleared.tgLayers, undefined);
  assert.equal((await open(dir)).get('a').tgLayers, undefined);
  await assert.rejects(store.setTgLayers('a', ['IT']), (e: unknown) => e instanceof InvalidArgumentError && /^tg_layers: teacher "a" has no layer "IT"/.test(e.message));
  await assert.rejects(store.setTgLayers('a', ['*']), /tg_layers: list the layers/);
  await assert.rejects(store.setTgLayers('zz', ['pool']), NotFoundError);
  assert.deepEqual(store.get('a').tgLayers, undefined, 'a refused update changes nothing');
});

test('store: concurrent updates land in call order, an update racing a delete finds nothing, a leftover temp file goes at open', async () => {
  const dir = await freshDir();
  const store = await open(dir);
  await store.create(header('a'), layers(), signal());
  const results = await Promise.all([store.setTgLayers('a', ['stem']), store.setTgLayers('a', ['b1']), store.setTgLayers('a', ['pool'])]);
  assert.deepEqual(results.map((r) => r.tgLayers), [['stem'], ['b1'], ['pool']]);
  assert.deepEqual(store.get('a').tgLayers, ['pool']);
  assert.deepEqual((await open(dir)).get('a').tgLayers, ['pool'], 'the last call is the one on disk');
  const [removed, updated] = await Promise.allSettled([store.remove('a'), store.setTgLayers('a', ['b1'])]);
  assert.equal(removed.status, 'fulfilled');
  assert.ok(updated.status === 'rejected' && updated.reason instanceof NotFoundError);
  assert.deepEqual(await readdir(join(dir, 'teachers')), []);

  await store.create(header('b'), layers(), signal());
  const leftover = join(dir, 'teachers', 'b', '.tmp-teacher.json-abc123');
  await writeFile(leftover, '{"half": ');
  assert.equal((await open(dir)).get('b').id, 'b', 'the teacher is served');
  assert.deepEqual((await readdir(join(dir, 'teachers', 'b'))).filter((f) => f.startsWith('.tmp-')), []);
});

test("a shipped teacher follows its teacher.json's tgLayers until a user sets them", async () => {
  const dir = await freshDir();
  const store = await open(dir);
  const deps = { logger: silentLogger(), shutdownSignal: new AbortController().signal } as unknown as ServiceDeps;
  await store.create(header('shipped', { source: 'computed', dataset: 'mnist' }), layers(), signal());
  await store.create(header('mine'), layers(), signal()); // uploaded: never touched
  const shippedDir = await freshDir();
  const info = { dataset: 'mnist', splitSeed: 0, numStimuli: n, validationAccuracy: 0.9 };
  await writeFile(join(shippedDir, 'teacher.json'), JSON.stringify(info));
  assert.equal(await ensureShippedTeacher(store, deps, 'shipped', shippedDir), 'present');

  await writeFile(join(shippedDir, 'teacher.json'), JSON.stringify({ ...info, tgLayers: ['b1', 'pool'] }));
  assert.equal(await ensureShippedTeacher(store, deps, 'shipped', shippedDir), 'updated');
  assert.deepEqual(store.get('shipped').tgLayers, ['b1', 'pool']);
  assert.equal(store.get('shipped').tgLayersSetBy, 'shipped');
  assert.equal(await ensureShippedTeacher(store, deps, 'shipped', shippedDir), 'present', 'already in step');
  await writeFile(join(shippedDir, 'teacher.json'), JSON.stringify({ ...info, tgLayers: ['pool', 'b1'] }));
  assert.equal(await ensureShippedTeacher(store, deps, 'shipped', shippedDir), 'present', 'another order is no change');
  assert.equal(await ensureShippedTeacher(store, deps, 'mine', shippedDir), 'present');
  assert.equal(store.get('mine').tgLayers, undefined);

  await store.setTgLayers('shipped', []); // the user wants every layer
  assert.equal(await ensureShippedTeacher(store, deps, 'shipped', shippedDir), 'present');
  assert.equal(store.get('shipped').tgLayers, undefined, "the user's choice stands");

  await writeFile(join(shippedDir, 'teacher.json'), JSON.stringify({ ...info, tgLayers: ['IT'] }));
  await store.create(header('shipped2', { source: 'computed' }), layers(), signal());
  assert.equal(await ensureShippedTeacher(store, deps, 'shipped2', shippedDir), 'present', 'a bad list is logged, not applied');
  assert.equal(store.get('shipped2').tgLayers, undefined);
});
