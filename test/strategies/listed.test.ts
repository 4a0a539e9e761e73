// The listed strategy (a study that trains a given list of (genome, training seed) in order): proposals in list
// order, its state across a restart, per-trial seeds, and every bad list rejected with the field at fault.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { StudyConfig } from '../../gen/tgsage/v1/search_controller.ts';
import { Comparator } from '../../gen/tgsage/v1/similarity.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { normalizeStudyConfig, trainingSeedOf } from '../../services/controller/config.ts';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import { CONVNET_SPACE, decode, randomGenome } from '../../services/spaces/decisions.ts';
import { genomeToJson } from '../../services/spaces/json.ts';
import { canonicalGenome } from '../../services/spaces/validate.ts';

const genomes = [3, 7, 11].map((s) => randomGenome('convnet', s));
const trials = [
  { genome: genomes[0], trainingSeed: 0 },
  { genome: genomes[1], trainingSeed: 0 },
  { genome: genomes[0], trainingSeed: 1 },
  { genome: genomes[2], trainingSeed: 5 },
];
const listed = (t: unknown[] = trials) => ({ strategy: { $case: 'listed', value: { trials: t } } });
const cfg = (over: Record<string, unknown> = {}) =>
  StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 10, seed: 42, strategy: listed(), ...over } as never);

function throwsField(f: () => unknown, field: RegExp) {
  assert.throws(f, (e: unknown) => e instanceof InvalidArgumentError && field.test(e.message), `expected an InvalidArgumentError naming ${field}`);
}

describe('listed strategy', () => {
  it('proposes the list in order, in any batch sizes, then nothing; resumes from its state', () => {
    const registry = createStrategyRegistry();
    const c = normalizeStudyConfig(cfg());
    const s = registry.fromConfig(c.strategy, CONVNET_SPACE, 1);
    const first = s.suggest(3);
    const state = s.state();
    const rest = s.suggest(5);
    assert.equal(first.length, 3);
    assert.equal(rest.length, 1);
    assert.deepEqual(s.suggest(2), []);
    const keys = [...first, ...rest].map((p) => genomeToJson(decode(CONVNET_SPACE, p.decisions)));
    assert.deepEqual(keys, trials.map((t) => genomeToJson(canonicalGenome(t.genome!))));
    const again = registry.fromConfig(c.strategy, CONVNET_SPACE, 1);
    again.restore(state);
    assert.deepEqual(again.suggest(5), rest);
  });

  it('num_trials defaults to the list length; each trial trains with its own seed', () => {
    const c = normalizeStudyConfig(cfg());
    assert.equal(c.numTrials, 4);
    assert.deepEqual([0, 1, 2, 3].map((number) => trainingSeedOf(c, { number })), [0, 0, 1, 5]);
    assert.equal(trainingSeedOf(c, { number: 1, trainingSeed: 9 }), 9, 'a recorded seed (a promoted trial) wins');
    const random = normalizeStudyConfig(cfg({ strategy: undefined, numTrials: 3 }));
    assert.equal(trainingSeedOf(random, { number: 2 }), 42, 'other strategies: the study seed');
    assert.equal(normalizeStudyConfig(cfg({ numTrials: 2 })).numTrials, 2);
  });

  it('rejects a bad list, naming the field', () => {
    throwsField(() => normalizeStudyConfig(cfg({ strategy: listed([]) })), /strategy\.listed\.trials.*at least one/);
    throwsField(() => normalizeStudyConfig(cfg({ numTrials: 5 })), /num_trials/);
    throwsField(() => normalizeStudyConfig(cfg({ strategy: listed([{ trainingSeed: 1 }]) })), /strategy\.listed\.trials\[0\]\.genome/);
    throwsField(() => normalizeStudyConfig(cfg({ strategy: listed([trials[0], { genome: genomes[1], trainingSeed: -1 }]) })), /trials\[1\]\.training_seed/);
    throwsField(() => normalizeStudyConfig(cfg({ strategy: listed([{ genome: randomGenome('nasnet', 1), trainingSeed: 0 }]) })), /trials\[0\]\.genome.*nasnet/);
    const odd = structuredClone(genomes[0]!);
    if (odd.space?.$case === 'convnet') odd.space.value.layers[0]!.filters = 17;
    throwsField(() => normalizeStudyConfig(cfg({ strategy: listed([{ genome: odd, trainingSeed: 0 }]) })), /trials\[0\]\.genome/);
  });

  it('also_comparators: checked, and may not repeat the comparator', () => {
    assert.deepEqual(normalizeStudyConfig(cfg({ alsoComparators: [Comparator.COMPARATOR_CKA_LINEAR] })).alsoComparators, [Comparator.COMPARATOR_CKA_LINEAR]);
    throwsField(() => normalizeStudyConfig(cfg({ alsoComparators: [Comparator.COMPARATOR_SPEARMAN] })), /also_comparators\[0\]/);
    throwsField(() => normalizeStudyConfig(cfg({ alsoComparators: [Comparator.COMPARATOR_CKA_LINEAR, Comparator.COMPARATOR_CKA_LINEAR] })), /also_comparators\[1\]/);
    throwsField(() => normalizeStudyConfig(cfg({ alsoComparators: [77] })), /also_comparators\[0\]/);
  });
});
