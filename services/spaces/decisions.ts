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
// Each space also carries, built beside its sizes so there is one table: a readable label per choice, when each
// position is active (convnet layer slot i only when depth > i; every nasnet position always), and notes on decode
// rules the decisions do not show. The SearchSpaces RPCs (space-data.ts) and `tgsage space describe` publish these.
import { InvalidArgumentError } from '../common/errors.ts';
import {
  Activation,
  activationToJSON,
  Downsample,
  downsampleToJSON,
  Head,
  headToJSON,
  nasOpToJSON,
  SearchSpace,
  type ConvLayerGene,
  type Genome,
  type NasCell,
} from '../../gen/tgsage/v1/genome.ts';
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
  /** A readable label per choice of each position ("3", "max_pool", "layer 2"), built beside decode. Frozen. */
  readonly choices: readonly (readonly string[])[];
  /**
   * When each position is active: all of its conditions hold (none: always). An inactive position does not change
   * the genome; encode writes its default (0) there. Conditions refer to earlier positions only. Frozen.
   */
  readonly activeWhen: readonly (readonly DecisionCondition[])[];
  /** Rules of decode that the decisions alone do not show. */
  readonly notes: readonly string[];
}

/** Position `decision` takes one of `choices`. */
export interface DecisionCondition {
  readonly decision: number;
  readonly choices: readonly number[];
}

/** The choice every position takes where it is inactive (what encode writes there). */
export const INACTIVE_DEFAULT = 0;

export type SpaceName = 'convnet' | 'nasnet';
export type Decisions = number[];

/** An enum value's readable label: its proto name without the prefix, lower case ("DOWNSAMPLE_MAX_POOL" -> "max_pool"). */
function enumLabel(name: string, prefix: string): string {
  return name.startsWith(prefix) ? name.slice(prefix.length).toLowerCase() : name.toLowerCase();
}
const enumLabels = (count: number, toJSON: (v: number) => string, prefix: string): string[] =>
  Array.from({ length: count }, (_, v) => enumLabel(toJSON(v), prefix));

// decode maps choice k of these positions to enum value k, so the labels are the enum names in value order
const HEAD_LABELS = enumLabels(Head.HEAD_GLOBAL_AVG_POOL_HIDDEN + 1, headToJSON, 'HEAD_');
const DOWNSAMPLE_LABELS = enumLabels(Downsample.DOWNSAMPLE_AVG_POOL + 1, downsampleToJSON, 'DOWNSAMPLE_');
const ACTIVATION_LABELS = enumLabels(Activation.ACTIVATION_SWISH + 1, activationToJSON, 'ACTIVATION_');
const NAS_OP_LABELS = enumLabels(NASNET_NUM_OPS, nasOpToJSON, 'NAS_OP_');

function freezeSpace(space: DecisionSpace): DecisionSpace {
  return Object.freeze({
    name: space.name,
    sizes: Object.freeze(space.sizes) as number[],
    labels: Object.freeze(space.labels) as string[],
    choices: Object.freeze(space.choices.map((c) => Object.freeze(c))),
    activeWhen: Object.freeze(space.activeWhen.map((c) => Object.freeze(c))),
    notes: Object.freeze(space.notes),
  });
}
export const NASNET_NORMAL_CELL_CHOICES = [1, 2, 3] as const;
export const NASNET_FILTER_CHOICES = [8, 16, 32] as const;
export const NASNET_REDUCTION_CHOICES = [1, 2] as const;

