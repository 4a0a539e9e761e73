// Seeded batch order: a fresh permutation of the training images per epoch from the project's seeded PRNG, so a
// seed fixes every batch on every backend.
import { createRng, type Seed } from '../spaces/rng.ts';

/** Yields index batches of `batchSize` over [0, count), reshuffling at each epoch; batches never straddle epochs. */
export function batchOrder(count: number, batchSize: number, seed: Seed): () => Int32Array {
  if (count < 1) throw new RangeError('no training images');
  const size = Math.min(batchSize, count);
  const rng = createRng(seed, 'batch-order');
  const perm = new Int32Array(count);
  let pos = count;
  return () => {
    if (pos + size > count) {
      for (let i = 0; i < count; i++) perm[i] = i;
      rng.shuffle(perm);
      pos = 0;
    }
    const batch = perm.slice(pos, pos + size);
    pos += size;
    return batch;
  };
}
