// Genome validation: every rule of the two search spaces, each failure an InvalidArgumentError naming the gene by
// its proto path (snake_case), e.g. `genome.convnet.layers[2].kernel_size: must be one of 1, 3, 5, 7 (got 4)`.
// The accepted ranges are the proto's documented ones; the sampled decision spaces (decisions.ts) are subsets.
import { InvalidArgumentError } from '../common/errors.ts';
import {
  Activation,
  activationToJSON,
  Downsample,
  downsampleToJSON,
  Head,
  headToJSON,
  NasOp,
  nasOpToJSON,
  type ConvNetGenome,
  type Genome,
  type NasCell,
  type NasNetGenome,
} from '../../gen/tgsage/v1/genome.ts';

export const CONVNET_MIN_DEPTH = 2;
export const CONVNET_MAX_DEPTH = 8;
export const CONVNET_FILTERS = [16, 32, 64, 128] as const;
export const CONVNET_KERNELS = [1, 3, 5, 7] as const;
/**
 * At most this many layers may downsample. Every downsampling halves the side with 'same' padding (ceil), so on
 * 28x28 inputs four give 14, 7, 4, 2: the last feature map stays at least 2x2 (a fifth would leave 1x1).
 */
export const CONVNET_MAX_DOWNSAMPLES = 4;
export const NASNET_BLOCKS = 5;
export const NASNET_NUM_OPS = 8;
export const NASNET_MIN_NORMAL_CELLS = 1;
export const NASNET_MAX_NORMAL_CELLS = 4;
export const NASNET_MIN_FILTERS = 8;
export const NASNET_MAX_FILTERS = 64;
export const NASNET_MAX_REDUCTIONS = 2;
/** `num_reductions` 0 (unset in proto3) means this. */
export const NASNET_DEFAULT_REDUCTIONS = 2;

const ACTIVATIONS = [Activation.ACTIVATION_RELU, Activation.ACTIVATION_ELU, Activation.ACTIVATION_TANH, Activation.ACTIVATION_SWISH];
const DOWNSAMPLES = [
  Downsample.DOWNSAMPLE_NONE,
  Downsample.DOWNSAMPLE_STRIDE2,
  Downsample.DOWNSAMPLE_MAX_POOL,
  Downsample.DOWNSAMPLE_AVG_POOL,
];
const HEADS = [Head.HEAD_GLOBAL_AVG_POOL, Head.HEAD_FLATTEN, Head.HEAD_GLOBAL_AVG_POOL_HIDDEN];

function fail(field: string, message: string): never {
  throw new InvalidArgumentError(field, message);
}

function oneOf(field: string, value: number, allowed: readonly number[]): void {
  if (!allowed.includes(value)) fail(field, `must be one of ${allowed.join(', ')} (got ${value})`);
}

function enumOf(field: string, value: number, allowed: readonly number[], name: (v: number) => string): void {
  if (!allowed.includes(value)) {
    fail(field, `must be one of ${allowed.map(name).join(', ')} (got ${value === -1 ? 'an unrecognized value' : value})`);
  }
}

function intInRange(field: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) fail(field, `must be an integer from ${lo} to ${hi} (got ${value})`);
}

/** Throws InvalidArgumentError naming the first bad gene; returns the genome's space name when valid. */
export function validateGenome(genome: Genome | undefined, path = 'genome'): 'convnet' | 'nasnet' {
  const space = genome?.space;
  if (space === undefined) fail(`${path}.space`, 'must be set: give a convnet or a nasnet genome');
  if (space.$case === 'convnet') {
    validateConvNet(space.value, `${path}.convnet`);
    return 'convnet';
  }
  if (space.$case === 'nasnet') {
    validateNasNet(space.value, `${path}.nasnet`);
    return 'nasnet';
  }
  return fail(`${path}.space`, `unknown search space ${(space as { $case: string }).$case}`);
}

/** validateGenome, and the genome must belong to `expected` (e.g. the study's or the CLI's --space). */
export function validateGenomeInSpace(genome: Genome | undefined, expected: 'convnet' | 'nasnet', path = 'genome'): void {
  const actual = validateGenome(genome, path);
  if (actual !== expected) fail(`${path}.space`, `is a ${actual} genome, but the search space is ${expected}`);
}

