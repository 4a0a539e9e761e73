// The runner and trainer pool against FAKE trainers (test doubles of the Trainer protocol, real gRPC on port 0):
// a whole study, parallelism, successive halving, stop, a trainer dying mid-trial, a trial failing everywhere.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ServerError, Status } from 'nice-grpc';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { ScoreKind, StudyConfig, StudyState, TrialState, type StudyEvent } from '../../gen/tgsage/v1/search_controller.ts';
import { createController } from '../../services/controller/controller.ts';
import { trainerPool } from '../../services/controller/pool.ts';
import { memoryStorage } from '../../services/controller/storage.ts';
import { strategyProposers } from '../../services/controller/strategy-proposer.ts';
import { fakeScores, startFakeTrainer, type FakeTrainer } from './fake-trainer.ts';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function setup(trainers: FakeTrainer[], poolOpts = {}) {
  const storage = memoryStorage();
  const pool = trainerPool({ targets: trainers.map((t) => t.address), healthIntervalMs: 0, retryBackoffMs: 10, ...poolOpts });
  const controller = createController({ storage, pool, proposers: strategyProposers() });
  cleanups.push(async () => {
    await controller.close();
    pool.close();
  });
  return { storage, pool, controller };
}

// P+TG unless a test says otherwise (the default score is P; these tests exercise TG)
const config = (over: Partial<StudyConfig> = {}) =>
  StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 10, numTrials: 4, seed: 5, score: ScoreKind.SCORE_KIND_P_TG, ...over });

