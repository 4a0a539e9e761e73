// Compact, readable one-line descriptions of genomes for tables:
//   convnet: "32k3 → 64k5/s2 bn → 128k3/max elu +L0 → gap"  (filters k kernel, downsampling, batch norm,
//            non-ReLU activation, skip from layer n; then the head)
//   nasnet:  "N2 F16 R2 · normal sep3(h1)+id(h0) … · reduce …"  (per block op(input) + op(input); h0/h1 = the two
//            previous cells, bj = block j)

import { Activation, Downsample, Head, NasOp, type Genome, type NasCell } from '../../../gen/tgsage/v1/genome.ts';

const DOWNSAMPLE: Record<number, string> = {
  [Downsample.DOWNSAMPLE_NONE]: '',
  [Downsample.DOWNSAMPLE_STRIDE2]: '/s2',
  [Downsample.DOWNSAMPLE_MAX_POOL]: '/max',
  [Downsample.DOWNSAMPLE_AVG_POOL]: '/avg',
};
const ACTIVATION: Record<number, string> = {
  [Activation.ACTIVATION_RELU]: '',
  [Activation.ACTIVATION_ELU]: 'elu',
  [Activation.ACTIVATION_TANH]: 'tanh',
  [Activation.ACTIVATION_SWISH]: 'swish',
};
const HEAD: Record<number, string> = {
  [Head.HEAD_GLOBAL_AVG_POOL]: 'gap',
  [Head.HEAD_FLATTEN]: 'flatten',
  [Head.HEAD_GLOBAL_AVG_POOL_HIDDEN]: 'gap+fc128',
};
const OP: Record<number, string> = {
  [NasOp.NAS_OP_IDENTITY]: 'id',
  [NasOp.NAS_OP_SEP_CONV_3X3]: 'sep3',
  [NasOp.NAS_OP_SEP_CONV_5X5]: 'sep5',
  [NasOp.NAS_OP_SEP_CONV_7X7]: 'sep7',
  [NasOp.NAS_OP_DIL_CONV_3X3]: 'dil3',
  [NasOp.NAS_OP_AVG_POOL_3X3]: 'avg3',
  [NasOp.NAS_OP_MAX_POOL_3X3]: 'max3',
  [NasOp.NAS_OP_CONV_1X7_7X1]: 'c1x7',
};

const input = (i: number): string => (i < 2 ? `h${i}` : `b${i - 2}`);

function cellText(cell: NasCell | undefined): string {
  return (cell?.blocks ?? []).map((b) => `${OP[b.opA] ?? b.opA}(${input(b.inputA)})+${OP[b.opB] ?? b.opB}(${input(b.inputB)})`).join(' ');
}

export function describeGenome(genome: Genome | undefined): string {
  const g = genome?.space;
  if (!g) return '(no genome)';
  if (g.$case === 'convnet') {
    const layers = g.value.layers.map((l) =>
      [
        `${l.filters}k${l.kernelSize}${DOWNSAMPLE[l.downsample] ?? ''}`,
        l.batchNorm ? 'bn' : '',
        ACTIVATION[l.activation] ?? '',
        l.skipFrom !== undefined ? `+L${l.skipFrom}` : '',
      ]
        .filter(Boolean)
        .join(' '),
    );
    return [...layers, HEAD[g.value.head] ?? String(g.value.head)].join(' → ');
  }
  const n = g.value;
  return `N${n.numNormalCells} F${n.initialFilters} R${n.numReductions || 2} · normal ${cellText(n.normalCell)} · reduce ${cellText(n.reductionCell)}`;
}

/** Depth (conv layers) of a convnet, or the number of cells of a nasnet. */
export function genomeDepth(genome: Genome | undefined): number | undefined {
  const g = genome?.space;
  if (!g) return undefined;
  if (g.$case === 'convnet') return g.value.layers.length;
  const r = g.value.numReductions || 2;
  return (r + 1) * g.value.numNormalCells + r;
}
