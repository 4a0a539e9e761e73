import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import { CONVNET_SPACE, NASNET_SPACE, checkDecisions, decode } from '../../services/spaces/decisions.ts';
import { validateGenome } from '../../services/spaces/validate.ts';

before(async () => {
  assert.ok(await tf.setBackend('cpu'));
  await tf.ready();
});

describe('strategies on the real search spaces', () => {
  const registry = createStrategyRegistry();
  for (const space of [CONVNET_SPACE, NASNET_SPACE]) {
    for (const name of registry.names()) {
      it(`${name} proposes decodable ${space.name} genomes`, () => {
        const settings = name === 'reinforce' ? { hiddenUnits: 8 } : name === 'evolution' ? { populationSize: 4 } : {};
        const s = registry.create(name, settings, space, 1);
        try {
          for (let round = 0; round < 3; round++) {
            const ps = s.suggest(4);
            assert.equal(ps.length, 4);
            for (const p of ps) {
              checkDecisions(space, p.decisions);
              validateGenome(decode(space, p.decisions));
            }
            s.update(ps.map((p, i) => ({ decisions: p.decisions, score: i / 4 })));
          }
        } finally {
          s.dispose();
        }
      });
    }
  }
});
