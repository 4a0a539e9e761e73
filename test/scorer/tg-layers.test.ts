// Real servers on port 0: a teacher's tg_layers (set at upload and by SetTgLayers) decide which teacher layers TG
// averages over when a score names none; "*" still scores every layer; bad lists get INVALID_ARGUMENT naming the field
// and the services go on serving. Both ways the scorer reads teachers: the in-process store and the teacher cache over
// gRPC. TG is checked against a float64 reference (Spearman of reference RDMs, best per teacher layer, mean).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Status } from 'nice-grpc';
import { compareRdmsRequests, createTeacherRequests, scoreRequests } from '../../clients/ts/requests.ts';
import { randomMatrix, referenceRdm, referenceSpearman } from '../support/reference.ts';
import { expectStatus } from '../support/grpc.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const n = 24;
const teacherLayers = [
  { name: 'stem', shape: [n, 9], data: randomMatrix(n, 9, 11) },
  { name: 'mid', shape: [n, 7], data: randomMatrix(n, 7, 12) },
  { name: 'pool', shape: [n, 5], data: randomMatrix(n, 5, 13) },
];
const candidate = [
  { name: 'c1', shape: [n, 6], data: randomMatrix(n, 6, 21) },
  { name: 'c2', shape: [n, 8], data: randomMatrix(n, 8, 22) },
];
const rdm = (l: { shape: number[]; data: Float32Array }) => referenceRdm(l.data, n, l.shape[1]!);
/** Reference TG over the named teacher layers. */
function referenceTg(layers: string[]): number {
  const best = layers.map((name) => {
    const t = rdm(teacherLayers.find((l) => l.name === name)!);
    return Math.max(...candidate.map((c) => referenceSpearman(rdm(c), t, n)));
  });
  return best.reduce((s, v) => s + v, 0) / best.length;
}

