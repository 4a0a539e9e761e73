import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSlots } from '../../services/trainer/slots.ts';
import { ResourceExhaustedError } from '../../services/common/errors.ts';
import { eventStream } from '../../services/trainer/channel.ts';

test('slots: one at a time, FIFO queue, bounded, abort leaves the queue', async () => {
  const slots = createSlots({ concurrency: 1, maxQueue: 2 });
  const order: string[] = [];
  const r1 = await slots.acquire();
  const queued: number[] = [];
  const p2 = slots.acquire(undefined, (pos) => queued.push(pos)).then((r) => (order.push('2'), r));
  const abort = new AbortController();
  const p3 = slots.acquire(abort.signal, (pos) => queued.push(pos));
  assert.deepEqual(queued, [1, 2]);
  await assert.rejects(slots.acquire(), (e: unknown) => e instanceof ResourceExhaustedError && /queue full/.test(e.message));
  abort.abort(new Error('gone'));
  await assert.rejects(p3, /gone/);
  assert.equal(slots.queued, 1);
  r1();
  r1(); // releasing twice is harmless
  const r2 = await p2;
  assert.deepEqual(order, ['2']);
  assert.equal(slots.running, 1);
  r2();
  assert.equal(slots.running, 0);

  const noQueue = createSlots({ concurrency: 1, maxQueue: 0 });
  const held = await noQueue.acquire();
  await assert.rejects(noQueue.acquire(), /busy/);
  held();
});

test('event stream: events in order, then the final value; errors propagate', async () => {
  const got: string[] = [];
  for await (const e of eventStream<string, number>(async (emit) => {
    emit('a');
    await new Promise((r) => setTimeout(r, 5));
    emit('b');
    return 3;
  }, (n) => `final ${n}`)) got.push(e);
  assert.deepEqual(got, ['a', 'b', 'final 3']);
  const failing = eventStream<string, number>(async (emit) => {
    emit('a');
    throw new Error('boom');
  }, String);
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const e of failing) seen.push(e);
  }, /boom/);
  assert.deepEqual(seen, ['a']);
});
