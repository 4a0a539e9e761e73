// Adam (Kingma & Ba 2015) over tfjs variables, with its moments held as plain variables so a strategy can save and
// restore them synchronously (tf.train.adam keeps them private and exposes them only through async getWeights()).
//   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  x <- x - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface Adam {
  /** Applies one step; `grads[i]` is the gradient of `vars[i]`. */
  apply(grads: readonly tf.Tensor[]): void;
  /** Steps taken so far. */
  step: number;
  readonly m: readonly tf.Variable[];
  readonly v: readonly tf.Variable[];
  dispose(): void;
}

export function createAdam(vars: readonly tf.Variable[], o: AdamOptions): Adam {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.epsilon ?? 1e-8;
  const zeros = () =>
    vars.map((x) => {
      const z = tf.zerosLike(x);
      const w = tf.variable(z, false);
      z.dispose();
      return w;
    });
  const m = zeros();
  const v = zeros();
  const adam: Adam = {
    step: 0,
    m,
    v,
    apply(grads) {
      adam.step++;
      const c1 = 1 - b1 ** adam.step;
      const c2 = 1 - b2 ** adam.step;
      tf.tidy(() => {
        vars.forEach((x, i) => {
          const g = grads[i]!;
          m[i]!.assign(tf.add(tf.mul(b1, m[i]!), tf.mul(1 - b1, g)));
          v[i]!.assign(tf.add(tf.mul(b2, v[i]!), tf.mul(1 - b2, tf.square(g))));
          const update = tf.div(tf.div(m[i]!, c1), tf.add(tf.sqrt(tf.div(v[i]!, c2)), eps));
          x.assign(tf.sub(x, tf.mul(o.learningRate, update)));
        });
      });
    },
    dispose() {
      tf.dispose([...m, ...v]);
    },
  };
  return adam;
}
