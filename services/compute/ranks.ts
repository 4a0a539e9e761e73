// Sorting and ranking of RDM upper triangles: stable LSD radix sort on order-preserving integer keys (11-bit
// digits; float32 needs 3 passes, float64 up to 6, passes where every key shares the digit are skipped), tie-averaged
// ranks and dense ranks. 499,500 values (N = 1000) rank in a few tens of ms.

export type FloatArray = Float32Array | Float64Array;

/** Upper triangle (i < j) of a row-major n x n matrix, row by row, in the input's precision. */
export function upperTriangle<T extends FloatArray>(m: T, n: number): T {
  const len = (n * (n - 1)) / 2;
  const out = (m instanceof Float32Array ? new Float32Array(len) : new Float64Array(len)) as T;
  let p = 0;
  for (let i = 0; i < n; i++) {
    out.set(m.subarray(i * n + i + 1, (i + 1) * n), p);
    p += n - i - 1;
  }
  return out;
}

/** Order-preserving unsigned keys: [hi, lo] words (lo is null for float32). -0 is keyed as +0. */
function keys(values: FloatArray): { hi: Uint32Array; lo: Uint32Array | null } {
  const m = values.length;
  if (values instanceof Float32Array) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, m);
    const hi = new Uint32Array(m);
    for (let i = 0; i < m; i++) {
      const u = values[i] === 0 ? 0 : bits[i];
      hi[i] = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    }
    return { hi, lo: null };
  }
  const copy = new Float64Array(values);
  for (let i = 0; i < m; i++) if (copy[i] === 0) copy[i] = 0;
  const words = new Uint32Array(copy.buffer); // little-endian: [lo, hi] per value
  const hi = new Uint32Array(m);
  const lo = new Uint32Array(m);
  for (let i = 0; i < m; i++) {
    const h = words[2 * i + 1];
    const l = words[2 * i];
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
  return { hi, lo };
}

const DIGITS: ReadonlyArray<readonly [number, number]> = [
  [0, 0x7ff],
  [11, 0x7ff],
  [22, 0x3ff],
];

/** Stable ascending order (indices) of `values`, plus the keys used (equal keys <=> equal values). */
export function sortOrder(values: FloatArray): { order: Uint32Array; hi: Uint32Array; lo: Uint32Array | null } {
  const m = values.length;
  const { hi, lo } = keys(values);
  let order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  let tmp = new Uint32Array(m);
  const words = lo ? [lo, hi] : [hi];
  const count = new Uint32Array(2048);
  for (const word of words) {
    for (const [shift, mask] of DIGITS) {
      count.fill(0);
      for (let i = 0; i < m; i++) count[(word[i] >>> shift) & mask]++;
      let sum = 0;
      let trivial = false;
      for (let b = 0; b <= mask; b++) {
        const c = count[b];
        if (c === m) trivial = true;
        count[b] = sum;
        sum += c;
      }
      if (trivial) continue;
      for (let i = 0; i < m; i++) {
        const j = order[i];
        tmp[count[(word[j] >>> shift) & mask]++] = j;
      }
      const s = order;
      order = tmp;
      tmp = s;
    }
  }
  return { order, hi, lo };
}

function sameKey(hi: Uint32Array, lo: Uint32Array | null, a: number, b: number): boolean {
  return hi[a] === hi[b] && (lo === null || lo[a] === lo[b]);
}

/** Tie-averaged 1-based ranks. */
export function averageRanks(values: FloatArray): Float64Array {
  const { order, hi, lo } = sortOrder(values);
  const m = values.length;
  const out = new Float64Array(m);
  for (let i = 0; i < m; ) {
    let e = i + 1;
    while (e < m && sameKey(hi, lo, order[e], order[i])) e++;
    const r = (i + e + 1) / 2;
    for (let k = i; k < e; k++) out[order[k]] = r;
    i = e;
  }
  return out;
}

/** Dense ranks (0-based, ties share a rank), the stable ascending order, and the number of tied pairs. */
export function denseRanks(values: FloatArray): { dense: Int32Array; order: Uint32Array; groups: number; tiedPairs: number } {
  const { order, hi, lo } = sortOrder(values);
  const m = values.length;
  const dense = new Int32Array(m);
  let groups = 0;
  let tiedPairs = 0;
  for (let i = 0; i < m; ) {
    let e = i + 1;
    while (e < m && sameKey(hi, lo, order[e], order[i])) e++;
    for (let k = i; k < e; k++) dense[order[k]] = groups;
    const t = e - i;
    tiedPairs += (t * (t - 1)) / 2;
    groups++;
    i = e;
  }
  return { dense, order, groups, tiedPairs };
}

/** Number of inversions (i < j, y[i] > y[j]) of y, sorting y in place (bottom-up merge sort). */
export function countInversions(y: Int32Array): number {
  const m = y.length;
  let inv = 0;
  // insertion sort runs of 16
  const RUN = 16;
  for (let s = 0; s < m; s += RUN) {
    const e = Math.min(s + RUN, m);
    for (let i = s + 1; i < e; i++) {
      const v = y[i];
      let j = i - 1;
      while (j >= s && y[j] > v) {
        y[j + 1] = y[j];
        j--;
      }
      inv += i - 1 - j;
      y[j + 1] = v;
    }
  }
  let src: Int32Array = y;
  let dst: Int32Array = new Int32Array(m);
  for (let width = RUN; width < m; width *= 2) {
    for (let lo = 0; lo < m; lo += 2 * width) {
      const mid = Math.min(lo + width, m);
      const hi = Math.min(lo + 2 * width, m);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (src[j] < src[i]) {
          dst[k++] = src[j++];
          inv += mid - i;
        } else {
          dst[k++] = src[i++];
        }
      }
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== y) y.set(src);
  return inv;
}
