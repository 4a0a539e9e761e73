// The NASNet / PNAS cell space as a tfjs-layers graph (small, CIFAR-style, for 28x28 inputs).
//
// stem: conv 3x3, stride 2 (STEM_STRIDE), to F channels + batch norm. Then (N normal cells, one reduction cell) x R, then N normal cells;
// every reduction cell doubles the filters C (F, 2F, 4F). Cell i (named `cell{i}`, its representation layer):
//   - inputs h0 (the cell before the previous one) and h1 (the previous cell) are brought to C channels by
//     relu -> 1x1 conv -> batch norm; h0 by a factorised reduction instead when it is twice h1's size (after a
//     reduction cell).
//   - block j: op_a(input_a) + op_b(input_b); in a reduction cell the ops on the cell inputs (0, 1) use stride 2.
//   - ops: identity (nothing, or a factorised reduction when stride 2); relu -> k x k separable conv -> bn;
//     relu -> 3x3 conv with dilation 2 (and the stride) -> bn (dilated-conv.ts: trainable on every backend); 3x3 average / max pool 'same'; relu -> 1x7 conv -> 7x1 conv -> bn.
//   - output: concatenation of the cell's hidden states no block uses (the block itself when it is the only one):
//     unused blocks and, as in NASNet's own code, an unused cell input (after a factorised reduction in a
//     reduction cell). That keeps every cell connected: a cell whose blocks ignore input 1 would otherwise leave
//     the previous cell dangling. The width is a multiple of C; the next cell's 1x1 input convs bring it back to C.
// Classifier: relu -> global average pool -> dense softmax.
// Factorised reduction (NASNet): two paths, avg pool 1x1 stride 2 -> 1x1 conv to C/2, and the same on the input
// shifted by one pixel (zero pad bottom/right, crop top/left); concatenated, then batch norm.
import * as tfl from '@tensorflow/tfjs-layers';
import { NasOp, type NasCell, type NasNetGenome } from '../../gen/tgsage/v1/genome.ts';
import { BN_EPSILON, BN_MOMENTUM, type Initializers } from './init.ts';
import { NASNET_DEFAULT_REDUCTIONS } from './validate.ts';
import { DilatedConv2D } from './dilated-conv.ts';

type Sym = tfl.SymbolicTensor;

/** The stem halves the input (28x28 -> 14x14): cells then run at 14, 7, 4, which keeps them trainable on CPU. */
export const STEM_STRIDE = 2;
interface State {
  tensor: Sym;
  size: number;
}

export function buildNasNet(
  g: NasNetGenome,
  input: Sym,
  numClasses: number,
  init: Initializers,
): { output: Sym; representationLayers: string[] } {
  const reductions = g.numReductions === 0 ? NASNET_DEFAULT_REDUCTIONS : g.numReductions;
  const ops = layerFactory(init);
  let x = ops.conv(input, 'stem_conv', g.initialFilters, [3, 3], [STEM_STRIDE, STEM_STRIDE]);
  x = ops.bn(x, 'stem');
  let h0: State = { tensor: x, size: Math.ceil(input.shape[1]! / STEM_STRIDE) };
  let h1: State = h0;
  let filters = g.initialFilters;
  const representationLayers: string[] = [];
  const addCell = (spec: NasCell, reduce: boolean) => {
    const name = `cell${representationLayers.length}`;
    const out = buildCell(spec, name, filters, h0, h1, reduce, ops);
    representationLayers.push(name);
    h0 = h1;
    h1 = out;
  };
  for (let r = 0; r <= reductions; r++) {
    for (let n = 0; n < g.numNormalCells; n++) addCell(g.normalCell!, false);
    if (r < reductions) {
      filters *= 2;
      addCell(g.reductionCell!, true);
    }
  }
  let h = tfl.layers.activation({ name: 'head_relu', activation: 'relu' }).apply(h1.tensor) as Sym;
  h = tfl.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(h) as Sym;
  const output = tfl.layers
    .dense({ name: 'head_dense', units: numClasses, activation: 'softmax', kernelInitializer: init.dense('head_dense') })
    .apply(h) as Sym;
  return { output, representationLayers };
}

function buildCell(spec: NasCell, name: string, c: number, h0: State, h1: State, reduce: boolean, ops: LayerFactory): State {
  const used = new Set<number>();
  for (const b of spec.blocks) used.add(b.inputA).add(b.inputB);
  // Both inputs are brought to C channels (and h0 to h1's size); an input no block uses joins the output below.
  const states: Sym[] = [
    h0.size > h1.size
      ? ops.factorizedReduction(ops.relu(h0.tensor, `${name}_pre0_relu`), `${name}_pre0`, c)
      : ops.project(h0.tensor, `${name}_pre0`, c),
    ops.project(h1.tensor, `${name}_pre1`, c),
  ];
  const unusedBlocks = spec.blocks.map((_, j) => j).filter((j) => !used.has(j + 2));
  const unusedInputs = [0, 1].filter((k) => !used.has(k));
  const single = unusedBlocks.length === 1 && unusedInputs.length === 0;
  spec.blocks.forEach((b, j) => {
    const p = `${name}_b${j}`;
    const a = ops.op(b.opA, states[b.inputA]!, `${p}_a`, c, reduce && b.inputA < 2 ? 2 : 1);
    const bb = ops.op(b.opB, states[b.inputB]!, `${p}_b`, c, reduce && b.inputB < 2 ? 2 : 1);
    states[j + 2] = tfl.layers.add({ name: single && unusedBlocks[0] === j ? name : p }).apply([a, bb]) as Sym;
  });
  const outputs = [
    ...unusedBlocks.map((j) => states[j + 2]!),
    // an unused cell input, reduced to the cell's output size in a reduction cell
    ...unusedInputs.map((k) => (reduce ? ops.factorizedReduction(states[k]!, `${name}_in${k}_fr`, c) : states[k]!)),
  ];
  const tensor = single ? outputs[0]! : (tfl.layers.concatenate({ name, axis: -1 }).apply(outputs) as Sym);
  return { tensor, size: reduce ? Math.ceil(h1.size / 2) : h1.size };
}

