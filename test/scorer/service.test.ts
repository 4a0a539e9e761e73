// The scorer on 127.0.0.1:0, reading teachers from a separate teacher-cache server over gRPC: TG and the matrix
// against an independent float64 reference, every bad input with its status, CompareRdms, CKA, cache invalidation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Status } from 'nice-grpc';
import { compareRdmsRequests, createTeacherRequests, scoreRequests, type LayerInput } from '../../clients/ts/index.ts';
import type { ScoreActivationsRequest } from '../../gen/tgsage/v1/scorer.ts';
import { Comparator, RdmMethod, type SimilarityResult } from '../../gen/tgsage/v1/similarity.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { expectStatus } from '../support/grpc.ts';
import { mixed, randomMatrix, referenceCka, referenceCkaUnbiased, referenceCosine, referenceKendall, referencePearson, referenceRdm, referenceSpearman } from '../support/reference.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const n = 30;
const limits = { maxStimuli: 100, maxFeaturesPerLayer: 400, maxScoreBytes: 200_000, maxLayers: 6 };
let dir: Awaited<ReturnType<typeof tempDir>>;
let cache: TestServices;
let scorer: TestServices;

const v1 = randomMatrix(n, 24, 11);
const it = mixed(v1, n, 24, 10, 0.8, 12);
const teacher: LayerInput[] = [
  { name: 'V1', shape: [n, 24], data: v1 },
  { name: 'IT', shape: [n, 10], data: it },
];
const candidate: LayerInput[] = [
  { name: 'conv1', shape: [n, 4, 4], data: mixed(v1, n, 24, 16, 0.3, 13) },
  { name: 'conv2', shape: [n, 20], data: mixed(it, n, 10, 20, 0.5, 14) },
  { name: 'noise', shape: [n, 9], data: randomMatrix(n, 9, 15) },
];

before(async () => {
  dir = await tempDir();
  cache = await startServices(['teacher-cache'], { dataDir: dir.path });
  scorer = await startServices(['scorer'], { teacherCacheAddress: cache.address('teacher-cache'), limits, dataDir: dir.path });
  await cache.clients.teacherCache.createTeacher(createTeacherRequests({ id: 'ventral', numStimuli: n, storeGram: true }, teacher));
  await cache.clients.teacherCache.createTeacher(
    createTeacherRequests({ id: 'cosine-teacher', numStimuli: n, rdmMethod: RdmMethod.RDM_METHOD_COSINE }, teacher),
  );
});
after(async () => {
  await scorer.close();
  await cache.close();
  await dir.remove();
});

type Ref = (a: Float64Array, b: Float64Array) => number;
const spearman: Ref = (a, b) => referenceSpearman(a, b, n);

function referenceMatrix(cand: LayerInput[], teach: LayerInput[], compare: Ref): number[] {
  const rdm = (l: LayerInput) => referenceRdm(l.data, n, l.data.length / n);
  const t = teach.map(rdm);
  return cand.flatMap((c) => {
    const r = rdm(c);
    return t.map((tr) => compare(r, tr));
  });
}

function checkResult(res: SimilarityResult, ref: number[], cand: string[], teach: string[], tol = 1e-4) {
  assert.deepEqual(res.candidateLayers, cand);
  assert.deepEqual(res.teacherLayers, teach);
  assert.equal(res.similarity.length, ref.length);
  res.similarity.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < tol, `similarity[${i}] = ${v}, reference ${ref[i]}`));
  // best per teacher layer and TG, from the reference
  let tg = 0;
  teach.forEach((t, j) => {
    let bi = 0;
    for (let i = 1; i < cand.length; i++) if (ref[i * teach.length + j]! > ref[bi * teach.length + j]!) bi = i;
    assert.equal(res.best[j]!.teacherLayer, t);
    assert.equal(res.best[j]!.candidateLayer, cand[bi]);
    tg += ref[bi * teach.length + j]!;
  });
  assert.ok(Math.abs(res.tg - tg / teach.length) < tol, `tg ${res.tg} vs ${tg / teach.length}`);
  assert.equal(res.numStimuli, n);
  assert.ok(res.computeSeconds >= 0);
}