async function events(it: AsyncIterable<StudyEvent>): Promise<StudyEvent[]> {
  const out: StudyEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('runner', () => {
  it('runs a study on two trainers with parallelism 2, ranks it, and announces only recorded results', async () => {
    const a = await startFakeTrainer();
    const b = await startFakeTrainer();
    cleanups.push(a.close, b.close);
    const { controller, storage } = await setup([a, b]);
    const id = await controller.runStudy('', config({ parallelism: 2, alpha: 0.25 }));
    const seen: StudyEvent[] = [];
    for await (const e of controller.watch(id)) {
      seen.push(e);
      if (e.event?.$case === 'trialCompleted') {
        // durable before announced
        assert.equal(storage.getTrial(id, e.event.value.id).state, TrialState.TRIAL_STATE_COMPLETED);
      }
    }
    const kinds = seen.map((e) => e.event?.$case);
    assert.equal(kinds[0], 'snapshot');
    assert.equal(kinds.at(-1), 'studyFinished');
    // every trial is in the watcher's snapshot or announced after it, exactly once
    const snap = seen[0]!.event!.value as { trials: { id: string }[] };
    const announced = seen.flatMap((e) => (e.event?.$case === 'trialProposed' ? [e.event.value.id] : []));
    assert.deepEqual([...snap.trials.map((t) => t.id), ...announced].sort(), [0, 1, 2, 3].map((n) => `${id}-t${n}`));
    const done = seen.flatMap((e) => (e.event?.$case === 'trialCompleted' ? [e.event.value.id] : []));
    assert.equal(new Set(done).size, done.length);
    assert.ok(kinds.includes('trialProgress') && kinds.includes('trialStarted') && kinds.includes('leaderboard'));
    const study = controller.getStudy(id);
    assert.equal(study.state, StudyState.STUDY_STATE_FINISHED);
    assert.deepEqual(study.trials.map((t) => t.number), [0, 1, 2, 3]);
    for (const t of study.trials) {
      const { p, tg } = fakeScores(t.genome, 10);
      assert.ok(Math.abs(t.p! - p) < 1e-12 && Math.abs(t.tg! - tg) < 1e-12);
      assert.ok(Math.abs(t.score! - (0.75 * p + 0.25 * tg)) < 1e-12);
    }
    const best = [...study.trials].sort((x, y) => y.score! - x.score!)[0]!;
    assert.equal(study.bestTrialId, best.id);
    assert.ok(a.requests.length > 0 && b.requests.length > 0, 'both trainers used');
    assert.equal(a.requests[0]!.training?.steps, 10);
    assert.equal(a.requests[0]!.training?.seed, 5);
  });

  it('health-checks trainers and sends no trial to one that is not serving', async () => {
    const a = await startFakeTrainer();
    const b = await startFakeTrainer();
    cleanups.push(a.close, b.close);
    a.health.setStatus('unhealthy');
    const { controller, pool } = await setup([a, b], { healthIntervalMs: 20 });
    for (let i = 0; i < 100 && pool.status()[0]!.healthy; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(pool.status().map((s) => s.healthy), [false, true]);
    const id = await controller.runStudy('', config({ numTrials: 3 }));
    await events(controller.watch(id));
    assert.equal(a.requests.length, 0);
    assert.equal(b.requests.length, 3);
    a.health.setStatus('healthy');
    for (let i = 0; i < 100 && !pool.status()[0]!.healthy; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(pool.status()[0]!.healthy, true, 'back in the pool once serving again');
  });

  it('runs REINFORCE with successive halving on the nasnet space', async () => {
    const a = await startFakeTrainer();
    cleanups.push(a.close);
    const { controller } = await setup([a]);
    const id = await controller.runStudy('', config({
      space: SearchSpace.SEARCH_SPACE_NASNET,
      strategy: { strategy: { $case: 'reinforce', value: { hiddenUnits: 8, learningRate: 0, baselineDecay: 0, entropyWeight: 0 } } },
      numTrials: 4,
      stepsPerTrial: 8,
      parallelism: 2,
      multiFidelity: { enabled: true, eta: 2, rungs: 2, minSteps: 0 },
    }));
    await events(controller.watch(id));
    const s = controller.getStudy(id);
    assert.equal(s.state, StudyState.STUDY_STATE_FINISHED);
    assert.deepEqual(s.trials.map((t) => [t.rung, t.steps]), [[0, 4], [0, 4], [0, 4], [0, 4], [1, 8], [1, 8]]);
    assert.ok(s.trials.every((t) => t.genome?.space?.$case === 'nasnet'));
  });

  it('resolves a dns:/// name itself: one member per address, with the slots asked for', async () => {
    const a = await startFakeTrainer();
    cleanups.push(a.close);
    const port = a.address.split(':')[1];
    const resolve = async (host: string) => (host === 'trainers.test' ? ['127.0.0.1'] : []);
    const { controller, pool } = await setup([], { targets: [`dns:///trainers.test:${port}`], slots: 4, resolve });
    const id = await controller.runStudy('', config({ numTrials: 3, parallelism: 2 }));
    await events(controller.watch(id));
    const s = controller.getStudy(id);
    assert.equal(s.completedTrials, 3);
    assert.ok(s.trials.every((t) => t.trainer === `127.0.0.1:${port}`));
    assert.equal(a.requests.length, 3);
    assert.equal(pool.status()[0]!.slots, 4);
  });

  it('runs successive halving: rungs of growing budgets, the best go on', async () => {
    const a = await startFakeTrainer();
    cleanups.push(a.close);
    const { controller } = await setup([a]);
    const id = await controller.runStudy(
      '',
      config({ numTrials: 9, stepsPerTrial: 27, score: ScoreKind.SCORE_KIND_TG, multiFidelity: { enabled: true, eta: 3, rungs: 3, minSteps: 0 } }),
    );
    await events(controller.watch(id));
    const trials = controller.getStudy(id).trials;
    assert.deepEqual(trials.map((t) => t.rung), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2]);
    assert.deepEqual([...new Set(trials.map((t) => t.steps))], [3, 9, 27]);
    const top3 = trials.filter((t) => t.rung === 0).sort((x, y) => y.score! - x.score! || x.number - y.number).slice(0, 3);
    assert.deepEqual(trials.filter((t) => t.rung === 1).map((t) => t.genome), top3.map((t) => t.genome));
    assert.equal(a.requests.at(-1)!.training?.steps, 27);
  });

  it('halving with P+TG: earlier rungs rank by P+TG, the last by P (unless last_rung_by_p is false)', async () => {
    const a = await startFakeTrainer();
    cleanups.push(a.close);
    const { controller } = await setup([a]);
    const mf = (over = {}) => ({ enabled: true, eta: 2, rungs: 3, minSteps: 0, ...over });
    const run = async (over = {}) => {
      const id = await controller.runStudy('', config({ numTrials: 4, stepsPerTrial: 8, score: ScoreKind.SCORE_KIND_P_TG, alpha: 0.5, multiFidelity: mf(over) }));
      await events(controller.watch(id));
      return controller.getStudy(id);
    };
    const ptg = (t: { p?: number; tg?: number }) => 0.5 * t.p! + 0.5 * t.tg!;
    const byDefault = await run();
    assert.equal(byDefault.config!.multiFidelity!.lastRungByP, true, 'set at creation');
    const rungs = byDefault.trials.map((t) => t.rung);
    assert.deepEqual(rungs, [0, 0, 0, 0, 1, 1, 2]);
    for (const t of byDefault.trials) {
      assert.ok(t.tg !== undefined && t.p !== undefined && t.tg !== t.p, 'TG is still measured on every rung');
      assert.equal(t.score, t.rung === 2 ? t.p : ptg(t), `trial ${t.number} at rung ${t.rung}`);
    }
    assert.equal(byDefault.bestTrialId, byDefault.trials.at(-1)!.id);
    const off = await run({ lastRungByP: false });
    assert.equal(off.config!.multiFidelity!.lastRungByP, false);
    for (const t of off.trials) assert.equal(t.score, ptg(t), `trial ${t.number} at rung ${t.rung}`);
  });

  it('halving: a rung starts once the one before has ended; failed trials are never promoted, nor retried', async () => {
    // the first two trainings fail deterministically (FAILED_PRECONDITION): one attempt each, then the cut
    const a = await startFakeTrainer({
      hook: (_r, n) => {
        if (n <= 2) throw new ServerError(Status.FAILED_PRECONDITION, 'training diverged at step 2 (loss NaN)');
      },
    });
    const b = await startFakeTrainer();
    cleanups.push(a.close, b.close);
    const { controller } = await setup([a, b]);
    const id = await controller.runStudy(
      '',
      config({ numTrials: 6, stepsPerTrial: 8, parallelism: 2, score: ScoreKind.SCORE_KIND_TG, multiFidelity: { enabled: true, eta: 2, rungs: 2, minSteps: 0 } }),
    );
    await events(controller.watch(id));
    const trials = controller.getStudy(id).trials;
    const rung0 = trials.filter((t) => t.rung === 0);
    const failed = rung0.filter((t) => t.state === TrialState.TRIAL_STATE_FAILED);
    assert.equal(failed.length, 2);
    for (const t of failed) {
      assert.equal(t.attempts, 1);
      assert.match(t.error, /FAILED_PRECONDITION: training diverged/);
    }
    const best = rung0.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETED).sort((x, y) => y.score! - x.score! || x.number - y.number);
    assert.equal(best.length, 4);
    const rung1 = trials.filter((t) => t.rung === 1);
    assert.deepEqual(rung1.map((t) => t.genome), best.slice(0, 3).map((t) => t.genome)); // floor(6 / 2) planned
    assert.ok(rung1.every((t) => t.state === TrialState.TRIAL_STATE_COMPLETED && t.steps === 8));
    const steps = [...a.requests, ...b.requests].map((r) => r.training?.steps);
    assert.equal(steps.filter((s) => s === 4).length, 6);
    // every rung-0 training was requested before any rung-1 training, on each trainer
    for (const t of [a, b]) {
      const s = t.requests.map((r) => r.training?.steps);
      assert.deepEqual(s, [...s].sort((x, y) => x! - y!));
    }
  });

  it('retries a trial on another trainer when its trainer dies mid-trial', async () => {
    const a = await startFakeTrainer({ msPerStep: 20, hook: (_r, n) => (n === 1 ? 'hang' : undefined) });
    const b = await startFakeTrainer();
    cleanups.push(a.close, b.close);
    const { controller } = await setup([a, b]);
    const id = await controller.runStudy('', config({ numTrials: 2 }));
    await a.started();
    a.server.forceShutdown(); // dies hard with the trial in flight
    await events(controller.watch(id));
    const study = controller.getStudy(id);
    assert.equal(study.state, StudyState.STUDY_STATE_FINISHED);
    assert.equal(study.completedTrials, 2);
    const first = study.trials[0]!;
    assert.equal(first.attempts, 2);
    assert.equal(first.trainer, b.address);
  });

  it('marks a trial that fails everywhere FAILED with the reason, and the study goes on', async () => {
    const hook = (r: { genome?: unknown }, n: number) => {
      if (n === 1 || n === 2) throw new ServerError(Status.UNAVAILABLE, 'GPU on fire');
    };
    const a = await startFakeTrainer({ hook });
    cleanups.push(a.close);
    const { controller } = await setup([a]);
    const id = await controller.runStudy('', config({ numTrials: 2, maxAttempts: 2 }));
    await events(controller.watch(id));
    const [t0, t1] = controller.getStudy(id).trials;
    assert.equal(t0!.state, TrialState.TRIAL_STATE_FAILED);
    assert.equal(t0!.attempts, 2);
    assert.match(t0!.error, /failed after 2 attempt\(s\).*UNAVAILABLE: GPU on fire/);
    assert.equal(t1!.state, TrialState.TRIAL_STATE_COMPLETED);
  });

  it('fails fast on an error retrying cannot fix', async () => {
    const a = await startFakeTrainer({ hook: () => { throw new ServerError(Status.INVALID_ARGUMENT, 'genome.convnet: bad'); } });
    cleanups.push(a.close);
    const { controller } = await setup([a]);
    const id = await controller.runStudy('', config({ numTrials: 1 }));
    await events(controller.watch(id));
    const s = controller.getStudy(id);
    assert.equal(s.state, StudyState.STUDY_STATE_FAILED);
    assert.equal(s.trials[0]!.attempts, 1);
    assert.match(s.trials[0]!.error, /INVALID_ARGUMENT: genome.convnet: bad/);
    assert.equal(a.requests.length, 1);
  });

  it('StopStudy cancels trials in flight and marks them stopped', async () => {
    const a = await startFakeTrainer({ hook: () => 'hang' });
    cleanups.push(a.close);
    const { controller } = await setup([a]);
    const id = await controller.runStudy('', config({ numTrials: 3 }));
    const watching = events(controller.watch(id));
    await a.started();
    const stopped = await controller.stopStudy(id);
    assert.equal(stopped.state, StudyState.STUDY_STATE_STOPPED);
    const trials = controller.listTrials(id);
    assert.equal(stopped.trialCount, trials.length);
    assert.ok(trials.every((t) => t.state === TrialState.TRIAL_STATE_STOPPED));
    const seen = await watching;
    assert.equal(seen.at(-1)!.event?.$case, 'studyFinished');
    assert.equal(seen.filter((e) => e.event?.$case === 'trialFailed').length, trials.length);
  });
});
