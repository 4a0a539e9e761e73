// Adapts a Strategy (decisions in, decisions out) to the controller's Proposer (genomes in, genomes out) with the
// search space's decode / encode. Many decision vectors decode to one genome (slots beyond the chosen depth are
// unused), so the strategy sees the space's canonical form (to skip duplicates), and each result is reported with
// the vector that was actually proposed (and its strategy-private `meta`) — REINFORCE's gradient needs the sampled
// vector, not the canonical one. Proposals awaiting results are kept by canonical key, and saved in the state so they
// survive a restart.
import { decisionSpace, decode, encode } from '../spaces/decisions.ts';
import type { Proposer, ProposerFactory } from './proposer.ts';
import { createStrategyRegistry, type StrategyRegistry } from './strategies/registry.ts';
import { decisionKey } from './strategies/space.ts';
import type { StrategyState } from './strategies/strategy.ts';

interface Proposed {
  decisions: number[];
  meta?: unknown;
}

interface SavedState {
  strategy: StrategyState;
  pending: Record<string, Proposed[]>;
}

export function strategyProposers(registry: StrategyRegistry = createStrategyRegistry()): ProposerFactory {
  return (config): Proposer => {
    const space = decisionSpace(config.space);
    const strategy = registry.fromConfig(
      config.strategy,
      {
        name: space.name,
        sizes: [...space.sizes],
        labels: [...space.labels],
        canonical: (d) => encode(decode(space, d)),
      },
      config.seed,
    );
    let pending = new Map<string, Proposed[]>();
    return {
      async suggest(count) {
        return strategy.suggest(count).map((p) => {
          const genome = decode(space, p.decisions);
          const key = decisionKey(encode(genome));
          const entry: Proposed = p.meta === undefined ? { decisions: [...p.decisions] } : { decisions: [...p.decisions], meta: p.meta };
          pending.set(key, [...(pending.get(key) ?? []), entry]);
          return genome;
        });
      },
      async update(results) {
        strategy.update(
          results.map((r) => {
            const key = decisionKey(encode(r.genome));
            const queue = r.outside ? undefined : pending.get(key);
            const proposed = queue?.shift();
            if (queue !== undefined && queue.length === 0) pending.delete(key);
            // a genome the strategy did not propose (e.g. replayed after a restart without saved state): its
            // canonical vector is the best description there is
            const decisions = proposed?.decisions ?? encode(r.genome);
            return proposed?.meta === undefined
              ? { decisions, score: r.score }
              : { decisions, score: r.score, meta: proposed.meta };
          }),
        );
      },
      state: () =>
        JSON.stringify({ strategy: strategy.state(), pending: Object.fromEntries(pending) } satisfies SavedState),
      restore(text) {
        const saved = JSON.parse(text) as SavedState;
        strategy.restore(saved.strategy);
        pending = new Map(Object.entries(saved.pending ?? {}));
      },
      dispose: () => strategy.dispose(),
    };
  };
}
