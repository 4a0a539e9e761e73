// The strategy interface (after Vizier's policy / designer split): a strategy proposes decision vectors and learns
// from their scores. It knows nothing of genomes, trainers or storage.
//
// Resuming after a restart: `state()` returns a JSON-serialisable snapshot (RNG, learnt weights, population, ...)
// and `restore(state)` continues from exactly there: the next `suggest` returns what it would have returned had the
// process not stopped. The controller saves the state together with the trials it creates from a `suggest` and with
// the results it feeds to `update`, in one transaction, so completed work is neither lost nor repeated.

import type { DecisionSpace } from './space.ts';

/** One proposed point of the space. */
export interface Proposal {
  /** One choice index per decision of the space. */
  decisions: number[];
  /** Strategy-private data (JSON-serialisable), handed back with the result. */
  meta?: unknown;
}

/** The score of an evaluated point (higher is better). */
export interface StrategyResult {
  decisions: number[];
  score: number;
  meta?: unknown;
}

/** JSON-serialisable snapshot of a strategy. */
export type StrategyState = { kind: string; version: number; [key: string]: unknown };

export interface Strategy {
  /** Registry name, e.g. "random". */
  readonly name: string;
  readonly space: DecisionSpace;
  /** Proposes `count` points (count >= 0). */
  suggest(count: number): Proposal[];
  /** Learns from evaluated points, in the order given. Results may come from any earlier `suggest` (or outside). */
  update(results: readonly StrategyResult[]): void;
  /** Snapshot for `restore`. */
  state(): StrategyState;
  /** Continues from a snapshot taken by a strategy made with the same settings and space. */
  restore(state: StrategyState): void;
  /** Frees what it holds (tensors). Idempotent. */
  dispose(): void;
}
