// Float32Pool and the layer assembler's `allocate`: reused (dirty) storage still yields exactly the sent values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFloat32Pool } from '../../services/common/buffer-pool.ts';
import { createLayerAssembler, encodeLayerChunks } from '../../services/common/chunks.ts';

test('take reuses a returned array of the same length only, and the pool keeps under its byte limit', () => {
  const pool = createFloat32Pool({ maxRetainedBytes: 3 * 4 * 100 });
  const a = pool.take(100);
  assert.equal(a.length, 100);
  pool.give(a);
  assert.equal(pool.retainedBytes, 400);
  assert.notEqual(pool.take(50), a); // other length: a new one
  assert.equal(pool.take(100), a);
  assert.equal(pool.retainedBytes, 0);
  assert.notEqual(pool.take(100), a); // taken, so not handed out twice
  const arrays = [0, 1, 2, 3].map(() => new Float32Array(100));
  arrays.forEach((x) => pool.give(x));
  assert.equal(pool.retainedBytes, 1200); // the oldest was dropped
  pool.give(arrays[3]!);
  assert.equal(pool.retainedBytes, 1200); // given twice: kept once
  pool.give(new Float32Array(new ArrayBuffer(800), 400, 100)); // a view into something larger: never pooled
  pool.give(new Float32Array(1000)); // over the limit on its own
  assert.equal(pool.retainedBytes, 1200);
});

test('a layer assembled into reused storage holds exactly the new values (float32 and float64 input)', () => {
  const pool = createFloat32Pool();
  const n = 3;
  const d = 90_001; // several chunks, the last one short
  for (const [k, make] of [
    [1, (i: number) => Math.cos(i) * 7],
    [2, (i: number) => i % 13],
  ] as const) {
    const x = new Float64Array(n * d).map((_, i) => make(i) + k);
    const a = createLayerAssembler({ allocate: pool.take });
    let layer;
    for (const c of encodeLayerChunks(`l${k}`, [n, d], k === 1 ? new Float32Array(x) : x, 100_000)) layer = a.push(c) ?? layer;
    a.end();
    assert.ok(layer);
    for (let i = 0; i < n * d; i++) if (layer.data[i] !== Math.fround(x[i]!)) assert.fail(`element ${i}: ${layer.data[i]} != ${x[i]}`);
    layer.data.fill(NaN); // what a stale buffer could hold
    pool.give(layer.data);
  }
  assert.equal(pool.retainedBytes, n * d * 4);
});

test('an idle pool lets go of its buffers (no memory kept after a burst of load)', async () => {
  const pool = createFloat32Pool({ idleReleaseMs: 1000 });
  pool.give(new Float32Array(1000));
  pool.give(new Float32Array(2000));
  assert.equal(pool.retainedBytes, 12_000);
  await new Promise((r) => setTimeout(r, 600));
  pool.give(new Float32Array(10)); // activity restarts the idle clock
  await new Promise((r) => setTimeout(r, 600)); // 1.2 s after the first give, 0.6 s after the last
  assert.equal(pool.retainedBytes, 12_040);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(pool.retainedBytes, 0);
  assert.equal(pool.take(1000).length, 1000); // a fresh one
});
