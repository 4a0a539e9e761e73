import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../services/common/errors.ts';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import { createRng } from '../../services/controller/strategies/rng.ts';
import { decisionKey } from '../../services/controller/strategies/space.ts';
import { convnetLikeSpace } from './helpers.ts';

describe('rng', () => {
  it('is deterministic, resumable and roughly uniform', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
    const c = createRng(a.state());
    assert.deepEqual(Array.from({ length: 10 }, () => a.int(100)), Array.from({ length: 10 }, () => c.int(100)));
    assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, createRng(43).next));
    const counts = new Array(10).fill(0);
    const r = createRng(2 ** 40 + 5);
    for (let i = 0; i < 20000; i++) counts[r.int(10)]++;
    for (const n of counts) assert.ok(Math.abs(n - 2000) < 200, `bucket ${n}`);
  });
});

describe('random strategy', () => {
  const registry = createStrategyRegistry();
  const space = convnetLikeSpace();

  it('is uniform over each decision, valid, and deterministic for a seed', () => {
    const s = registry.create('random', {}, space, 1);
    const ps = s.suggest(400);
    for (const p of ps) p.decisions.forEach((d, i) => assert.ok(d >= 0 && d < space.sizes[i]!));
    const first = ps.map((p) => p.decisions[0]!);
    for (let v = 0; v < 7; v++) {
      const n = first.filter((x) => x === v).length;
      assert.ok(n > 30 && n < 90, `depth value ${v}: ${n}`);
    }
    assert.deepEqual(registry.create('random', {}, space, 1).suggest(400), ps);
    assert.notDeepEqual(registry.create('random', {}, space, 2).suggest(5), ps.slice(0, 5));
  });

  it('avoids exact duplicates in a small space until it is exhausted', () => {
    const tiny = { name: 'tiny', sizes: [2, 3], labels: ['a', 'b'] };
    const s = registry.create('random', {}, tiny, 3);
    const keys = s.suggest(6).map((p) => decisionKey(p.decisions));
    assert.equal(new Set(keys).size, 6);
    assert.equal(s.suggest(2).length, 2); // exhausted: repeats rather than fails
  });

  it('avoids candidates already seen under another vector when the space has a canonical form', () => {
    // Decision 1 is unused when decision 0 is 0 (like a layer slot beyond the depth): 4 distinct candidates.
    const space = { name: 'gated', sizes: [2, 3], labels: ['on', 'x'], canonical: (d: readonly number[]) => (d[0] === 0 ? [0, 0] : [...d]) };
    for (const seed of [1, 2, 3]) {
      const s = registry.create('random', {}, space, seed);
      const keys = s.suggest(4).map((p) => space.canonical(p.decisions).join());
      assert.equal(new Set(keys).size, 4, `seed ${seed}: ${keys}`);
    }
  });

  it('state/restore continues with the same suggestions', () => {
    const s = registry.create('random', {}, space, 9);
    s.suggest(3);
    const saved = JSON.parse(JSON.stringify(s.state()));
    const next = s.suggest(5);
    const r = registry.create('random', {}, space, 12345);
    r.restore(saved);
    assert.deepEqual(r.suggest(5), next);
  });
});

describe('registry', () => {
  const registry = createStrategyRegistry();
  it('rejects unknown names naming the field', () => {
    assert.throws(
      () => registry.create('annealing', {}, convnetLikeSpace(), 1),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'strategy' && /annealing/.test(e.message),
    );
  });
  it('resolves proto StrategyConfigs with defaults, an absent strategy meaning random', () => {
    assert.deepEqual(registry.names(), ['evolution', 'listed', 'random', 'reinforce']);
    assert.deepEqual(registry.resolveConfig(undefined), { strategy: { $case: 'random', value: {} } });
    assert.deepEqual(registry.resolveConfig({ strategy: { $case: 'evolution', value: { populationSize: 0, sampleSize: 0 } } }), {
      strategy: { $case: 'evolution', value: { populationSize: 16, sampleSize: 4 } },
    });
    assert.equal(registry.fromConfig(undefined, convnetLikeSpace(), 3).name, 'random');
    assert.throws(
      () => registry.fromConfig({ strategy: { $case: 'evolution', value: { populationSize: 3, sampleSize: 5 } } }, convnetLikeSpace(), 3, 'config.strategy'),
      (e: unknown) => e instanceof InvalidArgumentError && e.field === 'config.strategy.evolution.sample_size',
    );
    assert.throws(() => registry.create('random', {}, convnetLikeSpace(), -1), (e: unknown) => e instanceof InvalidArgumentError && e.field === 'seed');
  });

  it('takes injected definitions', () => {
    const r = createStrategyRegistry({ only: { resolve: () => ({}), create: (_s, space) => registry.create('random', {}, space, 0) } });
    assert.deepEqual(r.names(), ['only']);
    assert.equal(r.has('random'), false);
  });
});
