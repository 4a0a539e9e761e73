// The reference teacher: a small ResNet-style network (pre-pooling stem, three stages of residual blocks with
// batch norm, widths doubling as resolution halves, global average pooling, softmax), clearly stronger than short-
// trained candidates. Seeded initialisation. Layer names are stable; the block outputs are its representation layers.
import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../spaces/rng.ts';

export interface ResNetOptions {
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /** Widths of the three stages (default 16, 32, 64). */
  readonly widths?: readonly [number, number, number];
  /** Residual blocks per stage (default 1). */
  readonly blocksPerStage?: number;
  readonly seed: number;
}

export interface TeacherNet {
  readonly model: tfl.LayersModel;
  /** Outputs of the stem and of every residual block, input to output, then the pooled features. */
  readonly representationLayers: string[];
}

export function buildResNetTeacher(options: ResNetOptions): TeacherNet {
  const widths = options.widths ?? [16, 32, 64];
  const blocks = options.blocksPerStage ?? 1;
  const init = (name: string) => tfl.initializers.heNormal({ seed: deriveSeed(options.seed, name) });
  const conv = (x: tfl.SymbolicTensor, name: string, filters: number, kernel: number, stride: number) =>
    tfl.layers
      .conv2d({ name, filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, kernelInitializer: init(name) })
      .apply(x) as tfl.SymbolicTensor;
  const bn = (x: tfl.SymbolicTensor, name: string) => tfl.layers.batchNormalization({ name }).apply(x) as tfl.SymbolicTensor;
  const relu = (x: tfl.SymbolicTensor, name: string) => tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;

  const representation: string[] = [];
  const input = tfl.input({ shape: [...options.inputShape], name: 'image' });
  let x = relu(bn(conv(input, 'stem_conv', widths[0], 3, 1), 'stem_bn'), 'stem');
  representation.push('stem');
  let channels = widths[0];
  widths.forEach((width, s) => {
    for (let b = 0; b < blocks; b++) {
      const stride = s > 0 && b === 0 ? 2 : 1;
      const p = `s${s + 1}b${b + 1}`;
      let y = relu(bn(conv(x, `${p}_conv1`, width, 3, stride), `${p}_bn1`), `${p}_relu1`);
      y = bn(conv(y, `${p}_conv2`, width, 3, 1), `${p}_bn2`);
      const shortcut = stride !== 1 || channels !== width ? bn(conv(x, `${p}_proj`, width, 1, stride), `${p}_proj_bn`) : x;
      x = relu(tfl.layers.add({ name: `${p}_add` }).apply([y, shortcut]) as tfl.SymbolicTensor, p);
      representation.push(p);
      channels = width;
    }
  });
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tfl.SymbolicTensor;
  representation.push('pool');
  const out = tfl.layers
    .dense({ name: 'probs', units: options.numClasses, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: deriveSeed(options.seed, 'probs') }) })
    .apply(pooled) as tfl.SymbolicTensor;
  return { model: tfl.model({ inputs: input, outputs: out, name: 'resnet_teacher' }), representationLayers: representation };
}
