// The injected strategy registry: name -> definition (settings resolver + factory). Callers look strategies up by
// the proto oneof's case name; adding a strategy is one entry here (or in the map a caller passes), never a branch
// on strings elsewhere.

import { InvalidArgumentError } from '../../common/errors.ts';
import type { StrategyConfig } from '../../../gen/tgsage/v1/search_controller.ts';
import { createEvolutionStrategy } from './evolution.ts';
import { createRandomStrategy, type RandomSettings } from './random.ts';
import { createListedStrategy, resolveListedSettings, type ListedSettings } from './listed.ts';
import { createReinforceStrategy } from './reinforce.ts';
import { resolveEvolutionSettings, resolveReinforceSettings, type EvolutionSettings, type ReinforceSettings } from './settings.ts';
import { checkSpace, type DecisionSpace } from './space.ts';
import type { Strategy } from './strategy.ts';

export interface StrategyDefinition<S = unknown> {
  /** Fills defaults and validates; throws InvalidArgumentError naming `${field}.<setting>`. */
  resolve(raw: unknown, field: string): S;
  /** Makes a strategy from resolved settings, deterministic for `seed`. */
  create(settings: S, space: DecisionSpace, seed: number): Strategy;
}

export interface StrategyRegistry {
  /** Registered names, sorted. */
  names(): string[];
  has(name: string): boolean;
  /** Validated settings with defaults filled in. */
  resolve(name: string, settings: unknown, field?: string): unknown;
  /** Validates the settings, then makes the strategy. */
  create(name: string, settings: unknown, space: DecisionSpace, seed: number, field?: string): Strategy;
  /** The proto config with defaults filled in (an absent strategy means random). */
  resolveConfig(config: StrategyConfig | undefined, field?: string): StrategyConfig;
  /** `create` from a proto StrategyConfig. */
  fromConfig(config: StrategyConfig | undefined, space: DecisionSpace, seed: number, field?: string): Strategy;
}

export const randomDefinition: StrategyDefinition<RandomSettings> = {
  resolve: () => ({}),
  create: createRandomStrategy,
};

export const evolutionDefinition: StrategyDefinition<EvolutionSettings> = {
  resolve: (raw, field) => resolveEvolutionSettings(raw as Partial<EvolutionSettings> | undefined, field),
  create: createEvolutionStrategy,
};

export const reinforceDefinition: StrategyDefinition<ReinforceSettings> = {
  resolve: (raw, field) => resolveReinforceSettings(raw as Partial<ReinforceSettings> | undefined, field),
  create: createReinforceStrategy,
};

export const listedDefinition: StrategyDefinition<ListedSettings> = {
  resolve: (raw, field) => resolveListedSettings(raw as Partial<ListedSettings> | undefined, field),
  create: createListedStrategy,
};

/** The built-in strategies. */
export function defaultStrategyDefinitions(): Record<string, StrategyDefinition<any>> {
  return { random: randomDefinition, reinforce: reinforceDefinition, evolution: evolutionDefinition, listed: listedDefinition };
}

export function createStrategyRegistry(
  definitions: Record<string, StrategyDefinition<any>> = defaultStrategyDefinitions(),
): StrategyRegistry {
  const table = new Map(Object.entries(definitions));
  const lookup = (name: string, field: string): StrategyDefinition<any> => {
    const d = table.get(name);
    if (!d) throw new InvalidArgumentError(field, `unknown strategy "${name}" (known: ${[...table.keys()].sort().join(', ')})`);
    return d;
  };
  const registry: StrategyRegistry = {
    names: () => [...table.keys()].sort(),
    has: (name) => table.has(name),
    resolve: (name, settings, field = 'strategy') => lookup(name, field).resolve(settings, `${field}.${name}`),
    create(name, settings, space, seed, field = 'strategy') {
      const d = lookup(name, field);
      const resolved = d.resolve(settings, `${field}.${name}`);
      checkSpace(space);
      if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidArgumentError('seed', `must be a non-negative integer, got ${seed}`);
      return d.create(resolved, space, seed);
    },
    resolveConfig(config, field = 'strategy') {
      const s = config?.strategy ?? { $case: 'random', value: {} };
      return { strategy: { $case: s.$case, value: registry.resolve(s.$case, s.value, field) } as StrategyConfig['strategy'] };
    },
    fromConfig(config, space, seed, field = 'strategy') {
      const s = config?.strategy ?? { $case: 'random', value: {} };
      return registry.create(s.$case, s.value, space, seed, field);
    },
  };
  return registry;
}
