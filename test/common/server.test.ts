// buildServer on 127.0.0.1:0: error mapping, health, reflection, Info, metrics, graceful shutdown.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientError, createChannel, createClient, Status, type Metadata } from 'nice-grpc';
import { delay } from 'abort-controller-x';
import { HealthDefinition } from 'nice-grpc-server-health';
import { ServerReflectionService } from 'nice-grpc-server-reflection';
import reflectionPb from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';
import { TeacherCacheDefinition, type TeacherCacheServiceImplementation } from '../../gen/tgsage/v1/teacher_cache.ts';
import { InfoDefinition } from '../../gen/tgsage/v1/info.ts';
import { buildServer, serviceEntry } from '../../services/common/server.ts';
import { serveMetrics } from '../../services/common/metrics.ts';
import { createLogger } from '../../services/common/log.ts';
import { NotFoundError } from '../../services/common/errors.ts';
import { FAILURE_SOURCE_TRAILER, fromClientError } from '../../services/common/failures.ts';
import { ComputeInputError } from '../../services/compute/types.ts';
import { expectStatus } from '../support/grpc.ts';

const lines: string[] = [];
const logger = createLogger({ service: 'test', level: 'debug', write: (l) => lines.push(l) });

const unimplemented = async () => {
  throw new Error('not used');
};
const fake: TeacherCacheServiceImplementation = {
  async getTeacher({ id }, { signal }) {
    if (id === 'missing') throw new NotFoundError('teacher "missing" not found');
    if (id === 'boom') throw new Error('secret internals at /srv/x.ts:12');
    if (id === 'nan') throw new ComputeInputError('row 3 is constant');
    if (id === 'dep') throw new ClientError('/tgsage.v1.Scorer/ScoreActivations', Status.NOT_FOUND, 'nope');
    if (id === 'dep-down') throw fromClientError(new ClientError('/tgsage.v1.Scorer/ScoreActivations', Status.INTERNAL, 'oops'), 'scorer at 127.0.0.1:9');
    if (id.startsWith('slow')) await delay(signal, Number(id.slice(4)));
    return { id, description: 'ok' };
  },
  listTeachers: async () => ({ teachers: [] }),
  deleteTeacher: unimplemented,
  createTeacher: unimplemented,
  async *getRdm() {},
  async *getGram() {},
  async *computeTeacher() {},
  setTgLayers: unimplemented,
};

function start(drainTimeoutMs = 5_000) {
  return buildServer({
    name: 'test',
    services: [serviceEntry(TeacherCacheDefinition, fake)],
    logger,
    compute: { backend: 'naive', details: 'test double' },
    drainTimeoutMs,
    defaultMetrics: false,
  });
}

const channels: Array<{ close(): void }> = [];
after(() => channels.forEach((c) => c.close()));
function connect(port: number) {
  const channel = createChannel(`127.0.0.1:${port}`);
  channels.push(channel);
  return channel;
}

