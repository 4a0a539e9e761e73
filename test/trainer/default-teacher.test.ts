// The teacher shipped in teachers/default: its files load, its accuracy is what teacher.json says (and clearly above
// short-trained candidates), and a teacher cache started with installDefaultTeacher computes it as `default` in the
// background while already serving.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { resolveDatasetSpec } from '../../services/data/dataset.ts';
import { SHIPPED_TEACHER_DIR } from '../../services/teacher-cache/compute-teacher.ts';
import { teacherLayerNames } from '../../services/teachers/layers.ts';
import { loadLayersModel } from '../../services/teachers/model-files.ts';
import type { TeacherJson } from '../../services/teachers/train-teacher.ts';
import { initTrainingBackend } from '../../services/trainer/backend.ts';
import { loadTrainingDataset } from '../../services/trainer/data-adapter.ts';
import { accuracy } from '../../services/trainer/train.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const info = JSON.parse(readFileSync(join(SHIPPED_TEACHER_DIR, 'teacher.json'), 'utf8')) as TeacherJson;
let services: TestServices | undefined;
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
after(async () => {
  await services?.close();
  await dir?.remove();
});

test('shipped teacher: small files, accuracy as recorded (>= 0.98 on mnist), made by tgsage teacher train', async () => {
  assert.equal(info.dataset, 'mnist');
  assert.match(info.command, /^tgsage teacher train /);
  assert.ok(statSync(join(SHIPPED_TEACHER_DIR, 'weights.bin')).size < 4 * 2 ** 20);
  await initTrainingBackend('wasm');
  const model = await loadLayersModel(join(SHIPPED_TEACHER_DIR, 'model.json'));
  assert.deepEqual(teacherLayerNames(model), info.representationLayers);
  const data = await loadTrainingDataset(resolveDatasetSpec({ name: info.dataset, splitSeed: info.splitSeed, numStimuli: info.numStimuli }));
  const p = await accuracy(model, data.training.validation, 250);
  assert.ok(Math.abs(p - info.validationAccuracy) < 0.005, `measured ${p}, recorded ${info.validationAccuracy}`);
  assert.ok(p >= 0.98, `P = ${p}`);
  model.dispose();
  tf.dispose([data.training.train.images, data.training.train.labels, data.training.validation.images, data.training.validation.labels, data.stimuli]);
});

test('a teacher cache started with installDefaultTeacher serves at once and then has `default`', async () => {
  dir = await tempDir('tgsage-default-teacher-');
  services = await startServices(['teacher-cache'], { dataDir: join(dir.path, 'data'), installDefaultTeacher: true });
  const started = Date.now();
  await services.clients.teacherCache.listTeachers({}); // serving while the default is being computed
  let ids: string[] = [];
  while (Date.now() - started < 90_000) {
    ids = (await services.clients.teacherCache.listTeachers({})).teachers.map((t) => t.id);
    if (ids.includes('default')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.deepEqual(ids, ['default']);
  const t = await services.clients.teacherCache.getTeacher({ id: 'default' });
  assert.equal(t.numStimuli, info.numStimuli);
  assert.equal(t.dataset, 'mnist');
  assert.deepEqual(t.layers.map((l) => l.name), info.representationLayers);
});
