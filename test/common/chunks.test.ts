// LayerAssembler / matrix assembler / encoders: pure, no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assembleLayers,
  createLayerAssembler,
  decodeMatrixChunks,
  encodeLayerChunks,
  encodeMatrixChunks,
  MAX_CHUNK_BYTES,
} from '../../services/common/chunks.ts';
import { InvalidArgumentError, ResourceExhaustedError } from '../../services/common/errors.ts';
import { DType, type LayerChunk } from '../../gen/tgsage/v1/tensor.ts';

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
const chunk = (c: Partial<LayerChunk>): LayerChunk => ({ layer: '', dtype: 0, shape: [], data: Buffer.alloc(0), ...c });

function collect(chunks: LayerChunk[], opts = {}) {
  const a = createLayerAssembler(opts);
  const out = [];
  for (const c of chunks) {
    const l = a.push(c);
    if (l) out.push(l);
  }
  a.end();
  return out;
}

function throwsField(fn: () => unknown, cls: typeof InvalidArgumentError | typeof ResourceExhaustedError, re: RegExp) {
  assert.throws(fn, (e: unknown) => e instanceof cls && re.test((e as Error).message));
}

test('encode then assemble round-trips float32 and float64 over many chunks', () => {
  const n = 7;
  const d = 70_001;
  const x64 = new Float64Array(n * d).map((_, i) => Math.sin(i) * 1e3);
  const chunks = [...encodeLayerChunks('a', [n, d], x64), ...encodeLayerChunks('b', [n, 1, d], new Float32Array(x64))];
  assert.equal(chunks.length, 6);
  for (const c of chunks) assert.ok(c.data.byteLength <= MAX_CHUNK_BYTES);
  const layers = collect(chunks, { expectedStimuli: n });
  assert.deepEqual(layers.map((l) => [l.name, l.n, l.d]), [['a', n, d], ['b', n, d]]);
  for (const l of layers) for (const i of [0, 1, 12345, n * d - 1]) assert.equal(l.data[i], Math.fround(x64[i]!));
});

test('float16 decodes (normal, subnormal, negative zero, unaligned buffer)', () => {
  // 1.0 = 0x3c00, -2.5 = 0xc100, 65504 = 0x7bff, smallest subnormal 0x0001 = 2^-24, 0.333 ~ 0x3555
  const halves = [0x3c00, 0xc100, 0x7bff, 0x0001, 0x3555, 0x8000];
  const bytes = Buffer.alloc(halves.length * 2 + 1);
  halves.forEach((h, i) => bytes.writeUInt16LE(h, 1 + i * 2));
  const unaligned = bytes.subarray(1);
  const [l] = collect([chunk({ layer: 'h', dtype: DType.DTYPE_FLOAT16, shape: [2, 3], data: unaligned })]);
  assert.deepEqual([...l!.data], [1, -2.5, 65504, 2 ** -24, 0.333251953125, -0]);
});

