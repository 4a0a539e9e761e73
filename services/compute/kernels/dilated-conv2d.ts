// A trainable dilated 2-D convolution layer. tf.layers.conv2d with dilationRate > 1 cannot be trained in tfjs (its
// fused-conv gradient refuses dilation); this layer calls tf.conv2d, whose gradient registerWasmTrainingKernels()
// makes dilation-aware. 'same' padding, stride 1, NHWC.

import { add, conv2d, serialization, type Tensor, type Tensor4D } from '@tensorflow/tfjs-core';
import { initializers, layers, type LayerVariable } from '@tensorflow/tfjs-layers';

type LayerArgs = ConstructorParameters<typeof layers.Layer>[0];

export interface DilatedConv2DArgs extends NonNullable<LayerArgs> {
  filters: number;
  kernelSize: number;
  dilationRate: number;
  useBias?: boolean;
  /** Seed of the Glorot-uniform kernel initialiser. */
  seed?: number;
}

export class DilatedConv2D extends layers.Layer {
  static readonly className = 'DilatedConv2D';
  private readonly args: DilatedConv2DArgs;
  private kernel: LayerVariable | null = null;
  private bias: LayerVariable | null = null;

  constructor(args: DilatedConv2DArgs) {
    super(args);
    this.args = args;
  }

  override build(inputShape: (number | null)[] | (number | null)[][]): void {
    const shape = inputShape as (number | null)[];
    const inChannels = shape[shape.length - 1]!;
    const { kernelSize: k, filters, seed } = this.args;
    this.kernel = this.addWeight('kernel', [k, k, inChannels, filters], 'float32',
      initializers.glorotUniform(seed === undefined ? {} : { seed }));
    if (this.args.useBias !== false) this.bias = this.addWeight('bias', [filters], 'float32', initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: (number | null)[] | (number | null)[][]): (number | null)[] {
    const shape = inputShape as (number | null)[];
    return [...shape.slice(0, -1), this.args.filters];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor4D;
    const y = conv2d(x, this.kernel!.read() as Tensor4D, 1, 'same', 'NHWC', this.args.dilationRate);
    return this.bias ? add(y, this.bias.read()) : y;
  }

  override getConfig(): serialization.ConfigDict {
    const { filters, kernelSize, dilationRate, useBias, seed } = this.args;
    return { ...super.getConfig(), filters, kernelSize, dilationRate, useBias: useBias !== false,
      ...(seed === undefined ? {} : { seed }) };
  }
}
serialization.registerClass(DilatedConv2D);
