// Teacher cache and scorer in one process (as `npm start` runs them): the scorer reads the store directly; Info,
// health and the metrics endpoint of both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTeacherRequests, scoreRequests } from '../../clients/ts/index.ts';
import { randomMatrix, referenceRdm, referenceSpearman } from '../support/reference.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const n = 20;
let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: TestServices;

before(async () => {
  dir = await tempDir();
  svc = await startServices(['scorer', 'teacher-cache'], { dataDir: dir.path });
});
after(async () => {
  await svc.close();
  await dir.remove();
});

test('scores against the shared store and reports itself', async () => {
  const t = randomMatrix(n, 7, 1);
  const c = randomMatrix(n, 5, 2);
  await svc.clients.teacherCache.createTeacher(createTeacherRequests({ id: 'local', numStimuli: n }, [{ name: 'L', shape: [n, 7], data: t }]));
  const res = await svc.clients.scorer.scoreActivations(scoreRequests({ teacherId: 'local' }, [{ name: 'c', shape: [n, 5], data: c }]));
  const ref = referenceSpearman(referenceRdm(c, n, 5), referenceRdm(t, n, 7), n);
  assert.ok(Math.abs(res.tg - ref) < 1e-4);
  assert.ok(svc.logs.some((l) => l.includes('in-process store')), 'scorer used the in-process store');

  const info = await svc.clients.info('scorer').getInfo({});
  assert.deepEqual(info.services, ['tgsage.v1.Scorer', 'tgsage.v1.Info']);
  assert.match(info.computeBackend, /^(blas|wasm|cpu|webgpu|tensorflow|naive)$/);
  const cacheInfo = await svc.clients.info('teacherCache').getInfo({});
  assert.deepEqual(cacheInfo.services, ['tgsage.v1.TeacherCache', 'tgsage.v1.Info']);
  assert.equal((await svc.clients.health('scorer').check({ service: 'tgsage.v1.Scorer' })).status, 1);
  const listening = svc.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'listening');
  assert.deepEqual(listening.map((l) => l.service).sort(), ['scorer', 'teacher-cache']);
  assert.ok(listening.every((l) => l.compute.startsWith(info.computeBackend)));
});
