// Each search space as a FIXED-LENGTH sequence of categorical decisions. Search strategies (random, REINFORCE,
// evolution) see only a DecisionSpace and arrays of decisions, never genomes, so they stay space-agnostic.
//
// convnet (49 decisions):
//   [0] depth - 2 (7: depth 2..8)        [1] head (3)
//   then per layer slot i = 0..7: filters (4), kernel_size (4), downsample (4), skip_from (i + 1: none, 0..i-1;
//   slot 0 has no skip decision), batch_norm (2), activation (4).
//   Slots at or beyond the depth are ignored by decode; encode writes 0 there (canonical).
//   Downsampling is capped: decode turns the downsample of any layer after the 4th downsampling layer into none
//   (deterministically), so every decision vector decodes to a valid genome (see CONVNET_MAX_DOWNSAMPLES).
// nasnet (43 decisions):
//   per cell (normal, then reduction), per block j = 0..4: input_a (j + 2), input_b (j + 2), op_a (8), op_b (8);
//   then num_normal_cells {1, 2, 3}, initial_filters {8, 16, 32}, num_reductions {1, 2}.
//   Valid genomes outside these value sets (N = 4, F = 64, ...) are accepted by validateGenome but cannot be
//   encoded (encode throws InvalidArgumentError).
import { InvalidArgumentError } from '../common/errors.ts';
import { Downsample, SearchSpace, type ConvLayerGene, type Genome, type NasCell } from '../../gen/tgsage/v1/genome.ts';
import { createRng, type Rng } from './rng.ts';
import {
  CONVNET_FILTERS,
  CONVNET_KERNELS,
  CONVNET_MAX_DEPTH,
  CONVNET_MAX_DOWNSAMPLES,
  CONVNET_MIN_DEPTH,
  NASNET_BLOCKS,
  NASNET_DEFAULT_REDUCTIONS,
  NASNET_NUM_OPS,
  validateGenome,
} from './validate.ts';

/** A search space as categorical decisions: decision i takes values 0 .. sizes[i] - 1. */
export interface DecisionSpace {
  readonly name: SpaceName;
  /** Frozen at run time; typed mutable so it is assignable to the strategies' structurally equal DecisionSpace. */
  readonly sizes: number[];
  /** A readable name per position, e.g. "layers[3].kernel_size". Frozen. */
  readonly labels: string[];
}

export type SpaceName = 'convnet' | 'nasnet';
export type Decisions = number[];

const HEADS = 3;
const DOWNSAMPLES = 4;
const ACTIVATIONS = 4;
export const NASNET_NORMAL_CELL_CHOICES = [1, 2, 3] as const;
export const NASNET_FILTER_CHOICES = [8, 16, 32] as const;
export const NASNET_REDUCTION_CHOICES = [1, 2] as const;

function buildConvNetSpace(): DecisionSpace {
  const sizes: number[] = [CONVNET_MAX_DEPTH - CONVNET_MIN_DEPTH + 1, HEADS];
  const labels: string[] = ['depth', 'head'];
  for (let i = 0; i < CONVNET_MAX_DEPTH; i++) {
    const push = (label: string, size: number) => {
      labels.push(`layers[${i}].${label}`);
      sizes.push(size);
    };
    push('filters', CONVNET_FILTERS.length);
    push('kernel_size', CONVNET_KERNELS.length);
    push('downsample', DOWNSAMPLES);
    if (i > 0) push('skip_from', i + 1);
    push('batch_norm', 2);
    push('activation', ACTIVATIONS);
  }
  return Object.freeze({ name: 'convnet', sizes: Object.freeze(sizes) as number[], labels: Object.freeze(labels) as string[] });
}

