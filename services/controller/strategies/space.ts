// The space-agnostic view the strategies search over: a fixed-length sequence of categorical decisions. Structurally
// a supertype of services/spaces/decisions.ts' DecisionSpace (CONVNET_SPACE / NASNET_SPACE pass as they are); the
// strategies never see genomes, and tests can use synthetic spaces of any name.

import { InvalidArgumentError } from '../../common/errors.ts';
import type { Rng } from './rng.ts';

export interface DecisionSpace {
  /** Space name, e.g. "convnet". */
  readonly name: string;
  /** Number of choices of each decision (each >= 1). */
  readonly sizes: readonly number[];
  /** Readable name of each decision, e.g. "layers[2].kernel_size". */
  readonly labels: readonly string[];
  /**
   * Optional: the canonical vector of the same candidate (e.g. `d => encode(decode(space, d))`, which zeroes the
   * slots of convnet layers beyond the depth). Random search and evolution use it to avoid proposing a candidate
   * already seen under another vector (in the convnet space over a third of single-decision mutations change only
   * unused slots). Strategies still propose and learn from raw vectors.
   */
  readonly canonical?: (decisions: readonly number[]) => number[];
}

/** Throws unless `space` is well formed. */
export function checkSpace(space: DecisionSpace, field = 'space'): void {
  if (space.sizes.length === 0) throw new InvalidArgumentError(field, 'has no decisions');
  space.sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${field}.sizes[${i}]`, `must be >= 1, got ${n}`);
  });
}

/** Throws unless `decisions` is a valid point of `space`. */
export function checkDecisions(space: DecisionSpace, decisions: readonly number[], field = 'decisions'): void {
  if (decisions.length !== space.sizes.length) {
    throw new InvalidArgumentError(field, `has ${decisions.length} values, the ${space.name} space has ${space.sizes.length}`);
  }
  decisions.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d >= space.sizes[i]!) {
      throw new InvalidArgumentError(`${field}[${i}]`, `must be in [0, ${space.sizes[i]}), got ${d}`);
    }
  });
}

/** A string key for exact-duplicate checks. */
export function decisionKey(decisions: readonly number[]): string {
  return decisions.join(',');
}

/** Duplicate-check key of a point: of its canonical vector when the space has one. */
export function candidateKey(space: DecisionSpace, decisions: readonly number[]): string {
  return decisionKey(space.canonical ? space.canonical(decisions) : decisions);
}

/** Number of points in the space (Infinity past 2^53). */
export function spaceCardinality(space: DecisionSpace): number {
  let n = 1;
  for (const s of space.sizes) {
    n *= s;
    if (n > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return n;
}

/** A uniformly random point. */
export function randomDecisions(space: DecisionSpace, rng: Rng): number[] {
  return space.sizes.map((n) => rng.int(n));
}
