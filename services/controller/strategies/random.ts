// Random search: uniform over the space, seeded, and free of exact duplicates while unseen points are easy to find
// (a bounded number of redraws; a tiny, exhausted space does repeat).

import { FailedPreconditionError } from '../../common/errors.ts';
import { createRng, isRngState, type Rng } from './rng.ts';
import { candidateKey, randomDecisions, spaceCardinality, type DecisionSpace } from './space.ts';
import type { Proposal, Strategy, StrategyResult, StrategyState } from './strategy.ts';

export type RandomSettings = Record<string, never>;

const REDRAWS = 64;

/** Draws a point whose candidate is not in `seen` (up to REDRAWS tries), and records it. Shared by the strategies that sample randomly. */
export function drawUnseen(space: DecisionSpace, rng: Rng, seen: Set<string>): number[] {
  const exhausted = seen.size >= spaceCardinality(space);
  let d = randomDecisions(space, rng);
  for (let i = 0; i < REDRAWS && !exhausted && seen.has(candidateKey(space, d)); i++) d = randomDecisions(space, rng);
  seen.add(candidateKey(space, d));
  return d;
}

/** Throws unless `state` is a snapshot of `kind` at `version`. */
export function checkState(state: StrategyState, kind: string, version: number): void {
  if (state?.kind !== kind || state.version !== version) {
    throw new FailedPreconditionError(`strategy state is ${state?.kind} v${state?.version}, expected ${kind} v${version}`);
  }
}

export function createRandomStrategy(_settings: RandomSettings, space: DecisionSpace, seed: number): Strategy {
  let rng = createRng(seed);
  let seen = new Set<string>();
  return {
    name: 'random',
    space,
    suggest(count: number): Proposal[] {
      return Array.from({ length: count }, () => ({ decisions: drawUnseen(space, rng, seen) }));
    },
    update(results: readonly StrategyResult[]): void {
      for (const r of results) seen.add(candidateKey(space, r.decisions));
    },
    state(): StrategyState {
      return { kind: 'random', version: 1, rng: rng.state(), seen: [...seen] };
    },
    restore(state: StrategyState): void {
      checkState(state, 'random', 1);
      if (!isRngState(state['rng']) || !Array.isArray(state['seen'])) throw new FailedPreconditionError('bad random state');
      rng = createRng(state['rng']);
      seen = new Set(state['seen'] as string[]);
    },
    dispose(): void {},
  };
}