const score = (header: Parameters<typeof scoreRequests>[0], layers = candidate, maxChunkBytes?: number) =>
  scorer.clients.scorer.scoreActivations(scoreRequests(header, layers, { maxChunkBytes }));

async function stillServes() {
  const res = await score({ teacherId: 'ventral' }, candidate.slice(0, 1));
  assert.equal(res.candidateLayers[0], 'conv1');
}

test('ScoreActivations: matrix, best matches and TG match a float64 Spearman reference', async () => {
  const res = await score({ teacherId: 'ventral' }, candidate, 333);
  assert.equal(res.comparator, Comparator.COMPARATOR_SPEARMAN);
  assert.equal(res.rdmMethod, RdmMethod.RDM_METHOD_CORRELATION);
  checkResult(res, referenceMatrix(candidate, teacher, spearman), ['conv1', 'conv2', 'noise'], ['V1', 'IT']);
  assert.equal(res.best[0]!.candidateLayer, 'conv1');
  assert.equal(res.best[1]!.candidateLayer, 'conv2');
});

test('float16 and float64 candidate chunks score like float32', async () => {
  const f64 = candidate.map((l) => ({ ...l, data: new Float64Array(l.data) }));
  const res64 = await score({ teacherId: 'ventral' }, f64);
  checkResult(res64, referenceMatrix(candidate, teacher, spearman), ['conv1', 'conv2', 'noise'], ['V1', 'IT']);
  // float16 by hand: 0.5-step values are exact in half precision
  const half = (x: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatLE(x);
    const f = b.readUInt32LE();
    return ((f >>> 16) & 0x8000) | ((((f >>> 23) & 0xff) - 112) << 10) | ((f >>> 13) & 0x3ff);
  };
  const vals = randomMatrix(n, 6, 21).map((v) => Math.round(v * 8) / 2 + 8);
  const bytes = Buffer.alloc(vals.length * 2);
  vals.forEach((v, i) => bytes.writeUInt16LE(half(v), 2 * i));
  async function* req(): AsyncGenerator<ScoreActivationsRequest> {
    yield { message: { $case: 'header', value: { teacherId: 'ventral', rdmMethod: 0, comparator: 0, teacherLayers: [], alsoComparators: [], bootstrap: 0, bootstrapSeed: 0 } } };
    yield { message: { $case: 'chunk', value: { layer: 'h', dtype: DType.DTYPE_FLOAT16, shape: [n, 6], data: bytes } } };
  }
  const res16 = await scorer.clients.scorer.scoreActivations(req());
  checkResult(res16, referenceMatrix([{ name: 'h', shape: [n, 6], data: vals }], teacher, spearman), ['h'], ['V1', 'IT']);
});

test('teacher layer subset; Pearson, Kendall tau-a and cosine comparators', async () => {
  const cases: Array<[Comparator, Ref]> = [
    [Comparator.COMPARATOR_PEARSON, (a, b) => referencePearson(a, b, n)],
    [Comparator.COMPARATOR_KENDALL_TAU_A, (a, b) => referenceKendall(a, b, n)],
    [Comparator.COMPARATOR_COSINE, (a, b) => referenceCosine(a, b, n)],
  ];
  for (const [comparator, ref] of cases) {
    const res = await score({ teacherId: 'ventral', teacherLayers: ['IT'], comparator });
    assert.equal(res.comparator, comparator);
    checkResult(res, referenceMatrix(candidate, teacher.slice(1), ref), ['conv1', 'conv2', 'noise'], ['IT']);
  }
});

