// A small seeded PRNG (xoshiro128**, seeded through splitmix32) whose whole state is four uint32 words that can be
// read and resumed, so a strategy can save and restore it exactly. services/spaces/rng.ts (the same generator) keeps
// its state private, which suits genome sampling and training but not a strategy that must resume after a restart.

export type RngState = [number, number, number, number];

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Copy of the current state; `createRng(state)` continues from exactly here. */
  state(): RngState;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Seeds from a non-negative integer (up to 2^53, e.g. a proto uint64 seed), or resumes from a saved state. */
export function createRng(seed: number | RngState): Rng {
  let s: RngState;
  if (typeof seed === 'number') {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 0x100000000) >>> 0;
    const a = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d));
    const b = splitmix32(hi + 0x632be5ab);
    s = [a() ^ b(), a(), a() ^ b(), a()].map((x) => x >>> 0) as RngState;
    if (s.every((x) => x === 0)) s[0] = 1;
  } else {
    s = [seed[0] >>> 0, seed[1] >>> 0, seed[2] >>> 0, seed[3] >>> 0];
  }
  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] = (s[2] ^ s[0]) >>> 0;
    s[3] = (s[3] ^ s[1]) >>> 0;
    s[1] = (s[1] ^ s[2]) >>> 0;
    s[0] = (s[0] ^ s[3]) >>> 0;
    s[2] = (s[2] ^ t) >>> 0;
    s[3] = rotl(s[3], 11);
    return result;
  };
  const next = (): number => nextU32() / 0x100000000;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    state: () => [s[0], s[1], s[2], s[3]],
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Checks a saved RNG state read back from storage. */
export function isRngState(x: unknown): x is RngState {
  return Array.isArray(x) && x.length === 4 && x.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32);
}
