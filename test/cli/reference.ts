// Independent float64 references for the CLI tests: correlation-distance RDMs and Spearman (ties get average ranks)
// over the upper triangle. Deliberately naive; nothing here is shared with the services.

export function correlationRdm(x: ArrayLike<number>, n: number): Float64Array {
  const d = x.length / n;
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let k = 0; k < d; k++) mean += x[i * d + k]!;
    mean /= d;
    let ss = 0;
    for (let k = 0; k < d; k++) {
      const v = x[i * d + k]! - mean;
      z[i * d + k] = v;
      ss += v * v;
    }
    const norm = Math.sqrt(ss);
    for (let k = 0; k < d; k++) z[i * d + k]! /= norm;
  }
  const rdm = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += z[i * d + k]! * z[j * d + k]!;
      rdm[i * n + j] = rdm[j * n + i] = i === j ? 0 : 1 - dot;
    }
  }
  return rdm;
}

export function upperTriangle(m: Float64Array, n: number): Float64Array {
  const out = new Float64Array((n * (n - 1)) / 2);
  let p = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[p++] = m[i * n + j]!;
  return out;
}

function averageRanks(v: Float64Array): Float64Array {
  const idx = Array.from(v.keys()).sort((a, b) => v[a]! - v[b]!);
  const ranks = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

export function pearson(a: Float64Array, b: Float64Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

export function spearman(a: Float64Array, b: Float64Array): number {
  return pearson(averageRanks(a), averageRanks(b));
}
