// Adapts a Strategy (decisions in, decisions out) to the controller's Proposer (genomes in, genomes out) with the
// search space's decode / encode. Strategy-private `meta` of a proposal is kept by decision key until its result
// comes back, and saved in the state so it survives a restart.
import { decisionSpace, decode, encode } from '../spaces/decisions.ts';
import type { Proposer, ProposerFactory } from './proposer.ts';
import { createStrategyRegistry, type StrategyRegistry } from './strategies/registry.ts';
import { decisionKey } from './strategies/space.ts';
import type { StrategyState } from './strategies/strategy.ts';

interface SavedState {
  strategy: StrategyState;
  meta: Record<string, unknown>;
}

export function strategyProposers(registry: StrategyRegistry = createStrategyRegistry()): ProposerFactory {
  return (config): Proposer => {
    const space = decisionSpace(config.space);
    const strategy = registry.fromConfig(
      config.strategy,
      { name: space.name, sizes: [...space.sizes], labels: [...space.labels] },
      config.seed,
    );
    let meta = new Map<string, unknown>();
    return {
      async suggest(count) {
        return strategy.suggest(count).map((p) => {
          if (p.meta !== undefined) meta.set(decisionKey(p.decisions), p.meta);
          return decode(space, p.decisions);
        });
      },
      async update(results) {
        strategy.update(
          results.map((r) => {
            const decisions = encode(r.genome);
            const key = decisionKey(decisions);
            const m = meta.get(key);
            meta.delete(key);
            return m === undefined ? { decisions, score: r.score } : { decisions, score: r.score, meta: m };
          }),
        );
      },
      state: () => JSON.stringify({ strategy: strategy.state(), meta: Object.fromEntries(meta) } satisfies SavedState),
      restore(text) {
        const saved = JSON.parse(text) as SavedState;
        strategy.restore(saved.strategy);
        meta = new Map(Object.entries(saved.meta ?? {}));
      },
      dispose: () => strategy.dispose(),
    };
  };
}
