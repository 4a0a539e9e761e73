// Teachers with repetitions through real servers on 127.0.0.1:0 (teacher cache and a scorer reading it over gRPC):
// upload from the TS client and the Python client, ceilings shown by GetTeacher / ListTeachers and equal to the domain
// computation, every bad upload with its status and field, scores with ceiling-normalised similarities and a
// bootstrap, and the servers still serving after each error.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { Status } from 'nice-grpc';
import { compareRdmsRequests, createTeacherRequests, scoreRequests, type LayerInput } from '../../clients/ts/index.ts';
import { Comparator } from '../../gen/tgsage/v1/similarity.ts';
import { createCompute } from '../../services/compute/index.ts';
import { noiseCeilings } from '../../services/teacher-cache/ceiling.ts';
import { expectStatus } from '../support/grpc.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { mixed, randomMatrix } from '../support/reference.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const N = 24;
const R = 4;
const SITES = 16;
const base = randomMatrix(N, 12, 1);
const signal = mixed(base, N, 12, SITES, 0.1, 2);
/** R noisy repetitions of `signal`, repetition-major. */
function recordings(noise: number, seed: number): Float32Array {
  const z = randomMatrix(R * N, SITES, seed);
  const out = new Float32Array(R * N * SITES);
  for (let r = 0; r < R; r++) for (let t = 0; t < N * SITES; t++) out[r * N * SITES + t] = signal[t]! + noise * z[r * N * SITES + t]!;
  return out;
}

