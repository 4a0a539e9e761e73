// A candidate layer the teacher's RDM method cannot use (constant on some stimulus: every ReLU off for it) is left
// out of TG instead of failing the candidate: the rule (constantRow) agrees with the one the scorer rejects rows by,
// and scoreLayers against a real scorer skips exactly such layers, lists them, and scores the rest as if alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeacherRequests } from '../../clients/ts/index.ts';
import { RdmMethod } from '../../gen/tgsage/v1/similarity.ts';
import { Comparator } from '../../gen/tgsage/v1/similarity.ts';
import { constantRow, transformFor } from '../../services/compute/activations.ts';
import type { RdmMethod as RdmMethodName } from '../../services/compute/types.ts';
import { scoreLayers } from '../../services/trainer/scoring.ts';
import type { LayerActivations } from '../../services/trainer/activations.ts';
import { randomMatrix } from '../support/reference.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const N = 40;
let dir: Awaited<ReturnType<typeof tempDir>>;
let svc: TestServices;

before(async () => {
  dir = await tempDir();
  svc = await startServices(['teacher-cache', 'scorer'], { dataDir: dir.path });
  for (const [id, rdmMethod] of [['corr', RdmMethod.RDM_METHOD_CORRELATION], ['euc', RdmMethod.RDM_METHOD_EUCLIDEAN]] as const) {
    await svc.clients.teacherCache.createTeacher(
      createTeacherRequests({ id, numStimuli: N, rdmMethod }, [{ name: 'IT', shape: [N, 6], data: randomMatrix(N, 6, 1) }]),
    );
  }
});
after(async () => {
  await svc.close();
  await dir.remove();
});

/** A ReLU layer of N x d activations with every unit off for stimulus `dead` (or none). */
function relu(seed: number, d: number, dead?: number): LayerActivations {
  const data = randomMatrix(N, d, seed).map((v) => Math.max(0, v));
  if (dead !== undefined) data.fill(0, dead * d, (dead + 1) * d);
  return { name: `L${seed}`, shape: [N, d], data };
}

async function* from(layers: LayerActivations[]) {
  yield* layers;
}

const score = (teacherId: string, rdmMethod: RdmMethodName, layers: LayerActivations[]) =>
  scoreLayers({ scorer: svc.clients.scorer, teacherId, comparator: Comparator.COMPARATOR_SPEARMAN, rdmMethod, layers: from(layers) });

describe('dead candidate layers', () => {
  it('constantRow finds the row transformFor rejects, for every method, near the threshold too', () => {
    for (const method of ['correlation', 'cosine', 'euclidean'] as const) {
      for (let trial = 0; trial < 60; trial++) {
        const n = 5;
        const d = 1 + (trial % 7);
        const data = randomMatrix(n, d, trial + 100);
        const row = trial % (n + 1); // n: no constant row
        if (row < n) {
          const base = trial % 3 === 0 ? 0 : 1e6 * (trial % 5); // zero rows, and large offsets with tiny spread
          for (let k = 0; k < d; k++) data[row * d + k] = base + (trial % 2 === 0 ? 0 : 1e-12 * k);
        }
        let rejected = -1;
        try {
          transformFor({ n, d, data }, method);
        } catch (e) {
          rejected = Number(/row (\d+)/.exec(String(e))?.[1]);
        }
        assert.equal(constantRow(data, n, d, method), rejected, `${method}, trial ${trial}`);
      }
    }
  });

  it('are skipped and listed; TG is the other layers\' TG, exactly as if they came alone', async () => {
    const good = [relu(1, 8), relu(2, 12)];
    const dead = relu(3, 10, 7);
    const withDead = await score('corr', 'correlation', [good[0]!, dead, good[1]!]);
    const alone = await score('corr', 'correlation', good);
    assert.deepEqual(withDead.similarity.candidateLayers, ['L1', 'L2']);
    assert.deepEqual(withDead.similarity.skippedLayers, ['L3']);
    assert.deepEqual(alone.similarity.skippedLayers, []);
    assert.equal(withDead.similarity.tg, alone.similarity.tg);
    assert.deepEqual(withDead.similarity.similarity, alone.similarity.similarity);
    assert.ok(withDead.previews.every((p) => p.layer !== 'L3'));
  });

  it('are scored when the teacher\'s method can use them (euclidean)', async () => {
    const r = await score('euc', 'euclidean', [relu(1, 8), relu(3, 10, 7)]);
    assert.deepEqual(r.similarity.candidateLayers, ['L1', 'L3']);
    assert.deepEqual(r.similarity.skippedLayers, []);
  });

  it('a candidate with no usable layer still fails, INVALID_ARGUMENT naming the layers', async () => {
    await assert.rejects(score('corr', 'correlation', [relu(3, 10, 7), relu(4, 5, 0)]), {
      name: 'InvalidArgumentError',
      message: /^activations: every candidate layer \(L3, L4\) is constant on some stimulus/,
    });
  });
});
