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
});
