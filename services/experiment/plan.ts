// What an experiment trains (pure domain): K distinct architectures sampled from a space, each with its training
// seeds. Architecture sampling is a deterministic sequence: attempt j draws the genome `randomGenome(space,
// genomeSeed(seed, j))` (what `tgsage train --random-genome --genome-seed G` trains), and it is kept when it is new
// (by canonical genome JSON) and within the caps; architecture i is the i-th kept attempt. So a table extended to
// a larger K keeps its first architectures, and any row can be re-made from its recorded genome seed.
import type { Genome } from '../../gen/tgsage/v1/genome.ts';
import { randomGenome } from '../spaces/decisions.ts';
import { genomeToJson } from '../spaces/json.ts';

export interface Caps {
  /** Most FLOPs of one forward pass (0 = no cap). */
  readonly maxFlops: number;
  /** Most trainable parameters (0 = no cap). */
  readonly maxParams: number;
}

export interface Architecture {
  readonly index: number;
  readonly genomeSeed: number;
  readonly genome: Genome;
  /** Canonical genome JSON. */
  readonly key: string;
  readonly parameters: number;
  readonly flops: number;
}

export type Describe = (genome: Genome, signal?: AbortSignal) => Promise<{ parameters: number; flops: number }>;

/** Attempts per wanted architecture before sampling gives up (caps too tight, or a small space exhausted). */
export const MAX_ATTEMPTS_PER_ARCHITECTURE = 200;
/** Seeds of experiments are below this, so that genome seeds stay exact integers. */
export const MAX_EXPERIMENT_SEED = 2 ** 32;
const STRIDE = 1_000_003;

/** The genome seed of sampling attempt j of an experiment seeded `seed` (a plain integer anyone can re-use). */
export function genomeSeed(seed: number, attempt: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed >= MAX_EXPERIMENT_SEED) throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  return seed * STRIDE + attempt;
}

export class SamplingError extends Error {}

/**
 * Samples architectures 0..k-1. `describe` gives parameters and FLOPs (the trainer's DescribeGenome); `known`
 * (architectures already sampled, e.g. from a table) are re-used instead of described again when they match.
 */
export async function sampleArchitectures(
  space: 'convnet' | 'nasnet',
  seed: number,
  k: number,
  caps: Caps,
  describe: Describe,
  options: { known?: ReadonlyMap<string, { parameters: number; flops: number }>; signal?: AbortSignal; onSampled?: (a: Architecture) => void } = {},
): Promise<Architecture[]> {
  const out: Architecture[] = [];
  const seen = new Set<string>();
  const limit = MAX_ATTEMPTS_PER_ARCHITECTURE * Math.max(1, k);
  for (let attempt = 0; out.length < k; attempt++) {
    if (attempt >= limit) {
      throw new SamplingError(
        `found only ${out.length} of ${k} distinct ${space} architectures within the caps in ${limit} draws: loosen --max-mflops / --max-params or ask for fewer`,
      );
    }
    options.signal?.throwIfAborted();
    const gs = genomeSeed(seed, attempt);
    const genome = randomGenome(space, gs);
    const key = genomeToJson(genome);
    if (seen.has(key)) continue;
    seen.add(key);
    const facts = options.known?.get(key) ?? (await describe(genome, options.signal));
    if (caps.maxFlops > 0 && facts.flops > caps.maxFlops) continue;
    if (caps.maxParams > 0 && facts.parameters > caps.maxParams) continue;
    const a: Architecture = { index: out.length, genomeSeed: gs, genome, key, parameters: facts.parameters, flops: facts.flops };
    out.push(a);
    options.onSampled?.(a);
  }
  return out;
}

export interface SeedPlan {
  /** Training seeds of every architecture. */
  readonly seeds: readonly number[];
  /** The first `subset` architectures are also trained with `extraSeed` (0 = none). */
  readonly extraSubset: number;
  readonly extraSeed: number;
}

export interface Pair {
  readonly architecture: Architecture;
  readonly trainingSeed: number;
}

/**
 * Every (architecture, training seed) the plan asks for, seed-major: every architecture with the first seed, then with
 * the next, and the extra seed's subset last. The study trains them in this order, so a run stopped part-way (they take
 * hours) holds as many distinct architectures as it can; the rows that only measure seed noise come last.
 */
export function plannedPairs(architectures: readonly Architecture[], plan: SeedPlan): Pair[] {
  const primary = plan.seeds.flatMap((trainingSeed) => architectures.map((architecture) => ({ architecture, trainingSeed })));
  if (plan.seeds.includes(plan.extraSeed)) return primary;
  const extra = architectures.filter((a) => a.index < plan.extraSubset).map((architecture) => ({ architecture, trainingSeed: plan.extraSeed }));
  return [...primary, ...extra];
}

/** Row identity: one architecture (canonical genome JSON) trained with one seed. */
export function pairKey(genomeKey: string, trainingSeed: number): string {
  return `${trainingSeed}|${genomeKey}`;
}
