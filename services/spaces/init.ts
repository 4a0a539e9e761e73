// Seeded weight initialisers: every layer gets seeds derived from the model seed and its own (unique) name, so one
// model seed fixes every weight, and adding a layer does not change the others' initial weights.
import * as tfl from '@tensorflow/tfjs-layers';

type Initializer = ReturnType<typeof tfl.initializers.heNormal>;
import { deriveSeed } from './rng.ts';

export interface Initializers {
  /** He-normal (truncated) for conv kernels feeding non-linearities. */
  conv(layerName: string, part?: string): Initializer;
  /** Glorot-uniform for dense layers. */
  dense(layerName: string): Initializer;
}

export function seededInitializers(seed: number): Initializers {
  return {
    conv: (name, part = 'kernel') => tfl.initializers.heNormal({ seed: deriveSeed(seed, name, part) }),
    dense: (name) => tfl.initializers.glorotUniform({ seed: deriveSeed(seed, name, 'kernel') }),
  };
}

/**
 * Batch-norm momentum of the moving statistics. Candidates train for a few hundred steps only, so the keras default
 * 0.99 would leave about 0.99^150 = 22% of the initial (0, 1) statistics in inference mode; 0.9 forgets them.
 */
export const BN_MOMENTUM = 0.9;
export const BN_EPSILON = 1e-3;
