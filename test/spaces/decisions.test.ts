import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CONVNET_SPACE,
  NASNET_SPACE,
  checkDecisions,
  decisionSpace,
  decode,
  encode,
  sampleDecisions,
  sampleGenome,
} from '../../services/spaces/decisions.ts';
import { canonicalGenome, validateGenome } from '../../services/spaces/validate.ts';
import { createRng, deriveSeed } from '../../services/spaces/rng.ts';
import { Downsample, SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { InvalidArgumentError } from '../../services/common/errors.ts';

test('decision spaces have the documented shapes', () => {
  assert.equal(CONVNET_SPACE.sizes.length, 49);
  assert.equal(CONVNET_SPACE.labels.length, 49);
  assert.deepEqual(CONVNET_SPACE.sizes.slice(0, 2), [7, 3]);
  // slot 0 has no skip decision; slot i has i + 1 choices
  assert.equal(CONVNET_SPACE.labels.indexOf('layers[0].skip_from'), -1);
  assert.equal(CONVNET_SPACE.sizes[CONVNET_SPACE.labels.indexOf('layers[5].skip_from')], 6);
  assert.equal(NASNET_SPACE.sizes.length, 43);
  assert.equal(NASNET_SPACE.sizes[NASNET_SPACE.labels.indexOf('reduction_cell.blocks[4].input_b')], 6);
  assert.deepEqual(NASNET_SPACE.sizes.slice(-3), [3, 3, 2]);
  assert.equal(decisionSpace(SearchSpace.SEARCH_SPACE_NASNET), NASNET_SPACE);
  assert.throws(() => decisionSpace(SearchSpace.SEARCH_SPACE_UNSPECIFIED), InvalidArgumentError);
});

test('rng is deterministic, seeds and labels separate streams, int is in range', () => {
  const a = createRng(42);
  const b = createRng(42);
  const xs = Array.from({ length: 100 }, () => a.uint32());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.uint32()));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, createRng(43).uint32));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, createRng(42, 'x').uint32));
  assert.equal(createRng(7n).uint32(), createRng(7).uint32());
  assert.notEqual(deriveSeed(1, 'conv0'), deriveSeed(1, 'conv1'));
  assert.equal(deriveSeed(1, 'conv0'), deriveSeed(1, 'conv0'));
  const r = createRng(1);
  for (let i = 0; i < 1000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
    const k = r.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
  }
  const f1 = createRng(5).fork('a');
  const f2 = createRng(5).fork('a');
  assert.equal(f1.uint32(), f2.uint32());
});

for (const space of [CONVNET_SPACE, NASNET_SPACE]) {
  test(`${space.name}: random decisions decode to valid genomes that round-trip`, () => {
    const rng = createRng(2024, space.name);
    for (let t = 0; t < 500; t++) {
      const d = sampleDecisions(space, rng);
      const g = decode(space, d);
      assert.equal(validateGenome(g), space.name);
      const e = encode(g);
      checkDecisions(space, e);
      // the genome round-trips exactly, decisions up to canonical values of positions that do not matter
      assert.deepEqual(decode(space, e), g);
      assert.deepEqual(encode(decode(space, e)), e);
      assert.deepEqual(canonicalGenome(g), g);
    }
  });

  test(`${space.name}: sampling is uniform per position (chi-square sanity)`, () => {
    const rng = createRng(99, space.name);
    const n = 3000;
    const counts = space.sizes.map((k) => new Array<number>(k).fill(0));
    for (let t = 0; t < n; t++) sampleDecisions(space, rng).forEach((d, i) => counts[i]![d]!++);
    counts.forEach((c, i) => {
      const k = c.length;
      if (k === 1) return;
      const expected = n / k;
      const chi2 = c.reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
      // df = k - 1 <= 8; the 99.99th percentile of chi2(8) is about 31.8. A broken sampler (e.g. never the last value)
      // gives chi2 >= n / (k - 1) >> 100.
      assert.ok(chi2 < 32, `${space.labels[i]}: chi2 = ${chi2.toFixed(1)} over ${k} values: ${c.join(' ')}`);
    });
  });
}

test('sampleGenome is reproducible for a seed and differs across seeds', () => {
  const g1 = sampleGenome('convnet', createRng(3));
  assert.deepEqual(g1, sampleGenome(SearchSpace.SEARCH_SPACE_CONVNET, createRng(3)));
  assert.notDeepEqual(g1, sampleGenome('convnet', createRng(4)));
  assert.equal(sampleGenome('nasnet', createRng(3)).space?.$case, 'nasnet');
});

test('convnet decode caps downsampling deterministically and ignores slots beyond the depth', () => {
  const d = new Array<number>(CONVNET_SPACE.sizes.length).fill(0);
  d[0] = 6; // depth 8
  for (let i = 0; i < 8; i++) d[CONVNET_SPACE.labels.indexOf(`layers[${i}].downsample`)] = Downsample.DOWNSAMPLE_MAX_POOL;
  const g = decode(CONVNET_SPACE, d);
  assert.equal(g.space?.$case, 'convnet');
  const layers = g.space.$case === 'convnet' ? g.space.value.layers : [];
  assert.deepEqual(
    layers.map((l) => l.downsample),
    [2, 2, 2, 2, 0, 0, 0, 0],
  );
  // depth 2: slots 2..7 do not matter
  const short = new Array<number>(CONVNET_SPACE.sizes.length).fill(0);
  const other = short.slice();
  other[CONVNET_SPACE.labels.indexOf('layers[5].filters')] = 3;
  assert.deepEqual(decode(CONVNET_SPACE, short), decode(CONVNET_SPACE, other));
  assert.deepEqual(encode(decode(CONVNET_SPACE, other)), short);
});

test('bad decision vectors are rejected naming the position', () => {
  assert.throws(() => decode(CONVNET_SPACE, [0, 0]), /decisions: convnet needs 49 decisions \(got 2\)/);
  const d = new Array<number>(NASNET_SPACE.sizes.length).fill(0);
  d[0] = 2; // normal_cell.blocks[0].input_a has 2 choices
  assert.throws(() => decode(NASNET_SPACE, d), /decisions\[0\]: normal_cell.blocks\[0\].input_a must be 0 to 1 \(got 2\)/);
});

test('nasnet genomes valid but outside the sampled value sets cannot be encoded', () => {
  const g = sampleGenome('nasnet', createRng(1));
  if (g.space?.$case !== 'nasnet') throw new Error('expected nasnet');
  g.space.value.initialFilters = 64;
  validateGenome(g);
  assert.throws(() => encode(g), /genome.nasnet.initial_filters: 64 is valid but outside the nasnet search space/);
  g.space.value.initialFilters = 16;
  g.space.value.numReductions = 0; // unset = 2
  assert.equal(encode(g).at(-1), 1);
});

test('randomGenome maps a seed to one fixed genome per space', async () => {
  const { randomGenome } = await import('../../services/spaces/decisions.ts');
  assert.deepEqual(randomGenome('convnet', 3), randomGenome(SearchSpace.SEARCH_SPACE_CONVNET, 3n));
  assert.notDeepEqual(randomGenome('convnet', 3), randomGenome('convnet', 4));
  assert.equal(randomGenome('nasnet', 3).space?.$case, 'nasnet');
  assert.deepEqual(randomGenome('nasnet', 3), sampleGenome('nasnet', createRng(3)));
  validateGenome(randomGenome('nasnet', 2 ** 53 - 1));
});
