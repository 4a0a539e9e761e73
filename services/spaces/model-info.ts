// Facts about a built tfjs-layers model: trainable parameter count and an estimate of the FLOPs of one forward pass.
//
// FLOPs = 2 x multiply-adds of the layers that dominate the cost: Conv2D and the dilated conv (H_out W_out C_out kh kw
// C_in: the kernel's taps, not the dilated extent),
// DepthwiseConv2D (H_out W_out C_in m kh kw), SeparableConv2D (its depthwise part, then the pointwise
// H_out W_out C_in m C_out) and Dense (in x units). Biases, batch norm, activations, pooling, adds and concats are
// not counted: they are linear in the activation size and a few percent at most for these networks.
import type * as tfl from '@tensorflow/tfjs-layers';

type Shape = (number | null)[];

function shapeOf(s: Shape | Shape[]): Shape {
  return (Array.isArray(s[0]) ? s[0] : s) as Shape;
}

function prod(xs: readonly (number | null)[]): number {
  return xs.reduce<number>((a, b) => a * (b ?? 1), 1);
}

/** Number of trainable scalars (batch-norm moving statistics excluded). */
export function trainableParameterCount(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + prod(w.shape), 0);
}

/** Estimated FLOPs (2 x multiply-adds) of one forward pass on one example; see the header for what counts. */
export function estimateFlops(model: tfl.LayersModel): number {
  let flops = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (!['Conv2D', 'TgsageDilatedConv2D', 'DepthwiseConv2D', 'SeparableConv2D', 'Dense'].includes(cls)) continue;
    const config = layer.getConfig();
    const out = shapeOf(layer.outputShape as Shape | Shape[]);
    const input = layer.input;
    const inp = (Array.isArray(input) ? input[0]! : input).shape as Shape;
    const cin = inp.at(-1) ?? 1;
    if (cls === 'Dense') {
      flops += 2 * prod(inp.slice(1)) * (config['units'] as number);
      continue;
    }
    const [kh, kw] = config['kernelSize'] as number[];
    const positions = (out[1] ?? 1) * (out[2] ?? 1);
    const cout = out[3] ?? 1;
    if (cls === 'Conv2D' || cls === 'TgsageDilatedConv2D') {
      flops += 2 * positions * cout * kh! * kw! * cin;
    } else {
      const m = (config['depthMultiplier'] as number | undefined) ?? 1;
      flops += 2 * positions * cin * m * kh! * kw!;
      if (cls === 'SeparableConv2D') flops += 2 * positions * cin * m * cout;
    }
  }
  return flops;
}
