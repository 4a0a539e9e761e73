// The whole system in ONE process: teacher cache, scorer, trainer and search controller from the registry, each on
// 127.0.0.1:0; a tiny uploaded teacher; a tiny study run end to end through RunStudy and watched by a second client;
// then ask/tell with activations scored by the real scorer, checked against a float64 reference written here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { createTgsageClients, type TgsageClients } from '../../clients/ts/index.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { type CompleteTrialRequest, ScoreKind, StudyConfig, StudyState, TrialState, type StudyEvent } from '../../gen/tgsage/v1/search_controller.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { activations, SMALL_GENOMES_SEED, startRealServices, TINY_STIMULI, type RealServices } from './real-services.ts';

const N = TINY_STIMULI;

function python(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/python3', args, { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }, (e, stdout, stderr) =>
      e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(stdout)));
}
const FEATURES = 12;

let services: RealServices;
let clients: TgsageClients;
let watcherClients: TgsageClients;

/** float64 reference: correlation-distance RDM upper triangle. */
function rdm(x: Float32Array, rows: number, cols: number): number[] {
  const z: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const r = Array.from(x.subarray(i * cols, (i + 1) * cols), Number);
    const m = r.reduce((s, v) => s + v, 0) / cols;
    const d = r.map((v) => v - m);
    const n = Math.sqrt(d.reduce((s, v) => s + v * v, 0));
    z.push(d.map((v) => v / n));
  }
  const out: number[] = [];
  for (let i = 0; i < rows; i++) for (let j = i + 1; j < rows; j++) out.push(1 - z[i]!.reduce((s, v, k) => s + v * z[j]![k]!, 0));
  return out;
}

