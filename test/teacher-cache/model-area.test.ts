// Issue 9 item 3: ComputeTeacher loads models only from <data dir>/models; other paths, links leading out, devices
// and oversized files are refused before anything is read, and no error quotes a file's contents.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Status } from 'nice-grpc';
import { DomainError } from '../../services/common/errors.ts';
import { MAX_MODEL_JSON_BYTES, resolveModelPath } from '../../services/teachers/model-area.ts';
import { loadLayersModel } from '../../services/teachers/model-files.ts';
import { expectStatus, toArray } from '../support/grpc.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: TestServices;
let models: string;
const SECRET = 'TGSAGE_SECRET=hunter2';

before(async () => {
  dir = await tempDir();
  svc = await startServices(['teacher-cache'], { dataDir: join(dir.path, 'data') });
  models = join(dir.path, 'data', 'models');
  await mkdir(join(models, 'bad'), { recursive: true });
  await writeFile(join(dir.path, 'secret.txt'), SECRET);
  await writeFile(join(models, 'bad', 'model.json'), SECRET);
  await symlink('/dev/zero', join(models, 'zero'));
  await symlink(join(dir.path, 'secret.txt'), join(models, 'leak'));
  await writeFile(
    join(models, 'bad', 'escape.json'),
    JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: [{ paths: ['../../../secret.txt'], weights: [] }] }),
  );
  await writeFile(join(models, 'big.json'), '');
  await truncate(join(models, 'big.json'), MAX_MODEL_JSON_BYTES + 1); // sparse: costs no disk
});
after(async () => {
  await svc.close();
  await dir.remove();
});

async function refused(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error: unknown) {
    assert.ok(error instanceof DomainError, String(error));
    assert.equal(error.code, code, error.message);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('hunter2'), 'the error quotes the file');
    return;
  }
  assert.fail('expected a refusal');
}

test('only paths inside the models area resolve', async () => {
  for (const p of ['/etc/passwd', '../secret.txt', '/proc/self/environ', '/dev/zero', pathToFileURL('/etc/shadow').href]) {
    await refused(resolveModelPath(models, p), 'INVALID_ARGUMENT', /^model_path: .*outside the models area/);
  }
  await refused(resolveModelPath(models, 'zero'), 'INVALID_ARGUMENT', /leads outside the models area/);
  await refused(resolveModelPath(models, 'leak'), 'INVALID_ARGUMENT', /leads outside the models area/);
  await refused(resolveModelPath(models, 'nope'), 'FAILED_PRECONDITION', /does not exist/);
  assert.equal(await resolveModelPath(models, 'bad'), join(models, 'bad', 'model.json'));
  assert.equal(await resolveModelPath(models, join(models, 'bad', 'model.json')), join(models, 'bad', 'model.json'));
});

test('reads are bounded and never echo contents', async () => {
  await refused(loadLayersModel(join(models, 'bad', 'model.json')), 'INVALID_ARGUMENT', /is not a JSON model\.json/);
  await refused(loadLayersModel(join(dir.path, 'secret.txt')), 'INVALID_ARGUMENT', /is not a JSON model\.json/);
  await refused(loadLayersModel('/dev/zero'), 'INVALID_ARGUMENT', /not a regular file/);
  await refused(loadLayersModel(join(models, 'bad', 'escape.json')), 'INVALID_ARGUMENT', /outside the model's directory/);
  await refused(loadLayersModel(join(models, 'big.json')), 'RESOURCE_EXHAUSTED', /more than the limit/);
});

test('ComputeTeacher answers INVALID_ARGUMENT for paths outside the models area and keeps serving', async () => {
  const call = (modelPath: string) =>
    toArray(svc.clients.teacherCache.computeTeacher({ id: 'x', modelPath, dataset: { name: 'mnist', numStimuli: 10 } }));
  for (const p of ['/etc/passwd', '/dev/zero', join(dir.path, 'secret.txt'), 'zero', 'leak']) {
    const e = await expectStatus(call(p), Status.INVALID_ARGUMENT, /^model_path: /);
    assert.ok(!e.details.includes('hunter2'));
  }
  await expectStatus(call('nope'), Status.FAILED_PRECONDITION, /does not exist/);
  assert.deepEqual((await svc.clients.teacherCache.listTeachers({})).teachers, []);
});