test('bad input names the field', () => {
  const ok = chunk({ layer: 'a', dtype: DType.DTYPE_FLOAT32, shape: [2, 2], data: f32([1, 2, 3, 4]) });
  throwsField(() => collect([{ ...ok, dtype: 0 }]), InvalidArgumentError, /chunk\.dtype: missing/);
  throwsField(() => collect([{ ...ok, dtype: 9 as DType }]), InvalidArgumentError, /chunk\.dtype: unknown dtype 9/);
  throwsField(() => collect([{ ...ok, shape: [] }]), InvalidArgumentError, /chunk\.shape: missing on the first chunk of layer "a"/);
  throwsField(() => collect([{ ...ok, layer: '' }]), InvalidArgumentError, /chunk\.layer: missing/);
  throwsField(() => collect([ok], { expectedStimuli: 3 }), InvalidArgumentError, /chunk\.shape\[0\]: layer "a" has 2 stimuli/);
  throwsField(() => collect([{ ...ok, data: Buffer.alloc(6) }]), InvalidArgumentError, /chunk\.data: .*6 bytes is not a multiple of the float32 element size/);
  throwsField(() => collect([{ ...ok, data: f32([1, 2, 3, 4, 5]) }]), InvalidArgumentError, /more bytes than dtype x shape/);
  throwsField(() => collect([{ ...ok, data: f32([1, 2, 3]) }]), InvalidArgumentError, /layer "a" ended short: 3 of 4 elements .* before the stream ended/);
  throwsField(
    () => collect([{ ...ok, data: f32([1, 2]) }, { ...ok, layer: 'b' }]),
    InvalidArgumentError,
    /layer "a" ended short: 2 of 4 .* before layer "b" started/,
  );
  throwsField(() => collect([{ ...ok, data: f32([1, 2, NaN, 4]) }]), InvalidArgumentError, /layer "a" row 1 \(feature 0\) is NaN/);
  throwsField(() => collect([{ ...ok, data: f32([1, -Infinity, 2, 4]) }]), InvalidArgumentError, /layer "a" row 0 \(feature 1\) is -Inf/);
  throwsField(() => collect([ok, ok]), InvalidArgumentError, /chunk\.layer: duplicate layer name "a"/);
  throwsField(
    () => collect([{ ...ok, data: f32([1, 2]) }, { ...ok, dtype: DType.DTYPE_FLOAT64, data: Buffer.alloc(0) }]),
    InvalidArgumentError,
    /chunk\.dtype: layer "a": float64 differs/,
  );
  throwsField(() => collect([{ ...ok, data: f32([1, 2]) }, { ...ok, shape: [2, 3], data: f32([3, 4]) }]), InvalidArgumentError, /chunk\.shape: layer "a": \[2,3\] differs/);
  throwsField(() => collect([ok], { maxFeaturesPerLayer: 1 }), ResourceExhaustedError, /2 features per stimulus, over the limit of 1/);
  throwsField(() => collect([ok, { ...ok, layer: 'b' }], { maxTotalBytes: 20 }), ResourceExhaustedError, /over the limit of 20 bytes/);
  // later chunks may repeat the name, dtype and shape
  assert.equal(collect([{ ...ok, data: f32([1, 2]) }, { ...ok, data: f32([3, 4]) }]).length, 1);
});

test('assembleLayers yields layers as they complete and fails at the end on a short layer', async () => {
  const x = new Float32Array(12).map((_, i) => i);
  const names: string[] = [];
  for await (const l of assembleLayers([...encodeLayerChunks('a', [3, 4], x, 8), ...encodeLayerChunks('b', [3, 4], x)])) names.push(l.name);
  assert.deepEqual(names, ['a', 'b']);
  const short = [...encodeLayerChunks('a', [3, 4], x, 8)].slice(0, 2);
  await assert.rejects(async () => {
    for await (const _ of assembleLayers(short)) void _;
  }, /ended short/);
});

test('matrix chunks round-trip, keep float64, check offsets', async () => {
  const size = 600;
  const m64 = new Float64Array(size * size).map((_, i) => i / 7);
  const m32 = new Float32Array(m64);
  const chunks = [...encodeMatrixChunks('g', size, m64), ...encodeMatrixChunks('r', size, m32, 100_000)];
  assert.ok(chunks.length > 2);
  const out = [];
  for await (const m of decodeMatrixChunks(chunks)) out.push(m);
  assert.ok(out[0]!.data instanceof Float64Array);
  assert.ok(out[1]!.data instanceof Float32Array);
  assert.deepEqual(out[0]!.data, m64);
  assert.deepEqual(out[1]!.data, m32);
  const bad = [...encodeMatrixChunks('r', size, m32, 100_000)];
  bad.splice(1, 1);
  await assert.rejects(async () => {
    for await (const _ of decodeMatrixChunks(bad)) void _;
  }, /chunk\.offset: matrix "r": chunk starts at/);
});

test('float64 and float32 payloads at unaligned offsets of a Buffer (as inside a received message) decode', () => {
  for (const [dtype, Arr] of [
    [DType.DTYPE_FLOAT64, Float64Array],
    [DType.DTYPE_FLOAT32, Float32Array],
  ] as const) {
    const values = [1.25, -3, 1e-3, 7];
    const raw = Buffer.from(new Arr(values).buffer);
    const holder = Buffer.alloc(raw.length + 3);
    raw.copy(holder, 3);
    const data = holder.subarray(3); // a Buffer view at byte offset 3
    const [layer] = collect([chunk({ layer: 'u', dtype, shape: [2, 2], data })]);
    assert.deepEqual([...layer!.data], values.map(Math.fround));
  }
});
