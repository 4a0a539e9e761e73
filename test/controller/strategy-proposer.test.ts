// The strategy adapter: genomes out (valid for the space), results in, and a saved state that makes a restarted
// proposer continue exactly where the first one was.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { StudyConfig } from '../../gen/tgsage/v1/search_controller.ts';
import { normalizeStudyConfig } from '../../services/controller/config.ts';
import { strategyProposers } from '../../services/controller/strategy-proposer.ts';
import { validateGenome } from '../../services/spaces/validate.ts';

const strategies = [
  { $case: 'random' as const, value: {} },
  { $case: 'evolution' as const, value: { populationSize: 4, sampleSize: 2 } },
  { $case: 'reinforce' as const, value: { hiddenUnits: 8, learningRate: 0, baselineDecay: 0, entropyWeight: 0 } },
];

describe('strategy proposer', () => {
  for (const strategy of strategies) {
    for (const space of [SearchSpace.SEARCH_SPACE_CONVNET, SearchSpace.SEARCH_SPACE_NASNET]) {
      it(`${strategy.$case} on ${SearchSpace[space]}: valid genomes, restore continues identically`, async () => {
        const config = normalizeStudyConfig(StudyConfig.fromPartial({ space, strategy: { strategy }, stepsPerTrial: 1, numTrials: 10, seed: 7 }));
        const make = strategyProposers();
        const a = await make(config);
        const first = await a.suggest(4);
        for (const g of first) validateGenome(g);
        await a.update(first.map((genome, i) => ({ genome, score: i / 4 })));
        const saved = a.state!();
        const b = await make(config);
        b.restore!(saved);
        assert.deepEqual(await b.suggest(3), await a.suggest(3));
        a.dispose?.();
        b.dispose?.();
      });
    }
  }

  it('evolution on convnet proposes no genome twice (duplicates are judged on the canonical form)', async () => {
    const config = normalizeStudyConfig(
      StudyConfig.fromPartial({
        space: SearchSpace.SEARCH_SPACE_CONVNET,
        strategy: { strategy: { $case: 'evolution', value: { populationSize: 8, sampleSize: 3 } } },
        stepsPerTrial: 1,
        numTrials: 200,
        seed: 11,
      }),
    );
    const proposer = await strategyProposers()(config);
    const seen = new Set<string>();
    for (let round = 0; round < 40; round++) {
      const [genome] = await proposer.suggest(1);
      const key = JSON.stringify(genome);
      assert.ok(!seen.has(key), `round ${round}: genome proposed again`);
      seen.add(key);
      await proposer.update([{ genome: genome!, score: (round % 7) / 7 }]);
    }
    proposer.dispose?.();
  });

  it('results reach the strategy with the vector it proposed, also after a restore', async () => {
    const config = normalizeStudyConfig(
      StudyConfig.fromPartial({
        space: SearchSpace.SEARCH_SPACE_CONVNET,
        strategy: { strategy: { $case: 'random', value: {} } },
        stepsPerTrial: 1,
        numTrials: 10,
        seed: 3,
      }),
    );
    const a = await strategyProposers()(config);
    const genomes = await a.suggest(3);
    const pending = (JSON.parse(a.state!()) as { pending: Record<string, Array<{ decisions: number[] }>> }).pending;
    assert.equal(Object.values(pending).flat().length, 3, 'three proposals await results');
    const b = await strategyProposers()(config);
    b.restore!(a.state!());
    await b.update(genomes.map((genome) => ({ genome, score: 0.5 })));
    const left = (JSON.parse(b.state!()) as { pending: Record<string, unknown[]> }).pending;
    assert.deepEqual(left, {}, 'every result was matched to its proposal');
    a.dispose?.();
    b.dispose?.();
  });
});
