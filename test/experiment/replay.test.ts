// Replays on synthetic tables: the mapping (each query a new architecture), cost accounting (a query at b costs b;
// halving continues promoted runs), determinism, the guided result following the table's known structure, and
// strategies through the registry (built-in, REINFORCE in tfjs, and a user's module).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { createStrategyRegistry, defaultStrategyDefinitions } from '../../services/controller/strategies/registry.ts';
import { strategies as example } from '../../services/experiment/examples/hill-climb.ts';
import { chosenGuidance, defaultHalvingBudgets, defaultSettings, guidanceScore, replayTable, type ReplaySetting } from '../../services/experiment/replay.ts';
import { spearman, zscore } from '../../services/experiment/stats.ts';
import { architectures } from '../../services/experiment/table.ts';
import { syntheticTable } from './synthetic-table.ts';

const evalSteps = [10, 30, 100, 300];
// Early P at 30 steps nearly useless, the teacher's "good" layer strong.
const table = syntheticTable({ seed: 7, architectures: 36, evalSteps, rhoP: [0.1, 0.1, 0.5, 1], rhoTg: [0.95, 0.95, 0.95, 0.95], finalNoise: 0.002 });
const good = { layers: ['good'] as string[] };

describe('experiment replay', () => {
  it('random search samples the table without replacement; a query at b costs b steps', async () => {
    const r = await replayTable(table, [{ name: 'rs', strategy: 'random', guidance: { kind: 'p' }, budget: 30 }], { replays: 3, maxSteps: 10_000, batch: 5 });
    const x = r.results[0]!;
    assert.equal(r.arms, 36);
    assert.equal(x.endSteps, 36 * 30, 'stops when every architecture was queried');
    // With every architecture queried, the pick is the best early P of all: the same in every replay.
    assert.ok(Number.isFinite(x.endMedian));
    assert.equal(x.q25[x.q25.length - 1], x.q75[x.q75.length - 1]);
  });

  it('honours the step budget and is deterministic per seed', async () => {
    const s: ReplaySetting[] = [{ name: 'evo', strategy: 'evolution', settings: { populationSize: 6, sampleSize: 2 }, guidance: { kind: 'p' }, budget: 100 }];
    const a = await replayTable(table, s, { replays: 4, maxSteps: 1000, seed: 3 });
    const b = await replayTable(table, s, { replays: 4, maxSteps: 1000, seed: 3 });
    assert.deepEqual(a, b);
    assert.equal(a.results[0]!.endSteps, 1000);
    const c = await replayTable(table, s, { replays: 4, maxSteps: 1000, seed: 4 });
    assert.notDeepEqual(a.results[0]!.median, c.results[0]!.median);
  });

  it('successive halving pays only the extra steps of a continued run', async () => {
    const halving = { budgets: [10, 100, 300], eta: 3, trials: 9 };
    const r = await replayTable(table, [{ name: 'sh', strategy: 'random', guidance: { kind: 'p' }, halving }], { replays: 2, maxSteps: 100_000 });
    // 36 architectures = 4 brackets of 9: 9 x 10 + 3 x (100 - 10) + 1 x (300 - 100) each.
    assert.equal(r.results[0]!.endSteps, 4 * (9 * 10 + 3 * 90 + 200));
    assert.deepEqual(defaultHalvingBudgets([10, 30, 100, 300, 1000, 3000]), [300, 1000, 3000]);
  });

  it("halving promotes by the controller's rung rule: a rung cut short by failures keeps the planned size of the next", async () => {
    // 9 architectures, one bracket; 6 of them have no TG before the final budget, so under TG guidance they fail at
    // rung 0. Planned rungs (eta 2): 9, 4, 2, 1 -> 3 go on to rung 1 (all that completed), then 2 (the plan; not
    // floor(3 / 2) = 1), then 1.
    const nine = syntheticTable({ seed: 11, architectures: 9, evalSteps: [10, 30, 100, 300] });
    nine.runs.forEach((r, i) => {
      if (i % 3 === 0) return;
      for (const c of r.curve) {
        if (c.step === 300) continue;
        for (const sim of Object.values(c.similarity) as unknown as { tg: number; matrix: readonly (readonly number[])[] }[]) {
          sim.tg = Number.NaN;
          sim.matrix = sim.matrix.map((row) => row.map(() => Number.NaN));
        }
      }
    });
    const halving = { budgets: [10, 30, 100, 300], eta: 2, trials: 9 };
    const r = await replayTable(nine, [{ name: 'sh', strategy: 'random', guidance: { kind: 'tg' }, halving }], { replays: 2, maxSteps: 100_000 });
    assert.equal(r.results[0]!.endSteps, 9 * 10 + 3 * (30 - 10) + 2 * (100 - 30) + 1 * (300 - 100));
  });

  it('guidance follows the structure: TG-guided search finds better architectures than P-guided at 30 steps', async () => {
    const settings = defaultSettings(table, { budget: 30, strategies: ['random'], alphas: [0.75], ...good });
    const r = await replayTable(table, settings, { replays: 20, maxSteps: 36 * 300 });
    const by = (name: string) => r.results.find((x) => x.setting.name === name)!;
    const p = by('random / P @ 30');
    const tg = by('random / TG @ 30');
    const full = by('random / P @ 300 (full training)');
    assert.ok(tg.endMedian > p.endMedian, `TG ${tg.endMedian} vs P ${p.endMedian}`);
    assert.ok(tg.vsP && tg.vsP.ratio <= 1, JSON.stringify(tg.vsP));
    assert.ok(tg.vsFull && tg.vsFull.ratio < 1, `TG at 30 steps reaches full training's best median with less compute: ${JSON.stringify(tg.vsFull)}`);
    assert.equal(full.setting.budget, 300);
    assert.ok(r.oracle >= full.endMedian);
  });

  it('replays any registered strategy: REINFORCE (tfjs, no leaked tensors) and a user module', async () => {
    const registry = createStrategyRegistry({ ...defaultStrategyDefinitions(), ...example });
    const before = tf.memory().numTensors;
    const r = await replayTable(
      table,
      [
        { name: 'rl', strategy: 'reinforce', settings: { hiddenUnits: 8 }, guidance: { kind: 'ptg', alpha: 0.5, ...good }, budget: 30 },
        { name: 'hc', strategy: 'hill-climb', settings: { warmup: 4 }, guidance: { kind: 'tg', ...good }, budget: 30 },
      ],
      { replays: 1, maxSteps: 16 * 30, registry },
    );
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(r.results.map((x) => x.endSteps), [480, 480]);
  });

  it("an analysis' z-scored choice becomes the raw alpha that ranks the table's architectures identically", () => {
    const g = chosenGuidance(table, 30, { layers: ['good'], alpha: 0.6, mode: 'z' });
    assert.equal(g.kind, 'ptg');
    const archs = architectures(table);
    const p = archs.map((a) => guidanceScore(table, a, 30, { kind: 'p' }));
    const t = archs.map((a) => guidanceScore(table, a, 30, { kind: 'tg', layers: ['good'] }));
    const zp = zscore(p);
    const zt = zscore(t);
    const z = p.map((_, i) => 0.4 * zp[i]! + 0.6 * zt[i]!);
    const raw = archs.map((a) => guidanceScore(table, a, 30, g));
    assert.ok(Math.abs(spearman(z, raw) - 1) < 1e-12);
    assert.deepEqual(chosenGuidance(table, 30, { layers: [], alpha: 0, mode: 'raw' }), { kind: 'p' });
  });

  it('rejects bad settings naming the field', async () => {
    await assert.rejects(replayTable(table, [{ name: 'x', strategy: 'nope', guidance: { kind: 'p' }, budget: 30 }]), /settings\[0\]\.strategy: unknown strategy "nope"/);
    await assert.rejects(replayTable(table, [{ name: 'x', strategy: 'random', guidance: { kind: 'p' }, budget: 31 }]), /settings\[0\]\.budget/);
    await assert.rejects(replayTable(table, [{ name: 'x', strategy: 'random', guidance: { kind: 'tg', layers: ['v9'] }, budget: 30 }]), /guidance\.layers\[0\]/);
    await assert.rejects(
      replayTable(table, [{ name: 'x', strategy: 'random', guidance: { kind: 'p' }, halving: { budgets: [10, 100], eta: 3, trials: 9 } }]),
      /halving\.budgets: must end at the final budget 300/,
    );
    await assert.rejects(replayTable(table, [{ name: 'x', strategy: 'random', guidance: { kind: 'p' }, budget: 30 }], { replays: 0 }), /replays/);
  });
});