describe('teachers with repetitions over gRPC', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let cache: TestServices;
  let scorer: TestServices;
  const it_ = recordings(0.6, 3);
  const withMissing = recordings(0.6, 4);
  withMissing[5] = Number.NaN; // repetition 0, stimulus 0, site 5
  withMissing[N * SITES * 2 + 40] = Number.NaN;

  before(async () => {
    dir = await tempDir();
    cache = await startServices(['teacher-cache'], { dataDir: dir.path });
    scorer = await startServices(['scorer'], { teacherCacheAddress: cache.address('teacher-cache'), dataDir: dir.path });
  });
  after(async () => {
    await scorer?.close();
    await cache?.close();
    await dir?.remove();
  });

  it('stores ceilings computed exactly as the domain does, and shows them in get and list', async () => {
    const t = await cache.clients.teacherCache.createTeacher(
      createTeacherRequests(
        { id: 'monkey', numStimuli: N, repetitions: true, missingRepetitions: true, ceilingSplits: 10, ceilingSeed: 7 },
        [{ name: 'IT', shape: [R, N, SITES], data: withMissing }],
      ),
    );
    assert.equal(t.repetitions, true);
    const layer = t.layers[0]!;
    assert.deepEqual(layer.shape, [R, N, SITES]);
    assert.equal(layer.repetitions, R);
    assert.equal(layer.missingValues, 2);
    assert.deepEqual(layer.ceilings.map((c) => c.comparator), [Comparator.COMPARATOR_SPEARMAN, Comparator.COMPARATOR_PEARSON, Comparator.COMPARATOR_KENDALL_TAU_A, Comparator.COMPARATOR_COSINE]);
    const compute = await createCompute({ backend: 'cpu' });
    const expected = await noiseCeilings(compute, { name: 'IT', shape: [R, N, SITES], n: N, d: SITES, repetitions: R, data: withMissing }, {
      method: 'correlation',
      comparators: ['spearman', 'pearson', 'kendall', 'cosine'],
      splits: 10,
      seed: 7,
    });
    await compute.dispose();
    expected.forEach((e, k) => {
      const got = layer.ceilings[k]!;
      assert.ok(Math.abs(got.splitHalf - e.splitHalf) < 1e-5, `${e.comparator}: ${got.splitHalf} vs ${e.splitHalf}`);
      assert.equal(got.splits, 10);
      assert.equal(got.hasBounds, true);
      assert.ok(Math.abs(got.lower - e.lower!) < 1e-5 && Math.abs(got.upper - e.upper!) < 1e-5);
    });
    const listed = (await cache.clients.teacherCache.listTeachers({})).teachers.find((x) => x.id === 'monkey')!;
    assert.deepEqual(listed.layers[0]!.ceilings, layer.ceilings);
    assert.deepEqual((await cache.clients.teacherCache.getTeacher({ id: 'monkey' })).layers[0]!.ceilings, layer.ceilings);
  });

  it('rejects bad uploads naming the field, stores nothing, and keeps serving', async () => {
    const put = (header: Parameters<typeof createTeacherRequests>[0], layers: LayerInput[]) =>
      cache.clients.teacherCache.createTeacher(createTeacherRequests(header, layers));
    const layer: LayerInput[] = [{ name: 'IT', shape: [R, N, SITES], data: withMissing }];
    await expectStatus(put({ id: 'nan', numStimuli: N, repetitions: true }, layer), Status.INVALID_ARGUMENT, /chunk\.data.*NaN.*declare missing repetitions/);
    await expectStatus(put({ id: 'flag', numStimuli: N, missingRepetitions: true }, layer), Status.INVALID_ARGUMENT, /header\.missing_repetitions/);
    await expectStatus(put({ id: 'splits', numStimuli: N, repetitions: true, ceilingSplits: 1e6 }, layer), Status.INVALID_ARGUMENT, /header\.ceiling_splits/);
    await expectStatus(put({ id: 'flat', numStimuli: N, repetitions: true }, [{ name: 'IT', shape: [N, SITES], data: signal }]), Status.INVALID_ARGUMENT, /chunk\.shape.*\[repetitions, stimuli/);
    await expectStatus(put({ id: 'count', numStimuli: N + 1, repetitions: true }, layer), Status.INVALID_ARGUMENT, /chunk\.shape\[1\]/);
    await expectStatus(
      put({ id: 'one', numStimuli: N, repetitions: true }, [{ name: 'IT', shape: [1, N, SITES], data: signal }]),
      Status.INVALID_ARGUMENT,
      /at least 2/,
    );
    const allMissing = withMissing.slice();
    for (let r = 0; r < R; r++) allMissing[r * N * SITES + 3 * SITES + 2] = Number.NaN;
    await expectStatus(
      put({ id: 'hole', numStimuli: N, repetitions: true, missingRepetitions: true }, [{ name: 'IT', shape: [R, N, SITES], data: allMissing }]),
      Status.INVALID_ARGUMENT,
      /site 2 has no repetition for stimulus 3/,
    );
    for (const id of ['nan', 'flag', 'splits', 'flat', 'count', 'one', 'hole']) {
      await expectStatus(cache.clients.teacherCache.getTeacher({ id }), Status.NOT_FOUND);
    }
  });

  it('scores with ceilings, normalised similarities, both TGs and a bootstrap', async () => {
    await cache.clients.teacherCache.createTeacher(
      createTeacherRequests({ id: 'clean', numStimuli: N, repetitions: true, ceilingSplits: 8 }, [{ name: 'IT', shape: [R, N, SITES], data: it_ }]),
    );
    const teacher = await cache.clients.teacherCache.getTeacher({ id: 'clean' });
    const ceiling = teacher.layers[0]!.ceilings.find((c) => c.comparator === Comparator.COMPARATOR_SPEARMAN)!.splitHalf;
    const candidate: LayerInput[] = [
      { name: 'good', shape: [N, 20], data: mixed(signal, N, SITES, 20, 0.2, 5) },
      { name: 'noise', shape: [N, 9], data: randomMatrix(N, 9, 6) },
    ];
    const r = await scorer.clients.scorer.scoreActivations(scoreRequests({ teacherId: 'clean', bootstrap: 200, bootstrapSeed: 3 }, candidate));
    assert.deepEqual(r.ceilings, [ceiling]);
    r.similarity.forEach((s, q) => assert.ok(Math.abs(r.normalizedSimilarity[q]! - s / ceiling) < 1e-12));
    assert.equal(r.best[0]!.candidateLayer, 'good');
    assert.ok(Math.abs(r.tgNormalized - r.tg / ceiling) < 1e-12);
    assert.ok(Math.abs(r.best[0]!.normalizedSimilarity - r.best[0]!.similarity / ceiling) < 1e-12);
    const b = r.bootstrap!;
    assert.equal(b.resamples, 200);
    assert.equal(b.confidence, 0.95);
    assert.ok(b.tgLow < r.tg && r.tg < b.tgHigh, `TG ${r.tg} outside [${b.tgLow}, ${b.tgHigh}]`);
    assert.ok(Math.abs(b.tgNormalizedLow - b.tgLow / ceiling) < 1e-12);
    assert.ok(r.best[0]!.pBest > 0.9 && r.best[0]!.pBest <= 1, `p(best) ${r.best[0]!.pBest}`);
    // the same seed gives the same intervals
    const again = await scorer.clients.scorer.scoreActivations(scoreRequests({ teacherId: 'clean', bootstrap: 200, bootstrapSeed: 3 }, candidate));
    assert.deepEqual(again.bootstrap, b);
    await expectStatus(
      scorer.clients.scorer.scoreActivations(scoreRequests({ teacherId: 'clean', bootstrap: 10, comparator: Comparator.COMPARATOR_KENDALL_TAU_A }, candidate)),
      Status.INVALID_ARGUMENT,
      /header\.bootstrap/,
    );
    // CompareRdms: teacher RDMs in the stream, with a bootstrap
    const rdm = await scorer.clients.scorer.compareRdms(
      compareRdmsRequests({ numStimuli: N, bootstrap: 20, bootstrapSeed: 1 }, [
        { name: 'a', side: 'candidate', data: await toRdm(candidate[0]!) },
        { name: 't', side: 'teacher', data: await toRdm({ name: 't', shape: [N, SITES], data: signal }) },
      ]),
    );
    assert.equal(rdm.bootstrap!.similarityLow.length, 1);
    assert.equal(rdm.ceilings.length, 0);
    assert.ok(Number.isNaN(rdm.tgNormalized));
  });

  it('the Python client uploads with repetitions=True and scores with a bootstrap', async () => {
    const script = `
import json, sys
import numpy as np
sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, 'clients', 'python'))})
from tgsage_client import ScorerClient, TeacherCacheClient
rng = np.random.default_rng(0)
signal = rng.standard_normal((${N}, 16))
reps = signal[None] + 0.5 * rng.standard_normal((4, ${N}, 16))
reps[1, 2, 3] = np.nan
cache = TeacherCacheClient()
t = cache.put("py-neural", {"IT": reps.astype(np.float32)}, repetitions=True, missing_repetitions=True, ceiling_splits=6)
r = ScorerClient().score("py-neural", {"model": (signal @ rng.standard_normal((16, 12))).astype(np.float32)}, bootstrap=30, seed=1)
print(json.dumps({"reps": t.layers[0].repetitions, "ceiling": t.layers[0].ceilings[0].split_half, "ceilings": r.ceilings.tolist(),
  "tgn": r.tg_normalized, "tg": r.tg, "low": r.raw.bootstrap.tg_low, "high": r.raw.bootstrap.tg_high}))
`;
    const env = {
      ...process.env,
      TGSAGE_TEACHER_CACHE_ADDR: cache.address('teacher-cache'),
      TGSAGE_SCORER_ADDR: scorer.address('scorer'),
      PYTHONDONTWRITEBYTECODE: '1',
    };
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script], { env });
    const out = JSON.parse(stdout) as { reps: number; ceiling: number; ceilings: number[]; tgn: number; tg: number; low: number; high: number };
    assert.equal(out.reps, 4);
    assert.deepEqual(out.ceilings, [out.ceiling]);
    assert.ok(Math.abs(out.tgn - out.tg / out.ceiling) < 1e-9);
    assert.ok(out.low <= out.tg && out.tg <= out.high);
  });
});

async function toRdm(layer: LayerInput): Promise<Float32Array> {
  const compute = await createCompute({ backend: 'cpu' });
  try {
    const n = layer.shape[0]!;
    return await compute.rdm({ n, d: layer.data.length / n, data: layer.data as Float32Array }, 'correlation');
  } finally {
    await compute.dispose();
  }
}
