import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import { bestOf, convnetLikeSpace, matchObjective, mean, runSearch } from './helpers.ts';

const registry = createStrategyRegistry();
const space = convnetLikeSpace();

describe('regularized evolution', () => {
  it('beats random search at equal budget on a synthetic objective', () => {
    const budget = 200;
    const evo: number[] = [];
    const rnd: number[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      evo.push(bestOf(runSearch(registry.create('evolution', {}, space, seed), matchObjective(space, seed), budget, 4)));
      rnd.push(bestOf(runSearch(registry.create('random', {}, space, seed), matchObjective(space, seed), budget, 4)));
    }
    // Random's best of 200 is ~0.40 of positions matched; evolution climbs well past it.
    assert.ok(mean(evo) > mean(rnd) + 0.08, `evolution ${mean(evo).toFixed(3)} vs random ${mean(rnd).toFixed(3)}`);
    assert.ok(Math.min(...evo) > mean(rnd), `every seed: ${evo} vs ${rnd}`);
  });

  it('evolves at once from a population of outside results (imported history), and not before it is full', () => {
    const outside = (seed: number) => registry.create('random', {}, space, seed).suggest(3).map((p) => p.decisions);
    const s = registry.create('evolution', { populationSize: 3, sampleSize: 3 }, space, 11);
    const history = outside(99);
    s.update(history.slice(0, 2).map((decisions, i) => ({ decisions, score: i })));
    // two of three: still the random start (a random point differs from the members in many positions)
    const distance = (a: readonly number[], b: readonly number[]) => a.filter((v, i) => v !== b[i]).length;
    assert.ok(distance(s.suggest(1)[0]!.decisions, history[1]!) > 1);
    s.update([{ decisions: history[2]!, score: 5 }]);
    // the tournament is the whole population: every child is the best outside result with one decision changed
    for (const child of s.suggest(6)) assert.equal(distance(child.decisions, history[2]!), 1);
  });

  it('mutates exactly one decision of a population member after the random start', () => {
    const s = registry.create('evolution', { populationSize: 4, sampleSize: 2 }, space, 7);
    const obj = matchObjective(space, 7);
    const init = s.suggest(4);
    s.update(init.map((p) => ({ decisions: p.decisions, score: obj(p.decisions) })));
    const members = init.map((p) => p.decisions);
    for (const child of s.suggest(10).map((p) => p.decisions)) {
      const dists = members.map((m) => m.filter((v, i) => v !== child[i]).length);
      assert.equal(Math.min(...dists), 1);
    }
  });

  it('ages out the oldest member: the population is the last P results', () => {
    const tiny = { name: 'line', sizes: [50], labels: ['x'] };
    const s = registry.create('evolution', { populationSize: 3, sampleSize: 3 }, tiny, 1);
    s.suggest(3);
    // The best point ever (x=49) is evaluated first, so it ages out after three younger results.
    s.update([49, 1, 2, 3].map((x) => ({ decisions: [x], score: x })));
    const state = s.state() as unknown as { population: Array<{ decisions: number[] }> };
    assert.deepEqual(state.population.map((m) => m.decisions[0]), [1, 2, 3]);
    // Tournament of the whole population -> parent is x=3, child differs in its only decision.
    for (const p of s.suggest(5)) assert.notEqual(p.decisions[0], 3);
  });

  it('is deterministic and state/restore gives the same next suggestions', () => {
    const run = (restoreAt?: number) => {
      const obj = matchObjective(space, 11);
      let s = registry.create('evolution', {}, space, 11);
      const out: number[][] = [];
      for (let round = 0; round < 12; round++) {
        if (round === restoreAt) {
          const saved = JSON.parse(JSON.stringify(s.state()));
          s = registry.create('evolution', {}, space, 999);
          s.restore(saved);
        }
        const ps = s.suggest(3);
        out.push(...ps.map((p) => p.decisions));
        s.update(ps.map((p) => ({ decisions: p.decisions, score: obj(p.decisions) })));
      }
      return out;
    };
    const a = run();
    assert.deepEqual(run(), a);
    assert.deepEqual(run(8), a);
  });

  it('rejects bad settings naming the field, and fills defaults', () => {
    assert.deepEqual(registry.resolve('evolution', {}), { populationSize: 16, sampleSize: 4 });
    assert.deepEqual(registry.resolve('evolution', { populationSize: 2 }), { populationSize: 2, sampleSize: 2 });
    assert.throws(
      () => registry.create('evolution', { populationSize: 8, sampleSize: 9 }, space, 1),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'strategy.evolution.sample_size',
    );
    assert.throws(
      () => registry.resolve('evolution', { populationSize: 1 }, 'config.strategy'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'config.strategy.evolution.population_size',
    );
  });
});