function ranks(v: number[]): number[] {
  const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function spearman(a: number[], b: number[]): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const ma = ra.reduce((s, v) => s + v, 0) / ra.length;
  const mb = rb.reduce((s, v) => s + v, 0) / rb.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    sab += (ra[i]! - ma) * (rb[i]! - mb);
    saa += (ra[i]! - ma) ** 2;
    sbb += (rb[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const teacherActs = [activations(1, N, FEATURES), activations(2, N, FEATURES)];

before(async () => {
  services = await startRealServices(['teacher-cache', 'scorer', 'trainer', 'search-controller'], teacherActs);
  const addr = services.address;
  clients = createTgsageClients({ teacherCache: addr['teacher-cache'], scorer: addr.scorer, trainer: addr.trainer, controller: addr['search-controller'] });
  watcherClients = createTgsageClients({ controller: addr['search-controller'] });
});

after(async () => {
  clients?.close();
  watcherClients?.close();
  await services?.close();
});

describe('whole system in one process', () => {
  it('runs a tiny study end to end, watched by a second client', async () => {
    const config = StudyConfig.fromPartial({
      name: 'system',
      space: SearchSpace.SEARCH_SPACE_CONVNET,
      strategy: { strategy: { $case: 'random', value: {} } },
      score: ScoreKind.SCORE_KIND_P_TG,
      alpha: 0.5,
      stepsPerTrial: 2,
      numTrials: 3,
      teacherId: 'tiny',
      seed: SMALL_GENOMES_SEED,
      dataset: { name: 'mnist', numValidation: 50 },
      training: { batchSize: 8, evalSteps: [1] },
    });
    const runner = clients.controller.runStudy({ config })[Symbol.asyncIterator]();
    const first = await runner.next();
    assert.equal(first.value.event?.$case, 'snapshot');
    const studyId = first.value.studyId as string;
    assert.equal(first.value.event.value.config.dataset.numStimuli, N, 'stimulus count taken from the teacher');
    const watched: StudyEvent[] = [];
    const watching = (async () => {
      for await (const e of watcherClients.controller.watchStudy({ studyId })) watched.push(e);
    })();
    const pyWatch = python(['clients/python/examples/watch_study.py', studyId, '--controller', services.address['search-controller']!, '--json']);
    const ran: StudyEvent[] = [first.value];
    for (let r = await runner.next(); !r.done; r = await runner.next()) ran.push(r.value);
    await watching;
    for (const events of [ran, watched]) {
      assert.equal(events[0]!.event?.$case, 'snapshot');
      assert.equal(events.at(-1)!.event?.$case, 'studyFinished');
    }
    assert.ok(watched.some((e) => e.event?.$case === 'trialCompleted'), 'the watcher saw results live');
    const study = await clients.controller.getStudy({ studyId });
    assert.equal(study.state, StudyState.STUDY_STATE_FINISHED, study.error);
    // a Python client watched it too: snapshot first, the final event last
    const py = await pyWatch;
    const pyEvents = py.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok('snapshot' in pyEvents[0]! && 'studyFinished' in pyEvents.at(-1)!, py);
    assert.equal(study.trials.length, 3);
    for (const t of study.trials) {
      assert.equal(t.state, TrialState.TRIAL_STATE_COMPLETED, t.error);
      assert.ok(t.p! >= 0 && t.p! <= 1);
      assert.ok(t.tg! >= -1 && t.tg! <= 1);
      assert.ok(Math.abs(t.score! - (0.5 * t.p! + 0.5 * t.tg!)) < 1e-12);
      assert.equal(t.similarity?.teacherLayers.join(), 'L0,L1');
      assert.equal(t.steps, 2);
      // the learning curve, scored by the real scorer at each budget, is stored with the trial
      assert.deepEqual(t.curve.map((c) => c.step), [1, 2]);
      assert.equal(t.curve[1]!.validationAccuracy, t.p);
      assert.equal(t.curve[1]!.similarity?.tg, t.tg);
      assert.ok(t.curve[0]!.similarity!.tg >= -1 && t.curve[0]!.similarity!.tg <= 1);
      assert.ok(t.trainSeconds > 0 && t.queueSeconds >= 0 && t.trainSeconds + t.queueSeconds <= t.wallSeconds);
    }
    const points = ran.flatMap((e) => (e.event?.$case === 'trialProgress' && e.event.value.curvePoint ? [e.event.value.curvePoint.step] : []));
    assert.deepEqual(points.sort(), [1, 1, 1, 2, 2, 2], 'curve points streamed to watchers as measured');
  });

  it('ask/tell: the real scorer computes TG from streamed activations', async () => {
    const s = await clients.controller.createStudy({
      config: StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_NASNET, stepsPerTrial: 1, numTrials: 1, teacherId: 'tiny', score: ScoreKind.SCORE_KIND_TG }),
    });
    const [t] = (await clients.controller.suggestTrials({ studyId: s.id, clientId: 'py', count: 1 })).trials;
    assert.ok(t?.genome?.space?.$case === 'nasnet');
    const cand = activations(9, N, 20);
    const half = (N / 2) * 20;
    const done = await clients.controller.completeTrial(
      (async function* () {
        yield { message: { $case: 'header' as const, value: { studyId: s.id, trialId: t!.id, clientId: 'py', p: 0.5 } } } as CompleteTrialRequest;
        // one layer in two chunks
        yield { message: { $case: 'chunk' as const, value: { layer: 'c', dtype: DType.DTYPE_FLOAT32, shape: [N, 20], data: Buffer.from(cand.buffer, 0, half * 4) } } } as CompleteTrialRequest;
        yield { message: { $case: 'chunk' as const, value: { layer: '', dtype: DType.DTYPE_FLOAT32, shape: [], data: Buffer.from(cand.buffer, half * 4) } } } as CompleteTrialRequest;
      })(),
    );
    const ref = rdm(cand, N, 20);
    const expected = teacherActs.map((a) => spearman(ref, rdm(a, N, FEATURES)));
    const tg = expected.reduce((x, y) => x + y, 0) / expected.length;
    assert.ok(Math.abs(done.tg! - tg) < 1e-4, `TG ${done.tg} vs reference ${tg}`);
    assert.equal(done.score, done.tg);
    assert.equal(done.p, 0.5);
  });

  it("teacher_layers: a study fixes the teacher's tg_layers when created; trials and ask/tell score against them", async () => {
    await clients.teacherCache.setTgLayers({ id: 'tiny', tgLayers: ['L1'] });
    try {
      const run = async (over: Partial<StudyConfig>) => {
        const config = StudyConfig.fromPartial({
          space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 1, numTrials: 1, teacherId: 'tiny', seed: SMALL_GENOMES_SEED,
          score: ScoreKind.SCORE_KIND_P_TG, dataset: { name: 'mnist', numValidation: 50 }, training: { batchSize: 8 }, ...over,
        });
        let studyId = '';
        for await (const e of clients.controller.runStudy({ config })) studyId ||= e.studyId;
        return clients.controller.getStudy({ studyId });
      };
      const byDefault = await run({});
      assert.deepEqual(byDefault.config?.teacherLayers, ['L1'], 'fixed at creation');
      assert.equal(byDefault.trials[0]!.similarity?.teacherLayers.join(), 'L1', byDefault.trials[0]!.error);
      const all = await run({ teacherLayers: ['*'] });
      assert.deepEqual(all.config?.teacherLayers, ['*']);
      assert.equal(all.trials[0]!.similarity?.teacherLayers.join(), 'L0,L1');
      await assert.rejects(run({ teacherLayers: ['L9'] }), /teacher_layers: teacher "tiny" has no layer "L9"/);

      const s = await clients.controller.createStudy({
        config: StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_NASNET, stepsPerTrial: 1, numTrials: 1, teacherId: 'tiny', score: ScoreKind.SCORE_KIND_TG }),
      });
      // the teacher's default changing after creation does not change the study's TG
      await clients.teacherCache.setTgLayers({ id: 'tiny', tgLayers: ['L0'] });
      const [t] = (await clients.controller.suggestTrials({ studyId: s.id, clientId: 'py', count: 1 })).trials;
      const cand = activations(9, N, 20);
      const done = await clients.controller.completeTrial(
        (async function* () {
          yield { message: { $case: 'header' as const, value: { studyId: s.id, trialId: t!.id, clientId: 'py', p: 0.5 } } } as CompleteTrialRequest;
          yield { message: { $case: 'chunk' as const, value: { layer: 'c', dtype: DType.DTYPE_FLOAT32, shape: [N, 20], data: Buffer.from(cand.buffer) } } } as CompleteTrialRequest;
        })(),
      );
      const tg = spearman(rdm(cand, N, 20), rdm(teacherActs[1]!, N, FEATURES));
      assert.equal(done.similarity?.teacherLayers.join(), 'L1');
      assert.ok(Math.abs(done.tg! - tg) < 1e-4, `TG ${done.tg} vs reference ${tg} (L1 only)`);
    } finally {
      await clients.teacherCache.setTgLayers({ id: 'tiny', tgLayers: [] });
    }
  });
});
