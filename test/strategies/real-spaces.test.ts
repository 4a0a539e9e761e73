import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import { CONVNET_SPACE, NASNET_SPACE, checkDecisions, decode, encode, randomGenome } from '../../services/spaces/decisions.ts';
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
        const listed = { trials: Array.from({ length: 12 }, (_, i) => ({ genome: randomGenome(space.name as 'convnet' | 'nasnet', i), trainingSeed: i })) };
        const settings = name === 'reinforce' ? { hiddenUnits: 8 } : name === 'evolution' ? { populationSize: 4 } : name === 'listed' ? listed : {};
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

  it('evolution with the canonical form never re-proposes a convnet genome it has seen', () => {
    const space = { ...CONVNET_SPACE, canonical: (d: readonly number[]) => encode(decode(CONVNET_SPACE, d)) };
    const s = registry.create('evolution', { populationSize: 8, sampleSize: 3 }, space, 5);
    const seen = new Set<string>();
    let naiveRepeats = 0;
    for (let round = 0; round < 20; round++) {
      const ps = s.suggest(4);
      for (const p of ps) {
        const key = space.canonical(p.decisions).join();
        assert.ok(!seen.has(key), `round ${round}: repeated genome`);
        seen.add(key);
      }
      s.update(ps.map((p) => ({ decisions: p.decisions, score: decode(CONVNET_SPACE, p.decisions).space?.$case === 'convnet' ? p.decisions[0]! : 0 })));
    }
    // Without the canonical form, mutations of unused slots repeat genomes.
    const plain = registry.create('evolution', { populationSize: 8, sampleSize: 3 }, CONVNET_SPACE, 5);
    const plainSeen = new Set<string>();
    for (let round = 0; round < 20; round++) {
      const ps = plain.suggest(4);
      for (const p of ps) {
        const key = encode(decode(CONVNET_SPACE, p.decisions)).join();
        if (plainSeen.has(key)) naiveRepeats++;
        plainSeen.add(key);
      }
      plain.update(ps.map((p) => ({ decisions: p.decisions, score: p.decisions[0]! })));
    }
    assert.ok(naiveRepeats > 0, 'the canonical form should matter in this setting');
  });
});
