// The whole system guided by a neural teacher: synthetic recordings with repetitions uploaded as a teacher, a tiny
// search scored by ceiling-normalised TG, trials holding both TGs, and the report drawing the ceiling. A study asking
// for normalised TG against a teacher without repetitions fails before any work.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Status } from 'nice-grpc';
import { createTeacherRequests, createTgsageClients, type TgsageClients } from '../../clients/ts/index.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { ScoreKind, StudyConfig, StudyState, TgKind, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import { createCompute } from '../../services/compute/index.ts';
import { renderReport } from '../../services/controller/report.ts';
import { synthNeural } from '../../services/teachers/synth-neural.ts';
import { expectStatus } from '../support/grpc.ts';
import { activations, SMALL_GENOMES_SEED, startRealServices, TINY_STIMULI, type RealServices } from '../controller/real-services.ts';

const N = TINY_STIMULI;

describe('search guided by a neural teacher', () => {
  let services: RealServices;
  let clients: TgsageClients;
  before(async () => {
    services = await startRealServices(['teacher-cache', 'scorer', 'trainer', 'search-controller']);
    const a = services.address;
    clients = createTgsageClients({ teacherCache: a['teacher-cache'], controller: a['search-controller'] });
    const compute = await createCompute({ backend: 'auto' });
    const synth = await synthNeural(compute, { n: N, d: 48, data: activations(5, N, 48) }, { sites: 24, repetitions: 4, reliability: 0.7, seed: 1, method: 'correlation' });
    await compute.dispose();
    await clients.teacherCache.createTeacher(
      createTeacherRequests({ id: 'neural', numStimuli: N, repetitions: true, ceilingSplits: 10 }, [{ name: 'IT', shape: synth.shape, data: synth.data }]),
    );
  });
  after(async () => {
    clients?.close();
    await services?.close();
  });

  const config = (teacherId: string) =>
    StudyConfig.fromPartial({
      space: SearchSpace.SEARCH_SPACE_CONVNET,
      strategy: { strategy: { $case: 'random', value: {} } },
      score: ScoreKind.SCORE_KIND_TG,
      stepsPerTrial: 2,
      numTrials: 2,
      teacherId,
      seed: SMALL_GENOMES_SEED,
      dataset: { name: 'mnist', numValidation: 50 },
      training: { batchSize: 8 },
      tgKind: TgKind.TG_KIND_CEILING_NORMALIZED,
    });

  it('runs, scoring trials by TG / ceiling, and the report draws the ceiling', async () => {
    const teacher = await clients.teacherCache.getTeacher({ id: 'neural' });
    const ceiling = teacher.layers[0]!.ceilings[0]!.splitHalf; // spearman, the study's comparator
    for await (const _ of clients.controller.runStudy({ config: config('neural') })) void _;
    const studies = await clients.controller.listStudies({});
    const study = await clients.controller.getStudy({ studyId: studies.studies.at(-1)!.id });
    assert.equal(study.state, StudyState.STUDY_STATE_FINISHED, study.error);
    const done = study.trials.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETED);
    assert.ok(done.length > 0, 'no trial completed');
    for (const t of done) {
      assert.ok(Math.abs(t.tgNormalized! - t.tgRaw! / ceiling) < 1e-9, `trial ${t.number}: ${t.tgNormalized} vs ${t.tgRaw} / ${ceiling}`);
      assert.equal(t.tg, t.tgNormalized, 'the study scores with the normalised TG');
      assert.equal(t.score, t.tg);
      assert.deepEqual(t.similarity!.ceilings, [ceiling]);
    }
    const html = renderReport({ study });
    assert.match(html, /class="hline ceiling"/);
    assert.match(html, /TG noise ceiling 1\.0000/);
  });

  it('refuses ceiling-normalised TG with a teacher that has no repetitions', async () => {
    await expectStatus(
      (async () => {
        for await (const _ of clients.controller.runStudy({ config: config('tiny') })) void _;
      })(),
      Status.FAILED_PRECONDITION,
      /tg_kind.*not uploaded with repetitions/,
    );
  });
});
