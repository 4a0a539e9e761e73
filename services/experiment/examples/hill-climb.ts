// Example: a new search strategy, replayed on a benchmark table without touching tgsage's code.
//
//   tgsage experiment replay docs/science/fashion-convnet.json \
//     --strategy-module services/experiment/examples/hill-climb.ts --strategies random,hill-climb
//
// A module for --strategy-module exports `strategies`: registry name -> StrategyDefinition (settings resolver +
// factory), the same shape services/controller/strategies/registry.ts registers the built-in ones with. In code,
// pass `registry: createStrategyRegistry({ ...defaultStrategyDefinitions(), ...strategies })` to replayTable.
//
// The strategy: `warmup` random points, then single-decision mutations of the best point seen so far (a point
// already proposed is redrawn a bounded number of times). Deterministic for a seed; state() / restore() resume it.

import { InvalidArgumentError } from '../../common/errors.ts';
import { checkState, drawUnseen } from '../../controller/strategies/random.ts';
import type { StrategyDefinition } from '../../controller/strategies/registry.ts';
import { createRng, isRngState } from '../../controller/strategies/rng.ts';
import { candidateKey, type DecisionSpace } from '../../controller/strategies/space.ts';
import type { Proposal, Strategy, StrategyResult, StrategyState } from '../../controller/strategies/strategy.ts';

export interface HillClimbSettings {
  /** Random points before climbing (default 8). */
  warmup: number;
}

function createHillClimb(settings: HillClimbSettings, space: DecisionSpace, seed: number): Strategy {
  let rng = createRng(seed);
  let seen = new Set<string>();
  let best: { decisions: number[]; score: number } | undefined;
  let evaluated = 0;
  const mutate = (d: readonly number[]): number[] => {
    for (let tries = 0; tries < 64; tries++) {
      const out = [...d];
      const i = rng.int(space.sizes.length);
      if (space.sizes[i]! < 2) continue;
      out[i] = (out[i]! + 1 + rng.int(space.sizes[i]! - 1)) % space.sizes[i]!;
      if (!seen.has(candidateKey(space, out))) {
        seen.add(candidateKey(space, out));
        return out;
      }
    }
    return drawUnseen(space, rng, seen);
  };
  return {
    name: 'hill-climb',
    space,
    suggest(count: number): Proposal[] {
      return Array.from({ length: count }, () => ({
        decisions: best && evaluated >= settings.warmup ? mutate(best.decisions) : drawUnseen(space, rng, seen),
      }));
    },
    update(results: readonly StrategyResult[]): void {
      for (const r of results) {
        evaluated++;
        seen.add(candidateKey(space, r.decisions));
        if (Number.isFinite(r.score) && (!best || r.score > best.score)) best = { decisions: [...r.decisions], score: r.score };
      }
    },
    state(): StrategyState {
      return { kind: 'hill-climb', version: 1, rng: rng.state(), seen: [...seen], best: best ?? null, evaluated };
    },
    restore(state: StrategyState): void {
      checkState(state, 'hill-climb', 1);
      if (!isRngState(state['rng'])) throw new InvalidArgumentError('state.rng', 'not an RNG state');
      rng = createRng(state['rng']);
      seen = new Set(state['seen'] as string[]);
      best = (state['best'] as typeof best | null) ?? undefined;
      evaluated = state['evaluated'] as number;
    },
    dispose(): void {},
  };
}

export const hillClimbDefinition: StrategyDefinition<HillClimbSettings> = {
  resolve(raw, field) {
    const warmup = (raw as Partial<HillClimbSettings> | undefined)?.warmup ?? 8;
    if (!Number.isInteger(warmup) || warmup < 1) throw new InvalidArgumentError(`${field}.warmup`, `must be an integer >= 1, got ${warmup}`);
    return { warmup };
  },
  create: createHillClimb,
};

/** What --strategy-module reads. */
export const strategies = { 'hill-climb': hillClimbDefinition };