test('CKA from the stored Gram matrices matches a float64 reference', async () => {
  const res = await score({ teacherId: 'ventral', comparator: Comparator.COMPARATOR_CKA_LINEAR });
  assert.equal(res.rdmMethod, RdmMethod.RDM_METHOD_UNSPECIFIED);
  const ref = candidate.flatMap((c) => teacher.map((t) => referenceCka(c.data, t.data, n, c.data.length / n, t.data.length / n)));
  checkResult(res, ref, ['conv1', 'conv2', 'noise'], ['V1', 'IT']);
  if (process.env['TGSAGE_TEST_BACKEND'] !== 'naive') {
    const unbiased = await score({ teacherId: 'ventral', comparator: Comparator.COMPARATOR_CKA_LINEAR_UNBIASED });
    const refU = candidate.flatMap((c) => teacher.map((t) => referenceCkaUnbiased(c.data, t.data, n, c.data.length / n, t.data.length / n)));
    checkResult(unbiased, refU, ['conv1', 'conv2', 'noise'], ['V1', 'IT']);
  }
  await expectStatus(score({ teacherId: 'cosine-teacher', comparator: Comparator.COMPARATOR_CKA_LINEAR }), Status.FAILED_PRECONDITION, /without Gram matrices/);
  await stillServes();
});

test('one pass under several comparators (also_comparators) equals each comparator alone, against float64 references', async () => {
  const res = await score({
    teacherId: 'ventral',
    comparator: Comparator.COMPARATOR_SPEARMAN,
    alsoComparators: [Comparator.COMPARATOR_CKA_LINEAR, Comparator.COMPARATOR_PEARSON],
  });
  const layers = ['conv1', 'conv2', 'noise'];
  checkResult(res, referenceMatrix(candidate, teacher, spearman), layers, ['V1', 'IT']);
  assert.equal(res.also.length, 2);
  const [cka, pearson] = res.also;
  assert.equal(cka!.comparator, Comparator.COMPARATOR_CKA_LINEAR);
  assert.equal(cka!.rdmMethod, RdmMethod.RDM_METHOD_UNSPECIFIED);
  const refCka = candidate.flatMap((c) => teacher.map((t) => referenceCka(c.data, t.data, n, c.data.length / n, t.data.length / n)));
  checkResult(cka!, refCka, layers, ['V1', 'IT']);
  assert.equal(pearson!.comparator, Comparator.COMPARATOR_PEARSON);
  checkResult(pearson!, referenceMatrix(candidate, teacher, (a, b) => referencePearson(a, b, n)), layers, ['V1', 'IT']);
  assert.deepEqual(cka!.also, []);
  // CKA first, RDM comparators after; a teacher layer subset applies to all
  const sub = await score({ teacherId: 'ventral', teacherLayers: ['IT'], comparator: Comparator.COMPARATOR_CKA_LINEAR, alsoComparators: [Comparator.COMPARATOR_SPEARMAN] });
  checkResult(sub, refCka.filter((_, i) => i % 2 === 1), layers, ['IT']);
  checkResult(sub.also[0]!, referenceMatrix(candidate, teacher.slice(1), spearman), layers, ['IT']);
  await expectStatus(
    score({ teacherId: 'ventral', comparator: Comparator.COMPARATOR_SPEARMAN, alsoComparators: [Comparator.COMPARATOR_SPEARMAN] }),
    Status.INVALID_ARGUMENT,
    /header\.also_comparators.*twice/,
  );
  await expectStatus(score({ teacherId: 'ventral', alsoComparators: [99 as Comparator] }), Status.INVALID_ARGUMENT, /header\.also_comparators\[0\]/);
  await expectStatus(
    score({ teacherId: 'cosine-teacher', comparator: Comparator.COMPARATOR_SPEARMAN, alsoComparators: [Comparator.COMPARATOR_CKA_LINEAR] }),
    Status.FAILED_PRECONDITION,
    /without Gram matrices/,
  );
  await stillServes();
});

