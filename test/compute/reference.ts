// Independent float64 reference for the compute tests: naive double loops, sorting with an explicit comparator,
// O(m^2) Kendall, CKA by the explicit matrix formula. Deliberately shares no code with services/compute.

/** Seeded PRNG (mulberry32) and normal deviates (Box-Muller). */
export function rng(seed: number): { uniform: () => number; normal: () => number } {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    const u = 1 - uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return { uniform, normal };
}

/** n x d float32 activations with structure: a few latent factors + noise, plus per-row offset and scale. */
export function activations(n: number, d: number, seed: number, opts: { offset?: number; scale?: number } = {}): Float32Array {
  const r = rng(seed);
  const f = 5;
  const z = Array.from({ length: n }, () => Array.from({ length: f }, () => r.normal()));
  const w = Array.from({ length: f }, () => Float64Array.from({ length: d }, () => r.normal()));
  const x = new Float32Array(n * d);
  const scale = opts.scale ?? 1;
  for (let i = 0; i < n; i++) {
    const off = (opts.offset ?? 0) * (1 + r.uniform());
    for (let k = 0; k < d; k++) {
      let v = r.normal() * 0.7;
      for (let q = 0; q < f; q++) v += z[i][q] * w[q][k] * 0.3;
      x[i * d + k] = (off + v) * scale;
    }
  }
  return x;
}

export function refRdm(x: Float32Array, n: number, d: number, method: 'correlation' | 'cosine' | 'euclidean'): Float64Array {
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const row = Float64Array.from(x.subarray(i * d, (i + 1) * d));
    if (method === 'correlation') {
      let mean = 0;
      for (const v of row) mean += v;
      mean /= d;
      for (let k = 0; k < d; k++) row[k] -= mean;
    }
    rows.push(row);
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const a = rows[i];
      const b = rows[j];
      let v: number;
      if (method === 'euclidean') {
        let s = 0;
        for (let k = 0; k < d; k++) s += (a[k] - b[k]) ** 2;
        v = Math.sqrt(s);
      } else {
        let ab = 0;
        let aa = 0;
        let bb = 0;
        for (let k = 0; k < d; k++) {
          ab += a[k] * b[k];
          aa += a[k] * a[k];
          bb += b[k] * b[k];
        }
        v = 1 - ab / Math.sqrt(aa * bb);
      }
      out[i * n + j] = v;
    }
  }
  return out;
}

export function upper(m: ArrayLike<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push(m[i * n + j]);
  return out;
}

/** Average ranks (1-based) by sorting with ties. */
export function refRanks(v: number[]): number[] {
  const idx = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let e = i;
    while (e + 1 < idx.length && v[idx[e + 1]] === v[idx[i]]) e++;
    for (let k = i; k <= e; k++) r[idx[k]] = (i + e) / 2 + 1;
    i = e + 1;
  }
  return r;
}

export function refPearson(a: number[], b: number[]): number {
  const m = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / m;
  const mb = b.reduce((s, v) => s + v, 0) / m;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < m; k++) {
    ab += (a[k] - ma) * (b[k] - mb);
    aa += (a[k] - ma) ** 2;
    bb += (b[k] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

export function refCosine(a: number[], b: number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let k = 0; k < a.length; k++) {
    ab += a[k] * b[k];
    aa += a[k] * a[k];
    bb += b[k] * b[k];
  }
  return ab / Math.sqrt(aa * bb);
}

export function refSpearman(a: number[], b: number[]): number {
  return refPearson(refRanks(a), refRanks(b));
}

/** Kendall tau-a by counting all pairs: (concordant - discordant) / (m (m-1) / 2). */
export function refKendallTauA(a: number[], b: number[]): number {
  const m = a.length;
  let s = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) s += Math.sign(a[i] - a[j]) * Math.sign(b[i] - b[j]);
  }
  return s / ((m * (m - 1)) / 2);
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
    const v = a[i * n + k];
    if (v === 0) continue;
    for (let j = 0; j < n; j++) c[i * n + j] += v * b[k * n + j];
  }
  return c;
}

/** Raw linear Gram X X^T in float64. */
export function refGram(x: Float32Array, n: number, d: number): Float64Array {
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += x[i * d + k] * x[j * d + k];
    g[i * n + j] = s;
  }
  return g;
}

/** H K H with H = I - 11^T / n, by explicit matrix products. */
export function refCentre(k: Float64Array, n: number): Float64Array {
  const h = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) h[i * n + j] = (i === j ? 1 : 0) - 1 / n;
  return matmul(matmul(h, k, n), h, n);
}

function trace(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i];
  return s;
}

/** Biased HSIC tr(K H L H) / (n-1)^2 from raw Grams. */
function hsicBiased(k: Float64Array, l: Float64Array, n: number): number {
  return trace(matmul(refCentre(k, n), refCentre(l, n), n), n) / (n - 1) ** 2;
}

/** Unbiased HSIC (Song et al. 2012) from raw Grams, by the explicit formula with zero-diagonal Grams. */
function hsicUnbiased(k: Float64Array, l: Float64Array, n: number): number {
  const kt = Float64Array.from(k);
  const lt = Float64Array.from(l);
  for (let i = 0; i < n; i++) kt[i * n + i] = lt[i * n + i] = 0;
  const kl = matmul(kt, lt, n);
  let sk = 0;
  let sl = 0;
  let skl = 0;
  for (let t = 0; t < n * n; t++) {
    sk += kt[t];
    sl += lt[t];
    skl += kl[t];
  }
  return (trace(kl, n) + (sk * sl) / ((n - 1) * (n - 2)) - (2 / (n - 2)) * skl) / (n * (n - 3));
}

export function refCka(x: Float32Array, y: Float32Array, n: number, dx: number, dy: number, unbiased: boolean): number {
  const k = refGram(x, n, dx);
  const l = refGram(y, n, dy);
  const h = unbiased ? hsicUnbiased : hsicBiased;
  return h(k, l, n) / Math.sqrt(h(k, k, n) * h(l, l, n));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
}
