// The teachers shipped in teachers/<id>/ (`default` on mnist, `fashion` on Fashion-MNIST): their files load, their
// accuracy is what teacher.json says (and clearly above short-trained candidates), they were made by the repository's
// own `tgsage teacher train`, and a teacher cache started with installDefaultTeacher computes them under their ids in
// the background while already serving.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { resolveDatasetSpec } from '../../services/data/dataset.ts';
import { SHIPPED_TEACHERS_ROOT, shippedTeacherIds } from '../../services/teacher-cache/compute-teacher.ts';
import { teacherLayerNames } from '../../services/teachers/layers.ts';
import { loadLayersModel } from '../../services/teachers/model-files.ts';
import type { TeacherJson } from '../../services/teachers/train-teacher.ts';
import { initTrainingBackend } from '../../services/trainer/backend.ts';
import { loadTrainingDataset } from '../../services/trainer/data-adapter.ts';
import { accuracy } from '../../services/trainer/train.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

/** Each shipped teacher, its dataset and the validation accuracy it must reach. */
const SHIPPED = [
  { id: 'default', dataset: 'mnist', atLeast: 0.98 },
  { id: 'fashion', dataset: 'fashion-mnist', atLeast: 0.92 },
] as const;
const infoOf = (id: string) => JSON.parse(readFileSync(join(SHIPPED_TEACHERS_ROOT, id, 'teacher.json'), 'utf8')) as TeacherJson;

let services: TestServices | undefined;
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
after(async () => {
  await services?.close();
  await dir?.remove();
});

test('the repository ships exactly these teachers, default first', () => {
  assert.deepEqual(shippedTeacherIds(), SHIPPED.map((s) => s.id));
});

for (const shipped of SHIPPED) {
  test(`shipped teacher ${shipped.id}: small files, accuracy as recorded (>= ${shipped.atLeast} on ${shipped.dataset}), made by tgsage teacher train`, async () => {
    const info = infoOf(shipped.id);
    const dirOf = join(SHIPPED_TEACHERS_ROOT, shipped.id);
    assert.equal(info.dataset, shipped.dataset);
    assert.match(info.command, /^tgsage teacher train /);
    assert.ok(info.trainSeconds > 0, 'teacher.json records the training time');
    assert.ok(statSync(join(dirOf, 'weights.bin')).size < 4 * 2 ** 20);
    await initTrainingBackend('wasm');
    const model = await loadLayersModel(join(dirOf, 'model.json'));
    assert.deepEqual(teacherLayerNames(model), info.representationLayers);
    const data = await loadTrainingDataset(
      resolveDatasetSpec({ name: info.dataset, splitSeed: info.splitSeed, numStimuli: info.numStimuli, numValidation: info.numValidation }),
    );
    const p = await accuracy(model, data.training.validation, 250);
    assert.ok(Math.abs(p - info.validationAccuracy) < 0.005, `measured ${p}, recorded ${info.validationAccuracy}`);
    assert.ok(p >= shipped.atLeast, `P = ${p}`);
    model.dispose();
    tf.dispose([data.training.train.images, data.training.train.labels, data.training.validation.images, data.training.validation.labels, data.stimuli]);
  });
}

test('a teacher cache started with installDefaultTeacher serves at once and then has every shipped teacher', async () => {
  dir = await tempDir('tgsage-default-teacher-');
  services = await startServices(['teacher-cache'], { dataDir: join(dir.path, 'data'), installDefaultTeacher: true });
  const started = Date.now();
  await services.clients.teacherCache.listTeachers({}); // serving while the teachers are being computed
  let ids: string[] = [];
  while (Date.now() - started < 120_000) {
    ids = (await services.clients.teacherCache.listTeachers({})).teachers.map((t) => t.id).sort();
    if (ids.length === SHIPPED.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(ids, SHIPPED.map((s) => s.id));
  for (const shipped of SHIPPED) {
    const info = infoOf(shipped.id);
    const t = await services.clients.teacherCache.getTeacher({ id: shipped.id });
    assert.equal(t.numStimuli, info.numStimuli);
    assert.equal(t.dataset, shipped.dataset);
    assert.deepEqual(t.layers.map((l) => l.name), info.representationLayers);
    assert.ok(t.layers.every((l) => l.hasGram), 'Gram matrices stored, so CKA works against shipped teachers');
  }
});
