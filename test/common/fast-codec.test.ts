// The bulk-tensor wire codecs against ts-proto's generated ones, both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompareRdmsRequest, ScoreActivationsRequest, ScorerDefinition } from '../../gen/tgsage/v1/scorer.ts';
import { CreateTeacherRequest, TeacherCacheDefinition } from '../../gen/tgsage/v1/teacher_cache.ts';
import { MatrixChunk } from '../../gen/tgsage/v1/tensor.ts';
import { fastLayerChunk, withFastCodecs } from '../../services/common/fast-codec.ts';

type Codec = { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown };
const fastScorer = withFastCodecs(ScorerDefinition);
const fastCache = withFastCodecs(TeacherCacheDefinition);
const fast = {
  score: fastScorer.methods.scoreActivations.requestType as unknown as Codec,
  compare: fastScorer.methods.compareRdms.requestType as unknown as Codec,
  create: fastCache.methods.createTeacher.requestType as unknown as Codec,
  matrix: fastCache.methods.getRdm.responseType as unknown as Codec,
};
const slow = {
  score: ScoreActivationsRequest as unknown as Codec,
  compare: CompareRdmsRequest as unknown as Codec,
  create: CreateTeacherRequest as unknown as Codec,
  matrix: MatrixChunk as unknown as Codec,
};

const data = Buffer.from(new Float32Array([1, -2, 3.5, NaN]).buffer);
const samples: Record<keyof typeof fast, unknown[]> = {
  score: [
    { message: { $case: 'chunk', value: { layer: 'conv1 ü', dtype: 1, shape: [1000, 3, 300000], data } } },
    { message: { $case: 'chunk', value: { layer: '', dtype: 0, shape: [], data } } },
    { message: { $case: 'chunk', value: { layer: 'x', dtype: 2, shape: [2], data: Buffer.alloc(0) } } },
    { message: { $case: 'header', value: { teacherId: 't', rdmMethod: 1, comparator: 3, teacherLayers: ['a', 'b'], alsoComparators: [5], bootstrap: 100, bootstrapSeed: 7 } } },
  ],
  create: [
    { message: { $case: 'chunk', value: { layer: 'IT', dtype: 3, shape: [5, 128], data: Buffer.alloc(300, 7) } } },
    { message: { $case: 'header', value: { id: 'x', description: 'd', numStimuli: 5, stimulusIds: ['a'], rdmMethod: 0, storeGram: true, repetitions: true, missingRepetitions: false, ceilingSplits: 3, ceilingSeed: 0, tgLayers: ['a', 'b'] } } },
  ],
  compare: [
    { message: { $case: 'rdm', value: { side: 2, chunk: { layer: 'T', dtype: 1, size: 1000, offset: 2 ** 40 + 3, data } } } },
    { message: { $case: 'rdm', value: { side: 0, chunk: { layer: '', dtype: 0, size: 0, offset: 0, data } } } },
    { message: { $case: 'header', value: { teacherId: '', comparator: 1, numStimuli: 9, bootstrap: 0, bootstrapSeed: 0, teacherLayers: [] } } },
    { message: { $case: 'header', value: { teacherId: 't', comparator: 1, numStimuli: 9, bootstrap: 0, bootstrapSeed: 0, teacherLayers: ['*'] } } },
  ],
  matrix: [
    { layer: 'V1', dtype: 3, size: 70000, offset: 12345678901, data },
    { layer: '', dtype: 0, size: 0, offset: 0, data: Buffer.alloc(0) },
  ],
};

test('fast codecs write what ts-proto reads and read what ts-proto writes', () => {
  for (const key of Object.keys(fast) as Array<keyof typeof fast>) {
    for (const m of samples[key]) {
      const ours = fast[key].encode(m).finish();
      const theirs = slow[key].encode(m).finish();
      assert.deepEqual(slow[key].decode(ours), slow[key].decode(theirs), `${key}: ts-proto reads ours`);
      assert.deepEqual(fast[key].decode(theirs), slow[key].decode(theirs), `${key}: we read ts-proto's`);
      assert.deepEqual(Buffer.from(ours), Buffer.from(theirs), `${key}: same bytes`);
    }
  }
});

test('payloads are read as views, not copies; malformed input falls back to the generated decoder', () => {
  const bytes = fast.score.encode(samples.score[0]).finish();
  const decoded = fast.score.decode(bytes) as ScoreActivationsRequest;
  const chunk = decoded.message?.$case === 'chunk' ? decoded.message.value : undefined;
  assert.ok(chunk && chunk.data.buffer === (bytes as Buffer).buffer);
  assert.throws(() => fast.score.decode(bytes.subarray(0, bytes.length - 3)));
});

test('a first chunk (packed shape) and an RDM upload decode on the fast path, not through the fallback', () => {
  // fastLayerChunk.decode has no fallback: a misread packed shape throws
  const data = Buffer.from(new Float32Array([1, -2, 3.5, 4]).buffer);
  const c = fastLayerChunk.decode(fastLayerChunk.encode({ layer: 'conv1', dtype: 1, shape: [2, 300, 2], data }));
  assert.deepEqual([c.layer, c.dtype, c.shape, Buffer.from(c.data)], ['conv1', 1, [2, 300, 2], data]);
  const rdm: CompareRdmsRequest = {
    message: { $case: 'rdm', value: { side: 2, chunk: { layer: 'r', dtype: 1, size: 2, offset: 0, data } } },
  };
  const bytes = fast.compare.encode(rdm).finish();
  const back = fast.compare.decode(bytes) as CompareRdmsRequest;
  const chunk = back.message?.$case === 'rdm' ? back.message.value.chunk : undefined;
  assert.ok(chunk && chunk.data.buffer === (bytes as Buffer).buffer, 'a view of the received bytes');
  assert.deepEqual(back, CompareRdmsRequest.decode(bytes));
});

test('encoded bulk messages reach grpc-js without a copy: Buffer.from views them (as nice-grpc serializes)', () => {
  const data = Buffer.from(new Float32Array(300_000).fill(1.5).buffer);
  const m: ScoreActivationsRequest = { message: { $case: 'chunk', value: { layer: '', dtype: 0, shape: [], data } } };
  const encoded = fast.score.encode(m).finish();
  const handedOn = Buffer.from(encoded);
  assert.equal(handedOn.buffer, (encoded as Buffer).buffer);
  assert.equal(handedOn.byteLength, encoded.byteLength);
  assert.deepEqual(handedOn, Buffer.from(ScoreActivationsRequest.encode(m).finish()));
});

test('hostile nested lengths: a field longer than its enclosing message is refused, never read past it', () => {
  // packed shape claiming 10 bytes of a 2-byte remainder; data claiming 65535 bytes of 3
  assert.throws(() => fastLayerChunk.decode(Buffer.from([0x1a, 0x0a, 0x01, 0x02])), /length \d+ overruns its message/);
  assert.throws(() => fastLayerChunk.decode(Buffer.from([0x22, 0xff, 0xff, 0x03, 1, 2, 3])), /length \d+ overruns its message/);
  assert.throws(() => fastLayerChunk.decode(Buffer.from([0x0a, 0x05, 0x61])), /length \d+ overruns its message/);
  // an RDM upload whose chunk claims 5 bytes but the upload holds 2 more, followed by bytes of another field: the
  // fast path refuses it, and the generated decoder (the fallback) rejects the truncated message too
  const upload = [0x08, 0x01, 0x12, 0x05, 0x08, 0x01];
  const bytes = Buffer.from([0x12, upload.length, ...upload]);
  assert.throws(() => fast.compare.decode(bytes));
});
