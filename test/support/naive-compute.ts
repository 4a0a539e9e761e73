// A small, slow, float64 Compute for service tests, independent of services/compute's backends. Not a reference:
// the tests' own references live in the tests.
import type { Activations, Compute, PreparedRdm, RdmComparator, RdmMethod } from '../../services/compute/types.ts';
import { ComputeInputError } from '../../services/compute/types.ts';

interface Prepared extends PreparedRdm {
  readonly v: Float64Array;
}

function rankAvg(x: Float64Array): Float64Array {
  const idx = Array.from(x.keys()).sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(x.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]!] === x[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function unit(v: Float64Array, centre: boolean): Float64Array {
  const m = centre ? v.reduce((a, b) => a + b, 0) / v.length : 0;
  const out = v.map((x) => x - m);
  const norm = Math.sqrt(out.reduce((a, b) => a + b * b, 0));
  return out.map((x) => x / norm);
}

export function naiveCompute(): Compute & { calls: { rdm: number; prepare: number } } {
  const calls = { rdm: 0, prepare: 0 };
  return {
    backend: 'naive',
    details: 'test double (float64 JS)',
    calls,
    async rdm(x: Activations, method: RdmMethod) {
      calls.rdm++;
      const { n, d, data } = x;
      const rows: Float64Array[] = [];
      for (let i = 0; i < n; i++) {
        const r = Float64Array.from(data.subarray(i * d, (i + 1) * d));
        if (method === 'correlation') {
          const m = r.reduce((a, b) => a + b, 0) / d;
          for (let j = 0; j < d; j++) r[j]! -= m;
        }
        if (method !== 'euclidean') {
          const norm = Math.sqrt(r.reduce((a, b) => a + b * b, 0));
          if (norm === 0) throw new ComputeInputError(`row ${i} has zero norm`);
          for (let j = 0; j < d; j++) r[j]! /= norm;
        }
        rows.push(r);
      }
      const out = new Float32Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) {
            s += method === 'euclidean' ? (rows[i]![k]! - rows[j]![k]!) ** 2 : rows[i]![k]! * rows[j]![k]!;
          }
          const v = method === 'euclidean' ? Math.sqrt(s) : 1 - s;
          out[i * n + j] = v;
          out[j * n + i] = v;
        }
      }
      return out;
    },
    async centeredGram(x: Activations) {
      const { n, d, data } = x;
      const means = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) means[k]! += data[i * d + k]! / n;
      const g = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += (data[i * d + k]! - means[k]!) * (data[j * d + k]! - means[k]!);
          g[i * n + j] = s;
        }
      }
      return g;
    },
    async prepare(rdm: Float32Array | Float64Array, n: number, comparator: RdmComparator): Promise<PreparedRdm> {
      calls.prepare++;
      const m = (n * (n - 1)) / 2;
      const u = new Float64Array(m);
      let p = 0;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) u[p++] = rdm[i * n + j]!;
      const v =
        comparator === 'spearman' ? unit(rankAvg(u), true) : comparator === 'pearson' ? unit(u, true) : comparator === 'cosine' ? unit(u, false) : u;
      const prepared: Prepared = { comparator, n, bytes: v.byteLength, v };
      return prepared;
    },
    compare(a: PreparedRdm, b: PreparedRdm) {
      const x = (a as Prepared).v;
      const y = (b as Prepared).v;
      if (a.comparator === 'kendall') {
        let s = 0;
        for (let i = 0; i < x.length; i++) {
          for (let j = i + 1; j < x.length; j++) s += Math.sign(x[i]! - x[j]!) * Math.sign(y[i]! - y[j]!);
        }
        return s / ((x.length * (x.length - 1)) / 2);
      }
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
      return s;
    },
    cka(kc: Float64Array, lc: Float64Array, _n: number, unbiased: boolean) {
      if (unbiased) throw new Error('unbiased CKA is not in the test double');
      let kl = 0;
      let kk = 0;
      let ll = 0;
      for (let i = 0; i < kc.length; i++) {
        kl += kc[i]! * lc[i]!;
        kk += kc[i]! * kc[i]!;
        ll += lc[i]! * lc[i]!;
      }
      return kl / Math.sqrt(kk * ll);
    },
    async dispose() {},
  };
}
