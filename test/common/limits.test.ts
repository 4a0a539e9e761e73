// Issue 9 items 5 and 7 on a real scorer (127.0.0.1:0): declared sizes are checked against the per-call and
// per-process memory budget before anything is allocated (RESOURCE_EXHAUSTED), CompareRdms num_stimuli is bounded,
// and a client stream that stalls is ended by the idle timeout; other calls keep working throughout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Status } from 'nice-grpc';
import { CompareRdmsRequest, RdmSide } from '../../gen/tgsage/v1/scorer.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { createMemoryBudget } from '../../services/common/memory-budget.ts';
import { ResourceExhaustedError } from '../../services/common/errors.ts';
import { expectStatus } from '../support/grpc.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

test('memory budget: per call and per process, reserved before use, all given back at the end', () => {
  const budget = createMemoryBudget({ callBytes: 100, processBytes: 150 });
  const a = budget.call();
  const b = budget.call();
  a.reserve(80, 'x');
  assert.throws(() => a.reserve(30, 'y'), (e) => e instanceof ResourceExhaustedError && /per-call memory limit of 100/.test(e.message));
  assert.throws(() => b.reserve(80, 'z'), (e) => e instanceof ResourceExhaustedError && /memory budget \(150 bytes\) has 70 left/.test(e.message));
  b.reserve(70, 'z');
  assert.equal(budget.inUse, 150);
  a.free(50);
  assert.equal(budget.inUse, 100);
  a.end();
  b.end();
  assert.equal(budget.inUse, 0);
});

let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: TestServices;
const MiB = 1024 * 1024;

before(async () => {
  dir = await tempDir();
  svc = await startServices(['teacher-cache', 'scorer'], {
    dataDir: dir.path,
    limits: { maxCallBytes: MiB, memoryBudgetBytes: MiB, maxStimuli: 2000 },
    transport: { streamIdleTimeoutMs: 1000 },
  });
});
after(async () => {
  await svc.close();
  await dir.remove();
});

const header = (numStimuli: number) => CompareRdmsRequest.fromPartial({ message: { $case: 'header', value: { numStimuli } } });
const rdmChunk = (size: number, offset: number, count: number) =>
  CompareRdmsRequest.fromPartial({
    message: {
      $case: 'rdm',
      value: {
        side: RdmSide.RDM_SIDE_CANDIDATE,
        chunk: { layer: 'c', dtype: DType.DTYPE_FLOAT32, size: offset === 0 ? size : 0, offset, data: Buffer.alloc(count * 4) },
      },
    },
  });

async function* stream(...messages: CompareRdmsRequest[]) {
  yield* messages;
}

test('CompareRdms: num_stimuli above the limit and matrices over the call budget are refused before allocating', async () => {
  const rss = process.memoryUsage().rss;
  await expectStatus(
    svc.clients.scorer.compareRdms(stream(header(46_341), rdmChunk(46_341, 0, 16))),
    Status.RESOURCE_EXHAUSTED,
    /^header\.num_stimuli: 46341 is over the limit of 2000/,
  );
  await expectStatus(
    svc.clients.scorer.compareRdms(stream(header(1000), rdmChunk(1000, 0, 16))),
    Status.RESOURCE_EXHAUSTED,
    /^rdm\.chunk\.size: matrix "c" \(1000 x 1000\) needs 4000000 bytes; .*per-call memory limit of 1048576/,
  );
  assert.ok(process.memoryUsage().rss - rss < 200 * MiB, 'no large allocation');
});

test('the process budget is shared: a second call is refused while the first holds memory, served after', async () => {
  const size = 400; // 640,000 bytes of float32
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let sent = 0;
  async function* slow() {
    yield header(size);
    yield rdmChunk(size, 0, 1000); // reserves size^2 * 4 bytes
    sent = 1000;
    // keep the stream alive (below the idle timeout) until the other call has been refused
    for (;;) {
      const done = await Promise.race([released.then(() => true), sleep(200).then(() => false)]);
      if (done) break;
      yield rdmChunk(size, sent, 10);
      sent += 10;
    }
  }
  const first = svc.clients.scorer.compareRdms(slow());
  first.catch(() => undefined); // awaited below
  while (sent === 0) await sleep(20);
  await sleep(100);
  await expectStatus(
    svc.clients.scorer.compareRdms(stream(header(size), rdmChunk(size, 0, 16))),
    Status.RESOURCE_EXHAUSTED,
    /memory budget \(1048576 bytes\) has \d+ left now: retry later/,
  );
  release();
  await expectStatus(first, Status.INVALID_ARGUMENT, /ended short/);
  // the first call's reservation came back: the same request is now admitted (and fails later, on its content)
  await expectStatus(svc.clients.scorer.compareRdms(stream(header(size), rdmChunk(size, 0, 16))), Status.INVALID_ARGUMENT, /ended short/);
});

test('a client stream that stalls is ended with DEADLINE_EXCEEDED by the idle timeout', async () => {
  const started = performance.now();
  const controller = new AbortController();
  async function* stalls() {
    yield header(10);
    await sleep(60_000, undefined, { signal: controller.signal }).catch(() => undefined);
  }
  try {
    await expectStatus(
      svc.clients.scorer.compareRdms(stalls(), { signal: controller.signal }),
      Status.DEADLINE_EXCEEDED,
      /sent no message for 1 s/,
    );
  } finally {
    controller.abort();
  }
  assert.ok(performance.now() - started < 15_000);
});

test('CompareRdms reads only the upper triangle: NaN below the diagonal is fine, above it is refused by position', async () => {
  const n = 6;
  const rdm = (seed: number, poison: 'below' | 'above' | 'none') => {
    const m = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) m[i * n + j] = ((i * 7 + j * 3 + seed) % 11) + 1;
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = poison === 'below' ? NaN : m[j * n + i];
    if (poison === 'above') m[1 * n + 4] = NaN;
    return Buffer.from(m.buffer);
  };
  const msg = (layer: string, side: RdmSide, data: Buffer) =>
    CompareRdmsRequest.fromPartial({
      message: { $case: 'rdm', value: { side, chunk: { layer, dtype: DType.DTYPE_FLOAT32, size: n, offset: 0, data } } },
    });
  const result = await svc.clients.scorer.compareRdms(
    stream(header(n), msg('c', RdmSide.RDM_SIDE_CANDIDATE, rdm(0, 'below')), msg('t', RdmSide.RDM_SIDE_TEACHER, rdm(5, 'none'))),
  );
  assert.ok(Number.isFinite(result.similarity[0]));
  await expectStatus(
    svc.clients.scorer.compareRdms(stream(header(n), msg('c', RdmSide.RDM_SIDE_CANDIDATE, rdm(0, 'above')))),
    Status.INVALID_ARGUMENT,
    /^rdm\.chunk\.data: matrix "c" row 1 column 4 has NaN or Inf/,
  );
});