export function validateConvNet(g: ConvNetGenome, path = 'genome.convnet'): void {
  const depth = g.layers.length;
  if (depth < CONVNET_MIN_DEPTH || depth > CONVNET_MAX_DEPTH) {
    fail(`${path}.layers`, `must have ${CONVNET_MIN_DEPTH} to ${CONVNET_MAX_DEPTH} layers (got ${depth})`);
  }
  let downsamples = 0;
  g.layers.forEach((layer, i) => {
    const p = `${path}.layers[${i}]`;
    oneOf(`${p}.filters`, layer.filters, CONVNET_FILTERS);
    oneOf(`${p}.kernel_size`, layer.kernelSize, CONVNET_KERNELS);
    enumOf(`${p}.downsample`, layer.downsample, DOWNSAMPLES, downsampleToJSON);
    if (layer.downsample !== Downsample.DOWNSAMPLE_NONE && ++downsamples > CONVNET_MAX_DOWNSAMPLES) {
      fail(
        `${p}.downsample`,
        `at most ${CONVNET_MAX_DOWNSAMPLES} layers may downsample (28x28 inputs would shrink below 2x2); this is the ${downsamples}th`,
      );
    }
    if (layer.skipFrom !== undefined) {
      if (i === 0) fail(`${p}.skip_from`, 'must be unset on the first layer (there is no earlier layer)');
      if (!Number.isInteger(layer.skipFrom) || layer.skipFrom < 0 || layer.skipFrom >= i) {
        fail(`${p}.skip_from`, `must be an earlier layer's index, 0 to ${i - 1} (got ${layer.skipFrom})`);
      }
    }
    enumOf(`${p}.activation`, layer.activation, ACTIVATIONS, activationToJSON);
  });
  enumOf(`${path}.head`, g.head, HEADS, headToJSON);
}

export function validateNasNet(g: NasNetGenome, path = 'genome.nasnet'): void {
  validateCell(g.normalCell, `${path}.normal_cell`);
  validateCell(g.reductionCell, `${path}.reduction_cell`);
  intInRange(`${path}.num_normal_cells`, g.numNormalCells, NASNET_MIN_NORMAL_CELLS, NASNET_MAX_NORMAL_CELLS);
  intInRange(`${path}.initial_filters`, g.initialFilters, NASNET_MIN_FILTERS, NASNET_MAX_FILTERS);
  if (!Number.isInteger(g.numReductions) || g.numReductions < 0 || g.numReductions > NASNET_MAX_REDUCTIONS) {
    fail(`${path}.num_reductions`, `must be 1 or 2 (0 or unset means ${NASNET_DEFAULT_REDUCTIONS}) (got ${g.numReductions})`);
  }
}

const NAS_OPS = Array.from({ length: NASNET_NUM_OPS }, (_, i) => i as NasOp);

function validateCell(cell: NasCell | undefined, path: string): void {
  if (cell === undefined) fail(path, 'must be set');
  if (cell.blocks.length !== NASNET_BLOCKS) fail(`${path}.blocks`, `must have exactly ${NASNET_BLOCKS} blocks (got ${cell.blocks.length})`);
  cell.blocks.forEach((block, j) => {
    const p = `${path}.blocks[${j}]`;
    for (const [name, value] of [
      ['input_a', block.inputA],
      ['input_b', block.inputB],
    ] as const) {
      if (!Number.isInteger(value) || value < 0 || value > j + 1) {
        fail(`${p}.${name}`, `must be 0 to ${j + 1} (0, 1 = the two previous cells, 2 + k = block k < ${j}) (got ${value})`);
      }
    }
    enumOf(`${p}.op_a`, block.opA, NAS_OPS, nasOpToJSON);
    enumOf(`${p}.op_b`, block.opB, NAS_OPS, nasOpToJSON);
  });
}

/**
 * The canonical form of a valid genome: defaults made explicit (nasnet `num_reductions` 0 -> 2), fresh objects.
 * Two genomes describe the same network iff their canonical forms are deep-equal.
 */
export function canonicalGenome(genome: Genome): Genome {
  validateGenome(genome);
  const space = genome.space!;
  if (space.$case === 'convnet') {
    return {
      space: {
        $case: 'convnet',
        value: {
          layers: space.value.layers.map((l) => ({
            filters: l.filters,
            kernelSize: l.kernelSize,
            downsample: l.downsample,
            skipFrom: l.skipFrom,
            batchNorm: l.batchNorm,
            activation: l.activation,
          })),
          head: space.value.head,
        },
      },
    };
  }
  const g = space.value;
  const cell = (c: NasCell): NasCell => ({
    blocks: c.blocks.map((b) => ({ inputA: b.inputA, inputB: b.inputB, opA: b.opA, opB: b.opB })),
  });
  return {
    space: {
      $case: 'nasnet',
      value: {
        normalCell: cell(g.normalCell!),
        reductionCell: cell(g.reductionCell!),
        numNormalCells: g.numNormalCells,
        initialFilters: g.initialFilters,
        numReductions: g.numReductions === 0 ? NASNET_DEFAULT_REDUCTIONS : g.numReductions,
      },
    },
  };
}
