// A 'same'-padded dilated (atrous) 2-D convolution, stride 1, without bias, that can be trained: tfjs-core has no
// gradient for conv2d with dilation > 1, so this layer computes it the way TensorFlow's atrous_conv2d does:
// pad -> spaceToBatchND(rate) -> ordinary VALID conv -> batchToSpaceND(rate) -> crop. Every step has a gradient on
// every backend (pad, SpaceToBatchND, Conv2D, BatchToSpaceND, Slice). Same result as conv2d(x, w, 1, 'same', rate).
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type Initializer = ReturnType<typeof tfl.initializers.heNormal>;
type Shape = (number | null)[];

export interface DilatedConv2DArgs {
  name: string;
  filters: number;
  /** Square kernel size (odd). */
  kernelSize: number;
  /** Dilation rate (>= 1). */
  rate: number;
  kernelInitializer: Initializer;
}

export class DilatedConv2D extends tfl.layers.Layer {
  static readonly className = 'TgsageDilatedConv2D';
  private kernel: tfl.LayerVariable | undefined;
  private readonly args: DilatedConv2DArgs;

  constructor(args: DilatedConv2DArgs) {
    super({ name: args.name });
    this.args = args;
  }

  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const cin = shape[3]!;
    const { kernelSize: k, filters } = this.args;
    this.kernel = this.addWeight('kernel', [k, k, cin, filters], 'float32', this.args.kernelInitializer);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    return [shape[0]!, shape[1]!, shape[2]!, this.args.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      return dilatedConv2d(x, this.kernel!.read() as tf.Tensor4D, this.args.rate);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { filters, kernelSize, rate } = this.args;
    return { ...super.getConfig(), filters, kernelSize: [kernelSize, kernelSize], dilationRate: rate };
  }
}
tf.serialization.registerClass(DilatedConv2D);

/** conv2d(x, w, 1, 'same', dilation = rate) through space-to-batch; differentiable. */
export function dilatedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, rate: number): tf.Tensor4D {
  return tf.tidy(() => {
    if (rate === 1) return tf.conv2d(x, w, 1, 'same');
    const [, h, wd] = x.shape;
    const [kh, kw] = w.shape;
    const padH = (rate * (kh - 1)) / 2;
    const padW = (rate * (kw - 1)) / 2;
    if (!Number.isInteger(padH) || !Number.isInteger(padW)) throw new Error('dilatedConv2d needs odd kernel sizes');
    const extraH = (rate - ((h + 2 * padH) % rate)) % rate;
    const extraW = (rate - ((wd + 2 * padW) % rate)) % rate;
    const padded = tf.pad(x, [
      [0, 0],
      [padH, padH + extraH],
      [padW, padW + extraW],
      [0, 0],
    ]);
    const blocks = tf.spaceToBatchND(padded, [rate, rate], [
      [0, 0],
      [0, 0],
    ]);
    const y = tf.conv2d(blocks as tf.Tensor4D, w, 1, 'valid');
    const out = tf.batchToSpaceND(y, [rate, rate], [
      [0, 0],
      [0, 0],
    ]) as tf.Tensor4D;
    return extraH === 0 && extraW === 0 ? out : tf.slice(out, [0, 0, 0, 0], [-1, h, wd, -1]);
  });
}
