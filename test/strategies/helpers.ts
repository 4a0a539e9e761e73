// Synthetic objectives for the strategy tests: a space shaped like the convnet one (depth, then per layer filters,
// kernel, downsample, skip, batch norm, activation; then the head) and a hidden target whose score is the fraction
// of matching decisions plus Gaussian noise.

import { createRng } from '../../services/controller/strategies/rng.ts';
import type { DecisionSpace } from '../../services/controller/strategies/space.ts';
import type { Strategy } from '../../services/controller/strategies/strategy.ts';

export function convnetLikeSpace(layers = 8): DecisionSpace {
  const sizes = [7];
  const labels = ['depth'];
  for (let i = 0; i < layers; i++) {
    for (const [name, n] of [['filters', 4], ['kernel', 4], ['downsample', 4], ['skip', i + 1], ['batch_norm', 2], ['activation', 4]] as const) {
      sizes.push(n);
      labels.push(`layer${i}.${name}`);
    }
  }
  sizes.push(3);
  labels.push('head');
  return { name: 'convnet-like', sizes, labels };
}

export interface Objective {
  (decisions: readonly number[]): number;
  target: number[];
}

/** score = fraction of positions equal to a hidden target, plus N(0, noise^2) from its own seeded stream. */
export function matchObjective(space: DecisionSpace, seed: number, noise = 0.02): Objective {
  const rng = createRng(seed + 7919);
  const target = space.sizes.map((n) => rng.int(n));
  const f = (d: readonly number[]): number => {
    let m = 0;
    for (let i = 0; i < d.length; i++) if (d[i] === target[i]) m++;
    return m / d.length + noise * rng.normal();
  };
  return Object.assign(f, { target });
}

/** Noise-free fraction of matches (what the search is really after). */
export function trueScore(obj: Objective, d: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) if (d[i] === obj.target[i]) m++;
  return m / d.length;
}

/** Runs `budget` evaluations in batches of `batch`; returns the true score of every evaluated point in order. */
export function runSearch(strategy: Strategy, obj: Objective, budget: number, batch = 1): number[] {
  const out: number[] = [];
  while (out.length < budget) {
    const ps = strategy.suggest(Math.min(batch, budget - out.length));
    const results = ps.map((p) => ({ decisions: p.decisions, score: obj(p.decisions), meta: p.meta }));
    for (const p of ps) out.push(trueScore(obj, p.decisions));
    strategy.update(results);
  }
  return out;
}

export const bestOf = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);
export const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
