// Regularized (aging) evolution (Real et al., AAAI 2019). The population is a queue of the P most recently evaluated
// points. The first P proposals are random (distinct); after that each proposal takes a tournament of S members
// drawn at random (without replacement) from the population, mutates one random decision of the best of them to a
// different value, and proposes the child. Each result joins the queue's young end; the oldest member dies once
// the queue holds more than P. Asynchronous by nature: proposals made while results are pending are tournaments
// over whatever population is there (random while it is still empty). A mutation whose candidate was already seen
// (same vector, or same canonical vector when the space defines one) is redrawn up to MUTATION_RETRIES times.
// Results from outside (imported history) join the population like any other; once it is full, the random phase
// ends early, so a study seeded with P imported results evolves from them at once.

import { FailedPreconditionError } from '../../common/errors.ts';
import { checkState, drawUnseen } from './random.ts';
import { createRng, isRngState } from './rng.ts';
import { candidateKey, spaceCardinality, type DecisionSpace } from './space.ts';
import type { EvolutionSettings } from './settings.ts';
import type { Proposal, Strategy, StrategyResult, StrategyState } from './strategy.ts';

interface Member {
  decisions: number[];
  score: number;
}

const MUTATION_RETRIES = 16;

export function createEvolutionStrategy(settings: EvolutionSettings, space: DecisionSpace, seed: number): Strategy {
  const { populationSize, sampleSize } = settings;
  let rng = createRng(seed);
  let population: Member[] = [];
  let randomProposed = 0;
  let seen = new Set<string>();
  const mutable = space.sizes.map((n, i) => (n > 1 ? i : -1)).filter((i) => i >= 0);

  const mutate = (parent: readonly number[]): number[] => {
    const child = [...parent];
    if (mutable.length === 0) return child;
    const i = mutable[rng.int(mutable.length)]!;
    const shift = 1 + rng.int(space.sizes[i]! - 1); // any value but the parent's
    child[i] = (parent[i]! + shift) % space.sizes[i]!;
    return child;
  };

  const tournamentWinner = (): Member => {
    // Partial Fisher-Yates over indices: S distinct members, the best wins (ties: the younger, i.e. later, member).
    const idx = population.map((_, i) => i);
    const s = Math.min(sampleSize, idx.length);
    let best: Member | undefined;
    let bestAt = -1;
    for (let k = 0; k < s; k++) {
      const j = k + rng.int(idx.length - k);
      [idx[k], idx[j]] = [idx[j]!, idx[k]!];
      const m = population[idx[k]!]!;
      if (!best || m.score > best.score || (m.score === best.score && idx[k]! > bestAt)) {
        best = m;
        bestAt = idx[k]!;
      }
    }
    return best!;
  };

  const propose = (): number[] => {
    // without outside results the population never outgrows the random proposals, so this is the plain rule then
    if (population.length === 0 || (randomProposed < populationSize && population.length < populationSize)) {
      randomProposed++;
      return drawUnseen(space, rng, seen);
    }
    const parent = tournamentWinner();
    const exhausted = seen.size >= spaceCardinality(space);
    let child = mutate(parent.decisions);
    for (let i = 0; i < MUTATION_RETRIES && !exhausted && seen.has(candidateKey(space, child)); i++) child = mutate(parent.decisions);
    seen.add(candidateKey(space, child));
    return child;
  };

  return {
    name: 'evolution',
    space,
    suggest(count: number): Proposal[] {
      return Array.from({ length: count }, () => ({ decisions: propose() }));
    },
    update(results: readonly StrategyResult[]): void {
      for (const r of results) {
        seen.add(candidateKey(space, r.decisions));
        if (!Number.isFinite(r.score)) continue; // failed trials do not join the population
        population.push({ decisions: [...r.decisions], score: r.score });
        while (population.length > populationSize) population.shift();
      }
    },
    state(): StrategyState {
      return { kind: 'evolution', version: 1, rng: rng.state(), population, randomProposed, seen: [...seen] };
    },
    restore(state: StrategyState): void {
      checkState(state, 'evolution', 1);
      const { rng: r, population: p, randomProposed: n, seen: s } = state as Record<string, unknown>;
      if (!isRngState(r) || !Array.isArray(p) || typeof n !== 'number' || !Array.isArray(s)) {
        throw new FailedPreconditionError('bad evolution state');
      }
      rng = createRng(r);
      population = (p as Member[]).map((m) => ({ decisions: [...m.decisions], score: m.score }));
      randomProposed = n;
      seen = new Set(s as string[]);
    },
    dispose(): void {},
  };
}
