import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { ScoreKind, StudyConfig, TgKind } from '../../gen/tgsage/v1/search_controller.ts';
import { Comparator } from '../../gen/tgsage/v1/similarity.ts';
import { NotFoundError } from '../../services/common/errors.ts';
import { normalizeStudyConfig, rungPlan, validateStudyConfig } from '../../services/controller/config.ts';
import { studyTeacherLayers } from '../../services/teachers/tg-layers.ts';

const base = { space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 30, numTrials: 9 };
const cfg = (over: Record<string, unknown>) => StudyConfig.fromPartial({ ...base, ...over });

describe('study config', () => {
  it('fills defaults', () => {
    const c = normalizeStudyConfig(cfg({}));
    assert.equal(c.strategy?.strategy?.$case, 'random');
    assert.equal(c.score, ScoreKind.SCORE_KIND_P, 'the default score is P (docs/science: TG did not pay)');
    assert.equal(c.alpha, 0.5);
    assert.equal(c.parallelism, 1);
    assert.equal(c.teacherId, 'default');
    assert.equal(c.dataset?.name, 'mnist');
    assert.equal(c.comparator, Comparator.COMPARATOR_SPEARMAN);
    assert.equal(c.maxAttempts, 3);
    assert.equal(c.multiFidelity?.enabled, false);
    const e = normalizeStudyConfig(cfg({ strategy: { strategy: { $case: 'evolution', value: {} } } }));
    assert.deepEqual(e.strategy?.strategy?.value, { populationSize: 16, sampleSize: 4 });
  });

  for (const [over, field] of [
    [{ space: 0 }, 'space'],
    [{ alpha: 1.5 }, 'alpha'],
    [{ alpha: -0.1 }, 'alpha'],
    [{ stepsPerTrial: 0 }, 'steps_per_trial'],
    [{ stepsPerTrial: 100_001 }, 'steps_per_trial'],
    [{ numTrials: 0 }, 'num_trials'],
    [{ parallelism: 65 }, 'parallelism'],
    [{ teacherId: '../x' }, 'teacher_id'],
    [{ dataset: { name: 'cifar' } }, 'dataset.name'],
    [{ score: 9 }, 'score'],
    [{ maxAttempts: 50 }, 'max_attempts'],
    [{ strategy: { strategy: { $case: 'evolution', value: { populationSize: 4, sampleSize: 9 } } } }, 'strategy.evolution.sample_size'],
    [{ multiFidelity: { enabled: true, eta: 1 } }, 'multi_fidelity.eta'],
    [{ multiFidelity: { enabled: true, minSteps: 31 } }, 'multi_fidelity.min_steps'],
    [{ teacherLayers: ['*', 'pool'] }, 'teacher_layers'],
    [{ teacherLayers: ['pool', 'pool'] }, 'teacher_layers'],
  ] as const) {
    it(`rejects a bad ${field}`, () => {
      assert.throws(() => normalizeStudyConfig(cfg(over)), (e: Error & { field?: string }) => {
        assert.equal(e.name, 'InvalidArgumentError');
        assert.equal(e.field, field);
        return true;
      });
    });
  }

  it('checks the teacher when the score uses it or the config names it; a P study that names none needs none', async () => {
    const seen: string[] = [];
    const checkTeacher = async (id: string) => {
      seen.push(id);
      throw new NotFoundError(`teacher ${id} not found`);
    };
    await assert.rejects(validateStudyConfig(cfg({ teacherId: 'nope', score: ScoreKind.SCORE_KIND_P_TG }), { checkTeacher }), { name: 'NotFoundError' });
    await assert.rejects(validateStudyConfig(cfg({ teacherId: 'nope', score: ScoreKind.SCORE_KIND_TG }), { checkTeacher }), { name: 'NotFoundError' });
    await assert.rejects(validateStudyConfig(cfg({ score: ScoreKind.SCORE_KIND_P_TG }), { checkTeacher }), { name: 'NotFoundError' });
    // P: a named teacher still scores told activations, so it must exist ...
    await assert.rejects(validateStudyConfig(cfg({ teacherId: 'nope', score: ScoreKind.SCORE_KIND_P }), { checkTeacher }), { name: 'NotFoundError' });
    await assert.rejects(validateStudyConfig(cfg({ teacherLayers: ['stem'] }), { checkTeacher }), { name: 'NotFoundError' });
    await assert.rejects(validateStudyConfig(cfg({ tgKind: TgKind.TG_KIND_CEILING_NORMALIZED }), { checkTeacher }), { name: 'NotFoundError' });
    // ... and one that names none needs none (no teacher uploaded)
    await validateStudyConfig(cfg({ score: ScoreKind.SCORE_KIND_P }), { checkTeacher });
    await validateStudyConfig(cfg({}), { checkTeacher });
    assert.deepEqual(seen, ['nope', 'nope', 'default', 'nope', 'default', 'default']);
  });

  it("fixes teacher_layers at creation (the teacher's tg_layers, or every layer); studies from before mean every layer", async () => {
    const teacher = { id: 'T', numStimuli: 100, layerNames: ['stem', 'mid', 'pool'], tgLayers: ['pool'] };
    const make = async (over: Record<string, unknown>, t: object = teacher) =>
      (await validateStudyConfig(cfg({ score: ScoreKind.SCORE_KIND_P_TG, ...over }), { checkTeacher: async () => t as typeof teacher })).teacherLayers;
    assert.deepEqual(await make({}), ['pool']);
    assert.deepEqual(await make({}, { ...teacher, tgLayers: [] }), ['*']);
    assert.deepEqual(await make({ teacherLayers: ['*'] }), ['*']);
    assert.deepEqual(await make({ teacherLayers: ['pool', 'stem'] }), ['stem', 'pool']);
    await assert.rejects(make({ teacherLayers: ['IT'] }), (e: Error & { field?: string }) => e.field === 'teacher_layers' && /no layer "IT"/.test(e.message));
    assert.deepEqual(studyTeacherLayers(cfg({ teacherLayers: ['pool'] })), ['pool']);
    assert.deepEqual(studyTeacherLayers(cfg({})), ['*'], 'a study stored before teacher_layers existed: every layer, as then');
  });

  it('plans successive-halving rungs', () => {
    assert.deepEqual(rungPlan(normalizeStudyConfig(cfg({}))), [{ steps: 30, count: 9 }]);
    const c = normalizeStudyConfig(cfg({ multiFidelity: { enabled: true } }));
    assert.equal(c.multiFidelity?.minSteps, 3);
    assert.deepEqual(rungPlan(c), [
      { steps: 3, count: 9 },
      { steps: 9, count: 3 },
      { steps: 30, count: 1 },
    ]);
  });
});
