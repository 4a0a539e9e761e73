// Seeded batch order: a fresh permutation of the training images per epoch from the project's seeded PRNG, so a
// seed fixes every batch on every backend.
import { createRng, type Seed } from '../spaces/rng.ts';

/**
 * Yields index batches of `batchSize` over [0, count), reshuffling at each epoch; batches never straddle epochs.
 * `drawn` batches are skipped first (a run continued from a checkpoint after `drawn` steps): the order continues
 * exactly where that run left it. Skipping replays only the per-epoch shuffles, not the batches.
 */
export function batchOrder(count: number, batchSize: number, seed: Seed, drawn = 0): () => Int32Array {
  if (count < 1) throw new RangeError('no training images');
  if (!Number.isSafeInteger(drawn) || drawn < 0) throw new RangeError(`batches drawn must be >= 0, got ${drawn}`);
  const size = Math.min(batchSize, count);
  const rng = createRng(seed, 'batch-order');
  const perm = new Int32Array(count);
  let pos = count;
  const reshuffle = (): void => {
    for (let i = 0; i < count; i++) perm[i] = i;
    rng.shuffle(perm);
    pos = 0;
  };
  const perEpoch = Math.floor(count / size);
  if (drawn > 0) {
    const epochs = Math.ceil(drawn / perEpoch); // shuffles done by the first `drawn` batches
    for (let e = 0; e < epochs; e++) reshuffle();
    pos = (drawn - (epochs - 1) * perEpoch) * size;
  }
  return () => {
    if (pos + size > count) reshuffle();
    const batch = perm.slice(pos, pos + size);
    pos += size;
    return batch;
  };
}