test('domain errors keep their message, unknown errors become INTERNAL without details, all are counted', async () => {
  const server = start();
  const port = await server.listen('127.0.0.1', 0);
  const client = createClient(TeacherCacheDefinition, connect(port));
  try {
    await expectStatus(client.getTeacher({ id: 'missing' }), Status.NOT_FOUND, /^teacher "missing" not found$/);
    const internal = await expectStatus(client.getTeacher({ id: 'boom' }), Status.INTERNAL);
    assert.equal(internal.details, 'internal error (see server log)');
    assert.ok(lines.some((l) => l.includes('secret internals') && JSON.parse(l).level === 'error'), 'cause logged');
    await expectStatus(client.getTeacher({ id: 'nan' }), Status.INVALID_ARGUMENT, /row 3 is constant/);
    // a dependency's answer about the request keeps its status; its own failure becomes UNAVAILABLE; both name it
    let source: string | undefined;
    const onTrailer = (t: Metadata) => (source = t.get(FAILURE_SOURCE_TRAILER));
    await expectStatus(client.getTeacher({ id: 'dep' }, { onTrailer }), Status.NOT_FOUND, /^\/tgsage.v1.Scorer\/ScoreActivations: nope$/);
    assert.equal(source, '/tgsage.v1.Scorer/ScoreActivations');
    await expectStatus(client.getTeacher({ id: 'dep-down' }, { onTrailer }), Status.UNAVAILABLE, /^scorer at 127\.0\.0\.1:9 failed: INTERNAL: oops$/);
    assert.equal(source, 'scorer at 127.0.0.1:9');
    assert.equal((await client.getTeacher({ id: 'fine' })).description, 'ok');
    const text = await server.metrics.registry.metrics();
    assert.match(text, /tgsage_grpc_calls_total\{method="\/tgsage.v1.TeacherCache\/GetTeacher",code="NOT_FOUND",service="test"\} 2/);
    assert.match(text, /tgsage_grpc_errors_total\{method="\/tgsage.v1.TeacherCache\/GetTeacher",code="INTERNAL",service="test"\} 1/);
    assert.match(text, /tgsage_grpc_calls_total\{method="\/tgsage.v1.TeacherCache\/GetTeacher",code="OK",service="test"\} 1/);
    const endpoint = await serveMetrics(server.metrics.registry, '127.0.0.1', 0);
    try {
      const res = await fetch(`http://127.0.0.1:${endpoint.port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /tgsage_grpc_call_duration_seconds_bucket/);
      assert.equal((await fetch(`http://127.0.0.1:${endpoint.port}/other`)).status, 404);
    } finally {
      await endpoint.close();
    }
  } finally {
    await server.shutdown();
  }
});

test('health, reflection and Info', async () => {
  const server = start();
  const port = await server.listen('127.0.0.1', 0);
  const channel = connect(port);
  try {
    const health = createClient(HealthDefinition, channel);
    assert.equal((await health.check({ service: '' })).status, 1); // SERVING
    assert.equal((await health.check({ service: 'tgsage.v1.TeacherCache' })).status, 1);
    await expectStatus(health.check({ service: 'tgsage.v1.Nope' }), Status.NOT_FOUND);

    const info = await createClient(InfoDefinition, channel).getInfo({});
    assert.deepEqual(info.services, ['tgsage.v1.TeacherCache', 'tgsage.v1.Info']);
    assert.equal(info.computeBackend, 'naive');
    assert.equal(info.pid, process.pid);
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.ok(info.uptimeSeconds >= 0);

    const reflection = createClient(ServerReflectionService, channel);
    async function* requests() {
      yield new reflectionPb.ServerReflectionRequest().setListServices('*');
    }
    const names: string[] = [];
    for await (const res of reflection.serverReflectionInfo(requests()) as AsyncIterable<reflectionPb.ServerReflectionResponse>) {
      for (const s of res.getListServicesResponse()?.getServiceList() ?? []) names.push(s.getName());
    }
    assert.deepEqual(names.sort(), ['grpc.health.v1.Health', 'tgsage.v1.Info', 'tgsage.v1.TeacherCache']);
    // every listed service can be described (its file and dependencies come back)
    for (const symbol of names) {
      async function* ask() {
        yield new reflectionPb.ServerReflectionRequest().setFileContainingSymbol(symbol);
      }
      let files = 0;
      for await (const res of reflection.serverReflectionInfo(ask()) as AsyncIterable<reflectionPb.ServerReflectionResponse>) {
        assert.equal(res.getErrorResponse(), undefined, `${symbol}: ${res.getErrorResponse()?.getErrorMessage()}`);
        files += res.getFileDescriptorResponse()?.getFileDescriptorProtoList().length ?? 0;
      }
      assert.ok(files > 0, symbol);
    }
  } finally {
    await server.shutdown();
  }
});

test('graceful shutdown: NOT_SERVING, in-flight calls finish, watch streams end, new calls refused', async () => {
  const server = start();
  const port = await server.listen('127.0.0.1', 0);
  const channel = connect(port);
  const client = createClient(TeacherCacheDefinition, channel);
  const health = createClient(HealthDefinition, channel);
  const watched: number[] = [];
  const watching = (async () => {
    for await (const r of health.watch({ service: 'tgsage.v1.TeacherCache' })) watched.push(r.status);
  })();
  while (watched.length === 0) await new Promise((r) => setTimeout(r, 10));
  const inFlight = client.getTeacher({ id: 'slow300' });
  await new Promise((r) => setTimeout(r, 50));
  const done = server.shutdown();
  assert.equal(server.health.getStatus('tgsage.v1.TeacherCache'), 'unhealthy');
  assert.ok(server.shutdownSignal.aborted);
  assert.equal((await inFlight).id, 'slow300');
  await watching; // ended without error
  assert.equal(watched[0], 1);
  await done;
  await expectStatus(client.getTeacher({ id: 'x' }, { signal: AbortSignal.timeout(2000) }), Status.UNAVAILABLE);
});

test('shutdown cancels calls that outlive the drain timeout', async () => {
  const server = start(100);
  const port = await server.listen('127.0.0.1', 0);
  const client = createClient(TeacherCacheDefinition, connect(port));
  const inFlight = client.getTeacher({ id: 'slow5000' });
  await new Promise((r) => setTimeout(r, 50));
  await server.shutdown();
  await expectStatus(inFlight, Status.CANCELLED);
  assert.ok(lines.some((l) => l.includes('drain timed out')));
});

test('the server advertises 16 MiB HTTP/2 receive windows (uploads do not stall every 64 KiB)', async () => {
  const { connect: h2connect } = await import('node:http2');
  const { HTTP2_WINDOW_BYTES } = await import('../../services/common/http2-window.ts');
  const server = start();
  const port = await server.listen('127.0.0.1', 0);
  const session = h2connect(`http://127.0.0.1:${port}`);
  try {
    const settings = await new Promise<import('node:http2').Settings>((resolve) => session.once('remoteSettings', resolve));
    assert.equal(settings.initialWindowSize, HTTP2_WINDOW_BYTES);
    assert.equal(HTTP2_WINDOW_BYTES, 16 * 1024 * 1024);
  } finally {
    session.close();
    await server.shutdown();
  }
});
