// What the controller needs from a search strategy: propose genomes, learn from scored ones, save and restore its
// state. Strategies (services/controller/strategies) work on decisions; `strategyProposer` adapts them with the
// search space's decode / encode. Kept this narrow so the runner and the ask/tell path share one shape.
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import type { StudyConfig } from '../../gen/tgsage/v1/search_controller.ts';

export interface ScoredGenome {
  genome: Genome;
  /** The study's score (higher is better). */
  score: number;
  /** Not proposed by this proposer (an imported trial): do not match it with a pending proposal. */
  outside?: boolean;
}

export interface Proposer {
  suggest(count: number, signal?: AbortSignal): Promise<Genome[]>;
  update(results: readonly ScoredGenome[]): Promise<void>;
  /** Serialized state; saved with every trial change so a restarted controller restores it. */
  state?(): string;
  restore?(state: string): void;
  dispose?(): void;
}

/** Makes a study's proposer from its normalized config (strategy, space, seed). */
export type ProposerFactory = (config: StudyConfig) => Proposer | Promise<Proposer>;
