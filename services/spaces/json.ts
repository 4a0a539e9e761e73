// Genome <-> JSON for the CLI and for storage. Input is the proto3 JSON form (camelCase or snake_case keys) with
// friendlier enums: the full name ("ACTIVATION_SWISH"), the name without its prefix in any case ("swish",
// "max_pool", "sep_conv_3x3"), or the number. Unknown keys and unknown enum names are errors naming the field, so a
// typo never silently becomes a default. Output (canonical JSON) has every field, in proto order, with full enum
// names; `skipFrom` appears only when set.
import { InvalidArgumentError } from '../common/errors.ts';
import {
  activationToJSON,
  downsampleToJSON,
  Genome,
  headToJSON,
  nasOpToJSON,
  type NasCell,
} from '../../gen/tgsage/v1/genome.ts';
import { canonicalGenome, validateGenome } from './validate.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface EnumSpec {
  prefix: string;
  names: readonly string[];
}
const ENUMS = {
  downsample: { prefix: 'DOWNSAMPLE_', names: ['NONE', 'STRIDE2', 'MAX_POOL', 'AVG_POOL'] },
  activation: { prefix: 'ACTIVATION_', names: ['RELU', 'ELU', 'TANH', 'SWISH'] },
  head: { prefix: 'HEAD_', names: ['GLOBAL_AVG_POOL', 'FLATTEN', 'GLOBAL_AVG_POOL_HIDDEN'] },
  nasOp: {
    prefix: 'NAS_OP_',
    names: ['IDENTITY', 'SEP_CONV_3X3', 'SEP_CONV_5X5', 'SEP_CONV_7X7', 'DIL_CONV_3X3', 'AVG_POOL_3X3', 'MAX_POOL_3X3', 'CONV_1X7_7X1'],
  },
} satisfies Record<string, EnumSpec>;

type FieldKind = 'number' | 'bool' | keyof typeof ENUMS | { message: MessageSpec } | { list: MessageSpec };
interface MessageSpec {
  /** proto (snake_case) name -> kind */
  fields: Record<string, FieldKind>;
}
const CONV_LAYER: MessageSpec = {
  fields: { filters: 'number', kernel_size: 'number', downsample: 'downsample', skip_from: 'number', batch_norm: 'bool', activation: 'activation' },
};
const CONVNET: MessageSpec = { fields: { layers: { list: CONV_LAYER }, head: 'head' } };
const NAS_BLOCK: MessageSpec = { fields: { input_a: 'number', input_b: 'number', op_a: 'nasOp', op_b: 'nasOp' } };
const NAS_CELL: MessageSpec = { fields: { blocks: { list: NAS_BLOCK } } };
const NASNET: MessageSpec = {
  fields: {
    normal_cell: { message: NAS_CELL },
    reduction_cell: { message: NAS_CELL },
    num_normal_cells: 'number',
    initial_filters: 'number',
    num_reductions: 'number',
  },
};
const GENOME: MessageSpec = { fields: { convnet: { message: CONVNET }, nasnet: { message: NASNET } } };

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rewrites a raw JSON value to the generated fromJSON's input form (camelCase keys, full enum names), strictly. */
function normalise(value: Json, spec: MessageSpec, path: string): Record<string, unknown> {
  if (!isObject(value)) throw new InvalidArgumentError(path, `must be a JSON object (got ${describe(value)})`);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    const proto = Object.keys(spec.fields).find((f) => f === key || camel(f) === key);
    if (proto === undefined) {
      throw new InvalidArgumentError(`${path}.${key}`, `unknown field; expected one of ${Object.keys(spec.fields).join(', ')}`);
    }
    const field = `${path}.${proto}`;
    const kind = spec.fields[proto]!;
    if (raw === null) continue;
    let v: unknown;
    if (kind === 'number') {
      if (typeof raw !== 'number') throw new InvalidArgumentError(field, `must be a number (got ${describe(raw)})`);
      v = raw;
    } else if (kind === 'bool') {
      if (typeof raw !== 'boolean') throw new InvalidArgumentError(field, `must be true or false (got ${describe(raw)})`);
      v = raw;
    } else if (typeof kind === 'string') {
      v = enumValue(raw, ENUMS[kind], field);
    } else if ('message' in kind) {
      v = normalise(raw, kind.message, field);
    } else {
      if (!Array.isArray(raw)) throw new InvalidArgumentError(field, `must be a JSON array (got ${describe(raw)})`);
      v = raw.map((item, i) => normalise(item, kind.list, `${field}[${i}]`));
    }
    out[camel(proto)] = v;
  }
  return out;
}

function enumValue(raw: Json, spec: EnumSpec, field: string): number {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < spec.names.length) return raw;
  if (typeof raw === 'string') {
    let name = raw.trim().toUpperCase().replace(/[-\s]/g, '_');
    if (name.startsWith(spec.prefix)) name = name.slice(spec.prefix.length);
    const i = spec.names.indexOf(name);
    if (i >= 0) return i;
  }
  throw new InvalidArgumentError(
    field,
    `must be one of ${spec.names.map((n) => n.toLowerCase()).join(', ')} (or ${spec.prefix}... / its number) (got ${describe(raw)})`,
  );
}

function describe(v: Json): string {
  return JSON.stringify(v) ?? String(v);
}

/** Parses and validates a genome from JSON text (or an already-parsed value). Throws InvalidArgumentError. */
export function genomeFromJson(input: string | unknown, path = 'genome'): Genome {
  let value: Json;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as Json;
    } catch (err) {
      throw new InvalidArgumentError(path, `is not valid JSON: ${(err as Error).message}`);
    }
  } else {
    value = input as Json;
  }
  const normalised = normalise(value, GENOME, path);
  if ('convnet' in normalised && 'nasnet' in normalised) {
    throw new InvalidArgumentError(`${path}.space`, 'give either convnet or nasnet, not both');
  }
  const genome = Genome.fromJSON(normalised);
  validateGenome(genome, path);
  return genome;
}

/** The canonical JSON value of a valid genome (all fields, proto order, full enum names). */
export function genomeToJsonValue(genome: Genome): Record<string, unknown> {
  const space = canonicalGenome(genome).space!;
  if (space.$case === 'convnet') {
    return {
      convnet: {
        layers: space.value.layers.map((l) => ({
          filters: l.filters,
          kernelSize: l.kernelSize,
          downsample: downsampleToJSON(l.downsample),
          ...(l.skipFrom === undefined ? {} : { skipFrom: l.skipFrom }),
          batchNorm: l.batchNorm,
          activation: activationToJSON(l.activation),
        })),
        head: headToJSON(space.value.head),
      },
    };
  }
  const g = space.value;
  const cell = (c: NasCell) => ({
    blocks: c.blocks.map((b) => ({ inputA: b.inputA, inputB: b.inputB, opA: nasOpToJSON(b.opA), opB: nasOpToJSON(b.opB) })),
  });
  return {
    nasnet: {
      normalCell: cell(g.normalCell!),
      reductionCell: cell(g.reductionCell!),
      numNormalCells: g.numNormalCells,
      initialFilters: g.initialFilters,
      numReductions: g.numReductions,
    },
  };
}

/** Canonical JSON text: compact by default (for genome_json / storage keys), `indent` for people. */
export function genomeToJson(genome: Genome, indent?: number): string {
  return JSON.stringify(genomeToJsonValue(genome), null, indent);
}
