// The TS client factory: retries only idempotent methods, deadlines on unary calls, close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Status, ServerError } from 'nice-grpc';
import { delay } from 'abort-controller-x';
import { createTgsageClients } from '../../clients/ts/index.ts';
import { TeacherCacheDefinition, type TeacherCacheServiceImplementation } from '../../gen/tgsage/v1/teacher_cache.ts';
import { buildServer, serviceEntry } from '../../services/common/server.ts';
import { silentLogger } from '../../services/common/log.ts';
import { expectStatus } from '../support/grpc.ts';

test('idempotent calls are retried, others are not; unary calls get the default deadline', async () => {
  const calls: Record<string, number> = {};
  const count = (name: string) => (calls[name] = (calls[name] ?? 0) + 1);
  const impl: TeacherCacheServiceImplementation = {
    async getTeacher({ id }, { signal }) {
      if (id === 'slow') await delay(signal, 5_000);
      if (count('get') < 3) throw new ServerError(Status.UNAVAILABLE, 'flaky');
      return { id };
    },
    async deleteTeacher() {
      if (count('delete') < 2) throw new ServerError(Status.UNAVAILABLE, 'flaky');
      return {};
    },
    async createTeacher(requests) {
      count('create');
      for await (const _ of requests) void _;
      throw new ServerError(Status.UNAVAILABLE, 'flaky');
    },
    listTeachers: async () => ({ teachers: [] }),
    async *getRdm() {},
    async *getGram() {},
    async *computeTeacher() {},
    setTgLayers: async () => { throw new ServerError(Status.UNIMPLEMENTED, 'not used'); },
  };
  const server = buildServer({ name: 't', services: [serviceEntry(TeacherCacheDefinition, impl)], logger: silentLogger(), defaultMetrics: false });
  const port = await server.listen('127.0.0.1', 0);
  const clients = createTgsageClients({ teacherCache: `127.0.0.1:${port}` }, { deadlineMs: 5_000, retryMaxAttempts: 3 });
  try {
    assert.equal((await clients.teacherCache.getTeacher({ id: 'x' })).id, 'x'); // NO_SIDE_EFFECTS: 3 attempts
    assert.equal(calls['get'], 3);
    await clients.teacherCache.deleteTeacher({ id: 'x' }); // IDEMPOTENT: retried
    assert.equal(calls['delete'], 2);
    async function* one() {
      yield { message: { $case: 'header' as const, value: { id: 'x', description: '', numStimuli: 3, stimulusIds: [], rdmMethod: 0, storeGram: false } } };
    }
    await expectStatus(clients.teacherCache.createTeacher(one()), Status.UNAVAILABLE, /flaky/);
    assert.equal(calls['create'], 1); // not idempotent: one attempt
    await expectStatus(clients.teacherCache.getTeacher({ id: 'slow' }, { retryMaxAttempts: 1, deadline: 200 }), Status.DEADLINE_EXCEEDED);
    const short = createTgsageClients({ teacherCache: `127.0.0.1:${port}` }, { deadlineMs: 200 });
    try {
      await expectStatus(short.teacherCache.getTeacher({ id: 'slow' }), Status.DEADLINE_EXCEEDED); // the default deadline
    } finally {
      short.close();
    }
  } finally {
    clients.close();
    await server.shutdown();
  }
});