function buildNasNetSpace(): DecisionSpace {
  const sizes: number[] = [];
  const labels: string[] = [];
  for (const cell of ['normal_cell', 'reduction_cell']) {
    for (let j = 0; j < NASNET_BLOCKS; j++) {
      for (const [gene, size] of [
        ['input_a', j + 2],
        ['input_b', j + 2],
        ['op_a', NASNET_NUM_OPS],
        ['op_b', NASNET_NUM_OPS],
      ] as const) {
        labels.push(`${cell}.blocks[${j}].${gene}`);
        sizes.push(size);
      }
    }
  }
  labels.push('num_normal_cells', 'initial_filters', 'num_reductions');
  sizes.push(NASNET_NORMAL_CELL_CHOICES.length, NASNET_FILTER_CHOICES.length, NASNET_REDUCTION_CHOICES.length);
  return Object.freeze({ name: 'nasnet', sizes: Object.freeze(sizes) as number[], labels: Object.freeze(labels) as string[] });
}

export const CONVNET_SPACE: DecisionSpace = buildConvNetSpace();
export const NASNET_SPACE: DecisionSpace = buildNasNetSpace();

/** The decision space of a search space, by proto enum or name. */
export function decisionSpace(space: SearchSpace | SpaceName): DecisionSpace {
  if (space === 'convnet' || space === SearchSpace.SEARCH_SPACE_CONVNET) return CONVNET_SPACE;
  if (space === 'nasnet' || space === SearchSpace.SEARCH_SPACE_NASNET) return NASNET_SPACE;
  throw new InvalidArgumentError('space', `must be convnet or nasnet (got ${String(space)})`);
}

export function spaceEnum(name: SpaceName): SearchSpace {
  return name === 'convnet' ? SearchSpace.SEARCH_SPACE_CONVNET : SearchSpace.SEARCH_SPACE_NASNET;
}

/** Checks a decision vector's length and ranges (InvalidArgumentError naming `decisions[i]`). */
export function checkDecisions(space: DecisionSpace, decisions: readonly number[]): void {
  if (decisions.length !== space.sizes.length) {
    throw new InvalidArgumentError('decisions', `${space.name} needs ${space.sizes.length} decisions (got ${decisions.length})`);
  }
  decisions.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d >= space.sizes[i]!) {
      throw new InvalidArgumentError(`decisions[${i}]`, `${space.labels[i]} must be 0 to ${space.sizes[i]! - 1} (got ${d})`);
    }
  });
}

/** Decisions -> genome. Always a valid genome (see the header for the deterministic downsampling cap). */
export function decode(space: DecisionSpace, decisions: readonly number[]): Genome {
  checkDecisions(space, decisions);
  return space.name === 'convnet' ? decodeConvNet(decisions) : decodeNasNet(decisions);
}

/** Genome -> decisions; `decode(space, encode(g))` equals `canonicalGenome(g)` for every encodable valid genome. */
export function encode(genome: Genome): Decisions {
  const name = validateGenome(genome);
  return name === 'convnet' ? encodeConvNet(genome) : encodeNasNet(genome);
}

/** Uniform over each position independently. */
export function sampleDecisions(space: DecisionSpace, rng: Pick<Rng, 'int'>): Decisions {
  return space.sizes.map((n) => rng.int(n));
}

/** A genome sampled uniformly over the decisions (then decoded). */
export function sampleGenome(space: DecisionSpace | SearchSpace | SpaceName, rng: Pick<Rng, 'int'>): Genome {
  const s = typeof space === 'object' ? space : decisionSpace(space);
  return decode(s, sampleDecisions(s, rng));
}

/**
 * THE genome for `--random-genome --seed S` and SampleGenome(space, seed): uniform over the decisions, drawn from
 * createRng(seed), i.e. exactly `sampleGenome(space, createRng(seed))` (what the trainer and CLI already call).
 */
export function randomGenome(space: DecisionSpace | SearchSpace | SpaceName, seed: number | bigint): Genome {
  return sampleGenome(space, createRng(seed));
}

