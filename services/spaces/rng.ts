// A small seeded PRNG used everywhere randomness must be reproducible (genome sampling, dataset splits, batch order,
// weight-initialiser seeds). xoshiro128** (Blackman & Vigna) for the stream, seeded through splitmix64 so that any
// seed up to 64 bits (number, bigint or string) and any chain of labels gives a well-mixed, independent state.

export type Seed = number | bigint | string;

/** A deterministic random stream. Not cryptographic. */
export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform float in [0, 1) with 53 random bits. */
  float(): number;
  /** Uniform integer in [0, n), unbiased (rejection sampling); 1 <= n <= 2^32. */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Fisher-Yates shuffle, in place; returns the array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T;
  /** An independent stream derived from this stream's seed and `label` (does not advance this stream). */
  fork(label: string | number): Rng;
}

const MASK64 = (1n << 64n) - 1n;

/** splitmix64 finaliser: a bijective 64-bit mix. */
function mix64(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** 64-bit FNV-1a of a string's UTF-8 bytes. */
function hashString(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & MASK64;
  }
  return h;
}

function seedTo64(seed: Seed): bigint {
  if (typeof seed === 'bigint') return seed & MASK64;
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed) || !Number.isInteger(seed)) return hashString(String(seed));
    return BigInt(seed) & MASK64;
  }
  return hashString(seed);
}

/** Folds a seed and a chain of labels into one 64-bit key. */
function key64(seed: Seed, labels: readonly (string | number)[]): bigint {
  let h = mix64(seedTo64(seed));
  for (const label of labels) h = mix64(h ^ (typeof label === 'number' ? mix64(BigInt(label) & MASK64) : hashString(label)));
  return h;
}

/**
 * Derives a 32-bit unsigned seed from a seed and labels, e.g. `deriveSeed(modelSeed, 'conv3', 'kernel')` for a
 * tfjs initializer. Different labels give unrelated seeds.
 */
export function deriveSeed(seed: Seed, ...labels: (string | number)[]): number {
  return Number(key64(seed, labels) >> 32n);
}

/** Creates a stream from a seed (and optional labels that select an independent sub-stream). */
export function createRng(seed: Seed, ...labels: (string | number)[]): Rng {
  const key = key64(seed, labels);
  // Four 32-bit words of state from two more splitmix64 outputs; never all zero.
  const a = mix64(key);
  const b = mix64(a);
  const s = new Uint32Array([Number(a & 0xffffffffn), Number(a >> 32n), Number(b & 0xffffffffn), Number(b >> 32n)]);
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;

  const uint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  };
  const float = (): number => ((uint32() >>> 5) * 67108864 + (uint32() >>> 6)) / 9007199254740992;
  let spareNormal: number | undefined;
  const rng: Rng = {
    uint32,
    float,
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new RangeError(`rng.int: bad bound ${n}`);
      // Largest multiple of n that fits in 2^32; reject above it.
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = uint32();
        if (x < limit) return x % n;
      }
    },
    normal(): number {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return z;
      }
      let u = 0;
      while (u === 0) u = float();
      const v = float();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    shuffle(array) {
      for (let i = array.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        const tmp = array[i];
        array[i] = array[j];
        array[j] = tmp;
      }
      return array;
    },
    fork(label: string | number): Rng {
      return createRng(key, label);
    },
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