function buildConvNetSpace(): DecisionSpace {
  const depths = Array.from({ length: CONVNET_MAX_DEPTH - CONVNET_MIN_DEPTH + 1 }, (_, k) => CONVNET_MIN_DEPTH + k);
  const sizes: number[] = [depths.length, HEAD_LABELS.length];
  const labels: string[] = ['depth', 'head'];
  const choices: string[][] = [depths.map(String), HEAD_LABELS];
  const activeWhen: DecisionCondition[][] = [[], []];
  for (let i = 0; i < CONVNET_MAX_DEPTH; i++) {
    // layer slot i exists when depth > i, i.e. the depth choice k has CONVNET_MIN_DEPTH + k > i
    const when = i < CONVNET_MIN_DEPTH ? [] : [{ decision: 0, choices: depths.flatMap((d, k) => (d > i ? [k] : [])) }];
    const push = (label: string, options: readonly string[]) => {
      labels.push(`layers[${i}].${label}`);
      sizes.push(options.length);
      choices.push([...options]);
      activeWhen.push(when);
    };
    push('filters', CONVNET_FILTERS.map(String));
    push('kernel_size', CONVNET_KERNELS.map(String));
    push('downsample', DOWNSAMPLE_LABELS);
    if (i > 0) push('skip_from', ['none', ...Array.from({ length: i }, (_, j) => `layer ${j}`)]);
    push('batch_norm', ['off', 'on']);
    push('activation', ACTIVATION_LABELS);
  }
  return freezeSpace({
    name: 'convnet',
    sizes,
    labels,
    choices,
    activeWhen,
    notes: [
      `at most ${CONVNET_MAX_DOWNSAMPLES} layers downsample: the downsample of any layer after the ${CONVNET_MAX_DOWNSAMPLES}th downsampling layer decodes as none`,
    ],
  });
}

function buildNasNetSpace(): DecisionSpace {
  const sizes: number[] = [];
  const labels: string[] = [];
  const choices: string[][] = [];
  const push = (label: string, options: readonly string[]) => {
    labels.push(label);
    sizes.push(options.length);
    choices.push([...options]);
  };
  for (const cell of ['normal_cell', 'reduction_cell']) {
    for (let j = 0; j < NASNET_BLOCKS; j++) {
      // inputs: 0 = the cell before the previous one, 1 = the previous cell, 2 + k = block k of this cell
      const inputs = ['prev_prev_cell', 'prev_cell', ...Array.from({ length: j }, (_, k) => `block ${k}`)];
      push(`${cell}.blocks[${j}].input_a`, inputs);
      push(`${cell}.blocks[${j}].input_b`, inputs);
      push(`${cell}.blocks[${j}].op_a`, NAS_OP_LABELS);
      push(`${cell}.blocks[${j}].op_b`, NAS_OP_LABELS);
    }
  }
  push('num_normal_cells', NASNET_NORMAL_CELL_CHOICES.map(String));
  push('initial_filters', NASNET_FILTER_CHOICES.map(String));
  push('num_reductions', NASNET_REDUCTION_CHOICES.map(String));
  return freezeSpace({ name: 'nasnet', sizes, labels, choices, activeWhen: sizes.map(() => []), notes: [] });
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

/** Whether each position is active for this vector (see DecisionSpace.activeWhen). */
export function activeDecisions(space: DecisionSpace, decisions: readonly number[]): boolean[] {
  return space.activeWhen.map((conds) => conds.every((c) => c.choices.includes(decisions[c.decision]!)));
}

/**
 * A full vector from choices by name: every active position must be named (InvalidArgumentError naming
 * `${field}[name]`), inactive ones take INACTIVE_DEFAULT whether named or not; unknown names are errors.
 */
export function decisionsFromNames(space: DecisionSpace, byName: Readonly<Record<string, number>>, field = 'by_name'): Decisions {
  const index = new Map(space.labels.map((l, i) => [l, i]));
  for (const name of Object.keys(byName)) {
    if (!index.has(name)) {
      const shown = name.length > 64 ? `${name.slice(0, 64)}…` : name;
      throw new InvalidArgumentError(`${field}[${shown}]`, `is not a decision of the ${space.name} space`);
    }
  }
  const d: number[] = [];
  space.labels.forEach((name, i) => {
    // conditions refer to earlier positions, so d already holds what they read
    const active = space.activeWhen[i]!.every((c) => c.choices.includes(d[c.decision]!));
    const v = byName[name];
    if (!active) {
      d.push(INACTIVE_DEFAULT);
      return;
    }
    if (v === undefined) throw new InvalidArgumentError(`${field}[${name}]`, 'is active here and must be given');
    if (!Number.isInteger(v) || v < 0 || v >= space.sizes[i]!) {
      throw new InvalidArgumentError(`${field}[${name}]`, `must be 0 to ${space.sizes[i]! - 1} (got ${v})`);
    }
    d.push(v);
  });
  return d;
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