function decodeConvNet(d: readonly number[]): Genome {
  const depth = CONVNET_MIN_DEPTH + d[0]!;
  const layers: ConvLayerGene[] = [];
  let k = 2;
  let downsamples = 0;
  for (let i = 0; i < CONVNET_MAX_DEPTH; i++) {
    const filters = CONVNET_FILTERS[d[k++]!]!;
    const kernelSize = CONVNET_KERNELS[d[k++]!]!;
    let downsample = d[k++]! as Downsample;
    const skip = i > 0 ? d[k++]! : 0;
    const batchNorm = d[k++]! === 1;
    const activation = d[k++]!;
    if (i >= depth) continue;
    if (downsample !== Downsample.DOWNSAMPLE_NONE && ++downsamples > CONVNET_MAX_DOWNSAMPLES) {
      downsample = Downsample.DOWNSAMPLE_NONE;
    }
    layers.push({
      filters,
      kernelSize,
      downsample,
      skipFrom: skip === 0 ? undefined : skip - 1,
      batchNorm,
      activation,
    });
  }
  return { space: { $case: 'convnet', value: { layers, head: d[1]! } } };
}

function encodeConvNet(genome: Genome): Decisions {
  if (genome.space?.$case !== 'convnet') throw new Error('unreachable');
  const g = genome.space.value;
  const d: number[] = [g.layers.length - CONVNET_MIN_DEPTH, g.head];
  for (let i = 0; i < CONVNET_MAX_DEPTH; i++) {
    const l = g.layers[i];
    if (l === undefined) {
      d.push(0, 0, 0);
      if (i > 0) d.push(0);
      d.push(0, 0);
      continue;
    }
    d.push(CONVNET_FILTERS.indexOf(l.filters as 16), CONVNET_KERNELS.indexOf(l.kernelSize as 1), l.downsample);
    if (i > 0) d.push(l.skipFrom === undefined ? 0 : l.skipFrom + 1);
    d.push(l.batchNorm ? 1 : 0, l.activation);
  }
  return d;
}

function decodeNasNet(d: readonly number[]): Genome {
  let k = 0;
  const cell = (): NasCell => {
    const blocks = [];
    for (let j = 0; j < NASNET_BLOCKS; j++) {
      blocks.push({ inputA: d[k++]!, inputB: d[k++]!, opA: d[k++]!, opB: d[k++]! });
    }
    return { blocks };
  };
  const normalCell = cell();
  const reductionCell = cell();
  return {
    space: {
      $case: 'nasnet',
      value: {
        normalCell,
        reductionCell,
        numNormalCells: NASNET_NORMAL_CELL_CHOICES[d[k++]!]!,
        initialFilters: NASNET_FILTER_CHOICES[d[k++]!]!,
        numReductions: NASNET_REDUCTION_CHOICES[d[k++]!]!,
      },
    },
  };
}

function encodeNasNet(genome: Genome): Decisions {
  if (genome.space?.$case !== 'nasnet') throw new Error('unreachable');
  const g = genome.space.value;
  const d: number[] = [];
  for (const cell of [g.normalCell!, g.reductionCell!]) {
    for (const b of cell.blocks) d.push(b.inputA, b.inputB, b.opA, b.opB);
  }
  const index = (field: string, value: number, choices: readonly number[]): number => {
    const i = choices.indexOf(value);
    if (i < 0) {
      throw new InvalidArgumentError(
        `genome.nasnet.${field}`,
        `${value} is valid but outside the nasnet search space (${choices.join(', ')}), so it has no decision encoding`,
      );
    }
    return i;
  };
  d.push(
    index('num_normal_cells', g.numNormalCells, NASNET_NORMAL_CELL_CHOICES),
    index('initial_filters', g.initialFilters, NASNET_FILTER_CHOICES),
    index('num_reductions', g.numReductions === 0 ? NASNET_DEFAULT_REDUCTIONS : g.numReductions, NASNET_REDUCTION_CHOICES),
  );
  return d;
}
