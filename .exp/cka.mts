import { createCompute } from '../services/compute/index.ts';
import { randomMatrix } from '../test/support/reference.ts';
const n = 25, dx = 7, dy = 5;
const x = randomMatrix(n, dx, 1), y = randomMatrix(n, dy, 2);
for (let i = 0; i < x.length; i++) x[i] += 3; // non-zero means
const c = await createCompute({ backend: 'auto' });
const ours = c.cka(await c.centeredGram({ data: x, n, d: dx }), await c.centeredGram({ data: y, n, d: dy }), n, true);
function gram(m: Float32Array, d: number, centre: boolean) {
  const mean = new Float64Array(d);
  if (centre) for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += m[i * d + k] / n;
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let k = 0; k < d; k++) s += (m[i*d+k]-mean[k])*(m[j*d+k]-mean[k]); g[i*n+j] = s; }
  return g;
}
function hsicU(K: Float64Array, L: Float64Array) {
  const k = K.slice(), l = L.slice();
  for (let i = 0; i < n; i++) { k[i*n+i] = 0; l[i*n+i] = 0; }
  let tr = 0, sk = 0, sl = 0, kl1 = 0;
  const rk = new Float64Array(n), rl = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { tr += k[i*n+j]*l[j*n+i]; sk += k[i*n+j]; sl += l[i*n+j]; rk[i] += k[i*n+j]; rl[i] += l[i*n+j]; }
  for (let i = 0; i < n; i++) kl1 += rk[i]*rl[i];
  return (tr + sk*sl/((n-1)*(n-2)) - 2/(n-2)*kl1) / (n*(n-3));
}
for (const centre of [true, false]) {
  const K = gram(x, dx, centre), L = gram(y, dy, centre);
  console.log(centre ? 'centred X' : 'raw X', hsicU(K, L) / Math.sqrt(hsicU(K, K) * hsicU(L, L)), 'ours', ours);
}
await c.dispose();