test('CompareRdms with the caller bringing both sides, and with a cached teacher', async () => {
  const rdm = (l: LayerInput) => new Float32Array(referenceRdm(l.data, n, l.data.length / n));
  const both = await scorer.clients.scorer.compareRdms(
    compareRdmsRequests({ numStimuli: n }, [
      { name: 'T1', side: 'teacher', data: rdm(teacher[0]!) },
      { name: 'c1', side: 'candidate', data: rdm(candidate[0]!) },
      { name: 'c2', side: 'candidate', data: new Float64Array(rdm(candidate[1]!)) },
      { name: 'T2', side: 'teacher', data: rdm(teacher[1]!) },
    ], { maxChunkBytes: 500 }),
  );
  const ref = referenceMatrix(candidate.slice(0, 2), teacher, spearman);
  checkResult(both, ref, ['c1', 'c2'], ['T1', 'T2']);
  assert.equal(both.teacherId, '');
  const cached = await scorer.clients.scorer.compareRdms(
    compareRdmsRequests({ numStimuli: n, teacherId: 'ventral' }, [{ name: 'c1', side: 'candidate', data: rdm(candidate[0]!) }]),
  );
  checkResult(cached, ref.slice(0, 2), ['c1'], ['V1', 'IT']);
  await expectStatus(
    scorer.clients.scorer.compareRdms(compareRdmsRequests({ numStimuli: n, teacherId: 'ventral' }, [{ name: 'x', side: 'teacher', data: rdm(teacher[0]!) }])),
    Status.INVALID_ARGUMENT,
    /^rdm\.side: /,
  );
  await expectStatus(
    scorer.clients.scorer.compareRdms(compareRdmsRequests({ numStimuli: n + 1, teacherId: 'ventral' }, [])),
    Status.INVALID_ARGUMENT,
    /^header\.num_stimuli: 31 differs/,
  );
  await expectStatus(
    scorer.clients.scorer.compareRdms(compareRdmsRequests({ numStimuli: n, comparator: Comparator.COMPARATOR_CKA_LINEAR }, [])),
    Status.INVALID_ARGUMENT,
    /^header\.comparator: /,
  );
  await stillServes();
});

test('unknown teacher: NOT_FOUND', async () => {
  await expectStatus(score({ teacherId: 'ghost' }), Status.NOT_FOUND, /teacher "ghost" not found/);
  await stillServes();
});

test('header problems: missing, repeated, method mismatch, unknown teacher layer (INVALID_ARGUMENT)', async () => {
  async function* noHeader(): AsyncGenerator<ScoreActivationsRequest> {
    yield { message: { $case: 'chunk', value: { layer: 'a', dtype: 1, shape: [n, 1], data: Buffer.alloc(4 * n) } } };
  }
  await expectStatus(scorer.clients.scorer.scoreActivations(noHeader()), Status.INVALID_ARGUMENT, /^header: missing/);
  await stillServes();
  async function* twoHeaders(): AsyncGenerator<ScoreActivationsRequest> {
    const header = { teacherId: 'ventral', rdmMethod: 0, comparator: 0, teacherLayers: [], alsoComparators: [], bootstrap: 0, bootstrapSeed: 0 };
    yield { message: { $case: 'header', value: header } };
    yield { message: { $case: 'header', value: header } };
  }
  await expectStatus(scorer.clients.scorer.scoreActivations(twoHeaders()), Status.INVALID_ARGUMENT, /^header: repeated/);
  await stillServes();
  await expectStatus(score({ teacherId: '' }), Status.INVALID_ARGUMENT, /^header\.teacher_id: missing/);
  await expectStatus(score({ teacherId: 'ventral', rdmMethod: RdmMethod.RDM_METHOD_EUCLIDEAN }), Status.INVALID_ARGUMENT, /^header\.rdm_method: teacher "ventral" stores correlation RDMs/);
  await expectStatus(score({ teacherId: 'ventral', teacherLayers: ['V4'] }), Status.INVALID_ARGUMENT, /^header\.teacher_layers: teacher "ventral" has no layer "V4"/);
  await stillServes();
});

