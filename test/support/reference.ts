// Independent float64 references for tests: naive Pearson-distance RDMs, Spearman with average ranks, Pearson,
// linear CKA. Written plainly, without sharing code with services/.

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n x d standard-normal-ish matrix (row-major float32). */
export function randomMatrix(n: number, d: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = r() + r() + r() - 1.5;
  return out;
}

/** y = x W + noise: a layer that shares structure with x. */
export function mixed(x: Float32Array, n: number, d: number, e: number, noise: number, seed: number): Float32Array {
  const w = randomMatrix(d, e, seed);
  const z = randomMatrix(n, e, seed + 1);
  const out = new Float32Array(n * e);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < e; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += x[i * d + j]! * w[j * e + k]!;
      out[i * e + k] = s + noise * z[i * e + k]!;
    }
  }
  return out;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** 1 - Pearson correlation between rows, float64, n x n. */
export function referenceRdm(x: Float32Array | Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out[i * n + j] = i === j ? 0 : 1 - pearson(x.subarray(i * d, (i + 1) * d), x.subarray(j * d, (j + 1) * d));
    }
  }
  return out;
}

export function upper(m: ArrayLike<number>, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out.push(m[i * n + j]!);
  return out;
}

function averageRanks(v: number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const ranks = new Array<number>(v.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

export function referenceSpearman(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  return pearson(averageRanks(upper(a, n)), averageRanks(upper(b, n)));
}

export function referencePearson(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  return pearson(upper(a, n), upper(b, n));
}

/** Linear CKA (biased HSIC) from activations. */
export function referenceCka(x: Float32Array | Float64Array, y: Float32Array | Float64Array, n: number, dx: number, dy: number): number {
  const gram = (m: Float32Array | Float64Array, d: number) => {
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k]! += m[i * d + k]! / n;
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += (m[i * d + k]! - mean[k]!) * (m[j * d + k]! - mean[k]!);
        g[i * n + j] = s;
      }
    }
    return g;
  };
  const k = gram(x, dx);
  const l = gram(y, dy);
  let kl = 0;
  let kk = 0;
  let ll = 0;
  for (let i = 0; i < n * n; i++) {
    kl += k[i]! * l[i]!;
    kk += k[i]! * k[i]!;
    ll += l[i]! * l[i]!;
  }
  return kl / Math.sqrt(kk * ll);
}

/** Linear CKA with the unbiased HSIC estimator (Song et al. 2012) from activations. */
export function referenceCkaUnbiased(x: Float32Array | Float64Array, y: Float32Array | Float64Array, n: number, dx: number, dy: number): number {
  const gram = (m: Float32Array | Float64Array, d: number) => {
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += m[i * d + k]! * m[j * d + k]!;
        g[i * n + j] = i === j ? 0 : s;
      }
    }
    return g;
  };
  const hsic = (k: Float64Array, l: Float64Array) => {
    let tr = 0;
    let sk = 0;
    let sl = 0;
    let kl1 = 0;
    for (let i = 0; i < n; i++) {
      let rk = 0;
      let rl = 0;
      for (let j = 0; j < n; j++) {
        tr += k[i * n + j]! * l[j * n + i]!;
        rk += k[i * n + j]!;
        rl += l[i * n + j]!;
      }
      sk += rk;
      sl += rl;
      kl1 += rk * rl;
    }
    return (tr + (sk * sl) / ((n - 1) * (n - 2)) - (2 / (n - 2)) * kl1) / (n * (n - 3));
  };
  const k = gram(x, dx);
  const l = gram(y, dy);
  return hsic(k, l) / Math.sqrt(hsic(k, k) * hsic(l, l));
}

/** Kendall's tau-a of the upper triangles. */
export function referenceKendall(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  const x = upper(a, n);
  const y = upper(b, n);
  let s = 0;
  for (let i = 0; i < x.length; i++) for (let j = i + 1; j < x.length; j++) s += Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
  return s / ((x.length * (x.length - 1)) / 2);
}

/** Cosine similarity of the upper triangles. */
export function referenceCosine(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  const x = upper(a, n);
  const y = upper(b, n);
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    xy += x[i]! * y[i]!;
    xx += x[i]! * x[i]!;
    yy += y[i]! * y[i]!;
  }
  return xy / Math.sqrt(xx * yy);
}