for (const setup of ['in-process store', 'teacher cache over gRPC'] as const) {
  describe(`tg_layers, scorer reading the ${setup}`, () => {
    let cache: TestServices;
    let scorerSvc: TestServices;
    const dirs: Array<{ remove(): Promise<void> }> = [];
    before(async () => {
      const d = await tempDir();
      dirs.push(d);
      if (setup === 'in-process store') {
        cache = await startServices(['teacher-cache', 'scorer'], { dataDir: d.path });
        scorerSvc = cache;
      } else {
        cache = await startServices(['teacher-cache'], { dataDir: d.path });
        const d2 = await tempDir();
        dirs.push(d2);
        scorerSvc = await startServices(['scorer'], { dataDir: d2.path, teacherCacheAddress: cache.address('teacher-cache') });
      }
    });
    after(async () => {
      if (scorerSvc !== cache) await scorerSvc.close();
      await cache.close();
      await Promise.all(dirs.map((d) => d.remove()));
    });

    test('uploaded with tg_layers; scores follow them, "*" and named layers override; SetTgLayers changes the next score', async () => {
      const tc = cache.clients.teacherCache;
      const scorer = scorerSvc.clients.scorer;
      const t = await tc.createTeacher(createTeacherRequests({ id: 'T', numStimuli: n, tgLayers: ['pool', 'mid'] }, teacherLayers));
      assert.deepEqual(t.tgLayers, ['mid', 'pool']);
      assert.deepEqual((await tc.getTeacher({ id: 'T' })).tgLayers, ['mid', 'pool']);

      const score = (layers: string[]) => scorer.scoreActivations(scoreRequests({ teacherId: 'T', teacherLayers: layers }, candidate));
      const byDefault = await score([]);
      assert.deepEqual(byDefault.teacherLayers, ['mid', 'pool']);
      assert.ok(Math.abs(byDefault.tg - referenceTg(['mid', 'pool'])) < 1e-5, `TG ${byDefault.tg}`);
      const all = await score(['*']);
      assert.deepEqual(all.teacherLayers, ['stem', 'mid', 'pool']);
      assert.ok(Math.abs(all.tg - referenceTg(['stem', 'mid', 'pool'])) < 1e-5);
      const named = await score(['stem']);
      assert.deepEqual(named.teacherLayers, ['stem']);
      assert.ok(Math.abs(named.tg - referenceTg(['stem'])) < 1e-5);

      const set = await tc.setTgLayers({ id: 'T', tgLayers: ['stem', 'pool'] });
      assert.deepEqual(set.tgLayers, ['stem', 'pool']);
      const after = await score([]);
      assert.deepEqual(after.teacherLayers, ['stem', 'pool']);
      assert.ok(Math.abs(after.tg - referenceTg(['stem', 'pool'])) < 1e-5);
      assert.deepEqual((await tc.setTgLayers({ id: 'T', tgLayers: [] })).tgLayers, []);
      assert.deepEqual((await score([])).teacherLayers, ['stem', 'mid', 'pool'], 'cleared: every layer');
      await tc.setTgLayers({ id: 'T', tgLayers: ['mid', 'pool'] });

      // CompareRdms against the cached teacher follows the same rule
      const cmp = (layers: string[]) =>
        scorer.compareRdms(compareRdmsRequests({ teacherId: 'T', numStimuli: n, teacherLayers: layers }, candidate.map((c) => ({ name: c.name, side: 'candidate' as const, data: rdm(c) }))));
      assert.deepEqual((await cmp([])).teacherLayers, ['mid', 'pool']);
      const cmpAll = await cmp(['*']);
      assert.deepEqual(cmpAll.teacherLayers, ['stem', 'mid', 'pool']);
      assert.ok(Math.abs(cmpAll.tg - referenceTg(['stem', 'mid', 'pool'])) < 1e-5);
    });

    test('bad lists: INVALID_ARGUMENT naming the field, NOT_FOUND for unknown teachers; the services go on', async () => {
      const tc = cache.clients.teacherCache;
      const scorer = scorerSvc.clients.scorer;
      await expectStatus(tc.setTgLayers({ id: 'T', tgLayers: ['IT'] }), Status.INVALID_ARGUMENT, /^tg_layers: teacher "T" has no layer "IT"/);
      await expectStatus(tc.setTgLayers({ id: 'T', tgLayers: ['mid', 'mid'] }), Status.INVALID_ARGUMENT, /^tg_layers: layer "mid" is listed twice/);
      await expectStatus(tc.setTgLayers({ id: 'T', tgLayers: ['*'] }), Status.INVALID_ARGUMENT, /^tg_layers: list the layers/);
      await expectStatus(tc.setTgLayers({ id: '', tgLayers: [] }), Status.INVALID_ARGUMENT, /^id: missing/);
      await expectStatus(tc.setTgLayers({ id: 'nobody', tgLayers: [] }), Status.NOT_FOUND);
      await expectStatus(
        tc.createTeacher(createTeacherRequests({ id: 'U', numStimuli: n, tgLayers: ['IT'] }, teacherLayers)),
        Status.INVALID_ARGUMENT,
        /^header\.tg_layers: teacher "U" has no layer "IT"/,
      );
      await expectStatus(tc.getTeacher({ id: 'U' }), Status.NOT_FOUND, /not found/);
      await expectStatus(
        scorer.scoreActivations(scoreRequests({ teacherId: 'T', teacherLayers: ['*', 'mid'] }, candidate)),
        Status.INVALID_ARGUMENT,
        /^header\.teacher_layers: "\*" \(every layer\) must stand alone/,
      );
      await expectStatus(
        scorer.compareRdms(compareRdmsRequests({ numStimuli: n, teacherLayers: ['mid'] }, [{ name: 'a', side: 'candidate', data: rdm(candidate[0]!) }])),
        Status.INVALID_ARGUMENT,
        /^header\.teacher_layers: needs header\.teacher_id/,
      );
      assert.deepEqual((await tc.getTeacher({ id: 'T' })).tgLayers, ['mid', 'pool'], 'unchanged');
      assert.deepEqual((await scorer.scoreActivations(scoreRequests({ teacherId: 'T' }, candidate))).teacherLayers, ['mid', 'pool']);
    });
  });
}