test('candidate data problems: stimulus count, byte length, NaN, constant row, duplicate layer (INVALID_ARGUMENT)', async () => {
  const good = candidate[0]!;
  await expectStatus(score({ teacherId: 'ventral' }, [{ name: 'a', shape: [n - 1, 16], data: good.data.subarray(0, (n - 1) * 16) }]), Status.INVALID_ARGUMENT, /^chunk\.shape\[0\]: layer "a" has 29 stimuli .* 30 are expected/);
  await stillServes();
  await expectStatus(score({ teacherId: 'ventral' }, [{ name: 'a', shape: [n, 15], data: good.data }]), Status.INVALID_ARGUMENT, /^chunk\.data: layer "a": more bytes than dtype x shape/);
  await stillServes();
  await expectStatus(score({ teacherId: 'ventral' }, [{ name: 'a', shape: [n, 17], data: good.data }]), Status.INVALID_ARGUMENT, /^chunk\.data: layer "a" ended short/);
  await stillServes();
  const nan = new Float32Array(good.data);
  nan[16 * 3 + 2] = NaN;
  await expectStatus(score({ teacherId: 'ventral' }, [{ ...good, data: nan }]), Status.INVALID_ARGUMENT, /^chunk\.data: layer "conv1" row 3 \(feature 2\) is NaN/);
  await stillServes();
  const flat = new Float32Array(good.data);
  flat.fill(1, 16 * 4, 16 * 5);
  await expectStatus(score({ teacherId: 'ventral' }, [candidate[1]!, { ...good, data: flat }]), Status.INVALID_ARGUMENT, /^chunk\.data: layer "conv1" row 4 is constant/);
  await stillServes();
  await expectStatus(score({ teacherId: 'ventral' }, [good, good]), Status.INVALID_ARGUMENT, /^chunk\.layer: duplicate layer name "conv1"/);
  await stillServes();
  await expectStatus(score({ teacherId: 'ventral' }, []), Status.INVALID_ARGUMENT, /^chunk: no candidate layers/);
  await stillServes();
});

test('over a limit: RESOURCE_EXHAUSTED', async () => {
  const wide = { name: 'wide', shape: [n, 401], data: randomMatrix(n, 401, 3) };
  await expectStatus(score({ teacherId: 'ventral' }, [wide]), Status.RESOURCE_EXHAUSTED, /401 features per stimulus, over the limit of 400/);
  await stillServes();
  const many = Array.from({ length: 7 }, (_, i) => ({ ...candidate[2]!, name: `l${i}` }));
  await expectStatus(score({ teacherId: 'ventral' }, many), Status.RESOURCE_EXHAUSTED, /more than 6 candidate layers/);
  const big = Array.from({ length: 5 }, (_, i) => ({ name: `b${i}`, shape: [n, 400], data: randomMatrix(n, 400, i) }));
  await expectStatus(score({ teacherId: 'ventral' }, big), Status.RESOURCE_EXHAUSTED, /layer "b4" .* over the limit of 200000 bytes/);
  await stillServes();
});

test('a teacher deleted and re-created under the same id is not scored against stale RDMs', async () => {
  const id = 'reborn';
  await cache.clients.teacherCache.createTeacher(createTeacherRequests({ id, numStimuli: n }, teacher));
  const first = await score({ teacherId: id });
  checkResult(first, referenceMatrix(candidate, teacher, spearman), ['conv1', 'conv2', 'noise'], ['V1', 'IT']);
  await cache.clients.teacherCache.deleteTeacher({ id });
  await expectStatus(score({ teacherId: id }), Status.NOT_FOUND);
  const other: LayerInput[] = [{ name: 'X', shape: [n, 9], data: candidate[2]!.data }];
  await cache.clients.teacherCache.createTeacher(createTeacherRequests({ id, numStimuli: n }, other));
  const second = await score({ teacherId: id });
  checkResult(second, referenceMatrix(candidate, other, spearman), ['conv1', 'conv2', 'noise'], ['X']);
  assert.ok(Math.abs(second.similarity[2]! - 1) < 1e-6);
});

test('teacher cache down: UNAVAILABLE, naming the address', async () => {
  const lonely = await startServices(['scorer'], { teacherCacheAddress: '127.0.0.1:1', dataDir: dir.path });
  try {
    await expectStatus(lonely.clients.scorer.scoreActivations(scoreRequests({ teacherId: 'ventral' }, candidate)), Status.UNAVAILABLE, /teacher cache at 127\.0\.0\.1:1/);
  } finally {
    await lonely.close();
  }
});
