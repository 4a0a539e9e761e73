// npm run bench:bootstrap — `score --bootstrap K`'s cost against a numpy + scipy loop doing the same, in the same run on
// the same data and the same resamples.
//
// N = 1000 stimuli, 5 candidate x 5 teacher RDMs (correlation distances of random layers with shared structure),
// Spearman, K = 1000 resamples (override: BENCH_N, BENCH_K, BENCH_NUMPY_K, BENCH_REPS). Ours: the scorer's bootstrap
// (native kernel on every core when built, else the TypeScript loop; BENCH_NATIVE=off forces the loop), median of
// BENCH_REPS runs. Theirs: for each resample, index the RDMs with the drawn stimuli, keep the pairs of different
// stimuli (duplicates' self-pairs dropped), scipy.stats.rankdata each vector and correlate the ranks — the direct way.
// numpy runs the first BENCH_NUMPY_K (default 20) of the same resamples (a full K would take many minutes); its time
// per resample is scaled to K, and its similarities are compared with ours for those resamples.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCompute } from '../services/compute/index.ts';
import { bootstrapAddon, bootstrapSimilarities, resampleDraws } from '../services/scorer/bootstrap.ts';

const N = Number(process.env.BENCH_N ?? 1000);
const K = Number(process.env.BENCH_K ?? 1000);
const NUMPY_K = Math.min(K, Number(process.env.BENCH_NUMPY_K ?? 20));
const REPS = Number(process.env.BENCH_REPS ?? 3);
const NATIVE = process.env.BENCH_NATIVE === 'off' ? 'off' : 'auto';
const SEED = 1;

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function npy(path: string, data: Float32Array | Uint32Array, shape: number[]): void {
  const descr = data instanceof Float32Array ? '<f4' : '<u4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')},), }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const h = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(h);
  h.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([h, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const compute = await createCompute({ backend: 'auto' });
  const rand = mulberry32(7);
  const D = 64;
  const base = Float32Array.from({ length: N * D }, () => rand() - 0.5);
  const layer = (noise: number) => Float32Array.from(base, (v) => v + noise * (rand() - 0.5));
  const rdms: Float32Array[] = [];
  for (let l = 0; l < 10; l++) rdms.push(await compute.rdm({ n: N, d: D, data: layer(0.5 + 0.2 * l) }, 'correlation'));
  await compute.dispose();
  const candidates = rdms.slice(0, 5);
  const teachers = rdms.slice(5);
  const kernel = NATIVE === 'off' || !bootstrapAddon() ? 'TypeScript loop' : `native kernel, ${availableParallelism()} threads`;
  console.log(`bootstrap: N = ${N}, 5 x 5 RDMs, Spearman, K = ${K} (${kernel}); numpy loop over ${NUMPY_K} of the same resamples`);

  const times: number[] = [];
  let sims: Float64Array = new Float64Array(0);
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    sims = await bootstrapSimilarities({ candidates, teachers, n: N, comparator: 'spearman', resamples: K, seed: SEED, native: NATIVE });
    times.push((performance.now() - t0) / 1000);
  }
  const ours = median(times);

  const dir = mkdtempSync(join(tmpdir(), 'tgsage-bench-boot-'));
  try {
    const all = new Float32Array(10 * N * N);
    rdms.forEach((m, l) => all.set(m, l * N * N));
    npy(join(dir, 'rdms.npy'), all, [10, N, N]);
    const draws = new Uint32Array(NUMPY_K * N);
    let k = 0;
    for (const d of resampleDraws(N, NUMPY_K, SEED)) draws.set(d, N * k++);
    npy(join(dir, 'draws.npy'), draws, [NUMPY_K, N]);
    const py = `
import json, sys, time
import numpy as np
from scipy.stats import rankdata
rdms = np.load(sys.argv[1]).astype(np.float64)
draws = np.load(sys.argv[2]).astype(np.int64)
n = rdms.shape[1]
a, b = np.triu_indices(n, 1)
out = []
t0 = time.perf_counter()
for idx in draws:
    keep = idx[a] != idx[b]
    ia, ib = idx[a][keep], idx[b][keep]
    ranks = [rankdata(m[ia, ib]) for m in rdms]
    c = np.corrcoef(np.array(ranks))
    out.append(c[:5, 5:].tolist())
print(json.dumps({"seconds": time.perf_counter() - t0, "sims": out}))
`;
    const r = spawnSync('/usr/bin/python3', ['-c', py, join(dir, 'rdms.npy'), join(dir, 'draws.npy')], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`numpy loop failed: ${r.stderr}`);
    const theirs = JSON.parse(r.stdout) as { seconds: number; sims: number[][][] };
    let maxDiff = 0;
    theirs.sims.forEach((m, kk) => m.forEach((row, a) => row.forEach((v, b) => (maxDiff = Math.max(maxDiff, Math.abs(v - sims[(kk * 5 + a) * 5 + b]!))))));
    const numpyFull = (theirs.seconds / NUMPY_K) * K;
    console.log(`ours:  ${ours.toFixed(2)} s for ${K} resamples (median of ${REPS}: ${times.map((t) => t.toFixed(2)).join(', ')}), ${((ours / K) * 1000).toFixed(2)} ms per resample`);
    console.log(`numpy: ${((theirs.seconds / NUMPY_K) * 1000).toFixed(1)} ms per resample -> ${numpyFull.toFixed(1)} s for ${K}`);
    console.log(`ratio (numpy / ours): ${(numpyFull / ours).toFixed(1)}x; largest difference over the shared resamples ${maxDiff.toExponential(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
