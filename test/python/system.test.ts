// The Python clients (trainer, controller, search spaces, Optuna) against all four real services on 127.0.0.1:0 in
// this process, with Debian's /usr/bin/python3 and python3-optuna: clients/python/tests_system (a tiny Optuna study
// with TPE included). The teacher is the controller tests' tiny uploaded one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createTgsageClients, importTrial, train, TrainingStoppedError } from '../../clients/ts/index.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { ScoreKind, StudyConfig, TrialOrigin } from '../../gen/tgsage/v1/search_controller.ts';
import type { CurvePoint, TrainingProgress } from '../../gen/tgsage/v1/trainer.ts';
import { activations, startRealServices, TINY_STIMULI, type RealServices } from '../controller/real-services.ts';
import { REPO_ROOT } from '../support/cli.ts';

const PY = '/usr/bin/python3';
const run = promisify(execFile);

describe('Python clients against the whole system', () => {
  let services: RealServices;
  before(async () => {
    services = await startRealServices(['teacher-cache', 'scorer', 'trainer', 'search-controller']);
  });
  after(async () => {
    await services?.close();
  });

  it('trainer, controller, spaces and an Optuna study from Python', async () => {
    const a = services.address;
    const env = {
      ...process.env,
      TGSAGE_TEACHER_CACHE_ADDR: a['teacher-cache'],
      TGSAGE_SCORER_ADDR: a.scorer,
      TGSAGE_TRAINER_ADDR: a.trainer,
      TGSAGE_CONTROLLER_ADDR: a['search-controller'],
      TGSAGE_TEST_TEACHER: 'tiny',
      TGSAGE_TEST_STIMULI: String(TINY_STIMULI),
      PYTHONDONTWRITEBYTECODE: '1',
    };
    try {
      const { stderr } = await run(PY, ['-m', 'unittest', 'discover', '-s', 'clients/python/tests_system', '-v'], { cwd: REPO_ROOT, env, maxBuffer: 16 << 20 });
      assert.match(stderr, /\nOK\b/);
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      assert.fail(`python unittest failed:\n${e.stderr ?? ''}\n${e.stdout ?? ''}`);
    }
  });

  it('the TS conveniences: spaces on both processes, train with callbacks, import with activations', async () => {
    const a = services.address;
    const clients = createTgsageClients({ trainer: a.trainer, controller: a['search-controller'] });
    try {
      const d = await clients.spaces.describeSpace({ space: SearchSpace.SEARCH_SPACE_CONVNET });
      assert.deepEqual(await clients.spacesAt('controller').describeSpace({ space: SearchSpace.SEARCH_SPACE_CONVNET }), d);
      const { genome } = await clients.spaces.decisionsToGenome({ space: SearchSpace.SEARCH_SPACE_CONVNET, decisions: d.decisions.map(() => 0) });
      const progress: TrainingProgress[] = [];
      const points: CurvePoint[] = [];
      const request = { genome: genome!, training: { steps: 4, evalSteps: [2], batchSize: 16, dataset: { name: 'mnist', numStimuli: TINY_STIMULI, numValidation: 50 } }, teacherId: 'tiny' };
      const r = await train(clients, request, { onProgress: (p) => progress.push(p), onCurvePoint: (p) => void points.push(p) });
      assert.ok(r.validationAccuracy >= 0 && r.validationAccuracy <= 1);
      assert.ok(r.similarity !== undefined && progress.length > 0);
      assert.equal(points.length, r.curve.length, 'every curve point of the result was passed on (none from trainers without curves)');
      if (r.curve.length > 0) {
        await assert.rejects(train(clients, request, { onCurvePoint: () => true }), TrainingStoppedError);
      }
      const study = await clients.controller.createStudy({ config: StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 2, numTrials: 1, teacherId: 'tiny', score: ScoreKind.SCORE_KIND_P_TG, dataset: { name: 'mnist', numValidation: 50 } }) });
      const t = await importTrial(clients, study.id, genome!, { p: 0.75, source: 'ts', layers: [{ name: 'x', shape: [TINY_STIMULI, 6], data: activations(5, TINY_STIMULI, 6) }] });
      assert.equal(t.origin, TrialOrigin.TRIAL_ORIGIN_IMPORTED);
      assert.ok(t.tg !== undefined && Math.abs(t.score! - (0.5 * 0.75 + 0.5 * t.tg)) < 1e-12);
      await clients.controller.stopStudy({ studyId: study.id });
    } finally {
      clients.close();
    }
  });
});
