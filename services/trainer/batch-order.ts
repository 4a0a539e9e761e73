// Seeded batch order: a fresh permutation of the training images per epoch, drawn from a small seeded PRNG, so a
// seed fixes every batch on every backend.

/** mulberry32: a tiny, fast 32-bit PRNG; `next()` is uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Yields index batches of `batchSize` over [0, count), reshuffling at each epoch; batches never straddle epochs. */
export function batchOrder(count: number, batchSize: number, seed: number): () => Int32Array {
  if (count < 1) throw new RangeError('no training images');
  const size = Math.min(batchSize, count);
  const random = seededRandom(seed);
  const perm = new Int32Array(count);
  let pos = count;
  return () => {
    if (pos + size > count) {
      for (let i = 0; i < count; i++) perm[i] = i;
      for (let i = count - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = t;
      }
      pos = 0;
    }
    const batch = perm.slice(pos, pos + size);
    pos += size;
    return batch;
  };
}