type LayerFactory = ReturnType<typeof layerFactory>;

function layerFactory(init: Initializers) {
  const conv = (x: Sym, name: string, filters: number, kernelSize: [number, number], strides: [number, number] = [1, 1]): Sym =>
    tfl.layers
      .conv2d({ name, filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: init.conv(name) })
      .apply(x) as Sym;
  const bn = (x: Sym, name: string): Sym =>
    tfl.layers.batchNormalization({ name, momentum: BN_MOMENTUM, epsilon: BN_EPSILON }).apply(x) as Sym;
  const relu = (x: Sym, name: string): Sym => tfl.layers.activation({ name, activation: 'relu' }).apply(x) as Sym;
  const subsample = (x: Sym, name: string): Sym =>
    tfl.layers.averagePooling2d({ name, poolSize: 1, strides: 2, padding: 'valid' }).apply(x) as Sym;

  /** relu -> 1x1 conv -> bn. */
  const project = (x: Sym, name: string, c: number): Sym => bn(conv(relu(x, `${name}_relu`), `${name}_conv`, c, [1, 1]), `${name}_bn`);

  const factorizedReduction = (x: Sym, name: string, c: number): Sym => {
    const half = Math.floor(c / 2);
    const p1 = conv(subsample(x, `${name}_fr1_pool`), `${name}_fr1_conv`, half, [1, 1]);
    let shifted = tfl.layers.zeroPadding2d({ name: `${name}_fr2_pad`, padding: [[0, 1], [0, 1]] }).apply(x) as Sym;
    shifted = tfl.layers.cropping2D({ name: `${name}_fr2_crop`, cropping: [[1, 0], [1, 0]] }).apply(shifted) as Sym;
    const p2 = conv(subsample(shifted, `${name}_fr2_pool`), `${name}_fr2_conv`, c - half, [1, 1]);
    const cat = tfl.layers.concatenate({ name: `${name}_fr_cat`, axis: -1 }).apply([p1, p2]) as Sym;
    return bn(cat, `${name}_fr_bn`);
  };

  const op = (kind: NasOp, x: Sym, name: string, c: number, stride: 1 | 2): Sym => {
    switch (kind) {
      case NasOp.NAS_OP_IDENTITY:
        return stride === 1 ? x : factorizedReduction(x, name, c);
      case NasOp.NAS_OP_SEP_CONV_3X3:
      case NasOp.NAS_OP_SEP_CONV_5X5:
      case NasOp.NAS_OP_SEP_CONV_7X7: {
        const k = kind === NasOp.NAS_OP_SEP_CONV_3X3 ? 3 : kind === NasOp.NAS_OP_SEP_CONV_5X5 ? 5 : 7;
        const y = tfl.layers
          .separableConv2d({
            name: `${name}_sep`,
            filters: c,
            kernelSize: k,
            strides: stride,
            padding: 'same',
            useBias: false,
            depthwiseInitializer: init.conv(`${name}_sep`, 'depthwise'),
            pointwiseInitializer: init.conv(`${name}_sep`, 'pointwise'),
          })
          .apply(relu(x, `${name}_relu`)) as Sym;
        return bn(y, `${name}_bn`);
      }
      case NasOp.NAS_OP_DIL_CONV_3X3: {
        const y = new DilatedConv2D({
          name: `${name}_dil`,
          filters: c,
          kernelSize: 3,
          rate: 2,
          strides: stride,
          kernelInitializer: init.conv(`${name}_dil`),
        }).apply(relu(x, `${name}_relu`)) as Sym;
        return bn(y, `${name}_bn`);
      }
      case NasOp.NAS_OP_AVG_POOL_3X3:
        return tfl.layers.averagePooling2d({ name: `${name}_avg`, poolSize: 3, strides: stride, padding: 'same' }).apply(x) as Sym;
      case NasOp.NAS_OP_MAX_POOL_3X3:
        return tfl.layers.maxPooling2d({ name: `${name}_max`, poolSize: 3, strides: stride, padding: 'same' }).apply(x) as Sym;
      case NasOp.NAS_OP_CONV_1X7_7X1: {
        let y = conv(relu(x, `${name}_relu`), `${name}_1x7`, c, [1, 7], [1, stride]);
        y = conv(y, `${name}_7x1`, c, [7, 1], [stride, 1]);
        return bn(y, `${name}_bn`);
      }
      default:
        throw new Error(`internal: unknown NasOp ${kind}`);
    }
  };
  return { conv, bn, relu, project, factorizedReduction, op };
}
