// npm run bench:scorer — the scorer's per-layer cost against numpy + scipy, in the same run on the same data.
//
// N = 1000 stimuli, D in {4096, 16384, 65536} (override: BENCH_D=4096,16384 BENCH_REPS=5 BENCH_BACKEND=wasm).
// Ours, per layer: RDM (correlation distance), ranking (prepare for Spearman), comparison against a fixed teacher RDM
// prepared once (as the scorer caches it), and RDM + Spearman in total. Theirs: `1 - np.corrcoef(x)` and
// `scipy.stats.spearmanr` on the upper triangles (the same teacher), timed the same way. Medians of the repetitions.
// Both sides run with the same environment (OPENBLAS_* variables are printed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCompute } from '../services/compute/index.ts';
import type { BackendName, Compute } from '../services/compute/types.ts';

const N = 1000;
const DS = (process.env.BENCH_D ?? '4096,16384,65536').split(',').map(Number);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const BACKEND = (process.env.BENCH_BACKEND ?? 'auto') as BackendName;

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

/**
 * n x d float32: 8 latent stimulus factors (shared by every layer, seeded by `stimulusSeed`, so layers' RDMs
 * correlate like a network's do) mixed by layer-specific weights, plus uniform noise and per-row offsets.
 */
export function syntheticActivations(n: number, d: number, seed: number, stimulusSeed = 7): Float32Array {
  const r = mulberry32(seed);
  const rs = mulberry32(stimulusSeed);
  const F = 8;
  const z = Float32Array.from({ length: n * F }, () => rs() * 2 - 1);
  const w = Float32Array.from({ length: F * d }, () => r() * 2 - 1);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const off = r();
    const o = i * d;
    for (let k = 0; k < d; k++) x[o + k] = off + (r() - 0.5);
    for (let f = 0; f < F; f++) {
      const zf = z[i * F + f] * 0.5;
      const wf = f * d;
      for (let k = 0; k < d; k++) x[o + k] += zf * w[wf + k];
    }
  }
  return x;
}

/** A minimal .npy (v1.0) writer for C-order float32 / float64 arrays. */
export function npyBytes(data: Float32Array | Float64Array, shape: number[]): Buffer {
  const descr = data instanceof Float32Array ? '<f4' : '<f8';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Ours {
  rdm: number;
  rank: number;
  compare: number;
  total: number;
  rho: number;
}

async function timeOurs(c: Compute, x: Float32Array, d: number, teacher: Awaited<ReturnType<Compute['prepare']>>): Promise<Ours> {
  const rdm: number[] = [];
  const rank: number[] = [];
  const cmp: number[] = [];
  const total: number[] = [];
  let rho = 0;
  for (let rep = 0; rep < REPS + 1; rep++) {
    const t0 = performance.now();
    const r = await c.rdm({ data: x, n: N, d }, 'correlation');
    const t1 = performance.now();
    const p = await c.prepare(r, N, 'spearman');
    const t2 = performance.now();
    rho = c.compare(p, teacher);
    const t3 = performance.now();
    if (rep === 0) continue; // warm-up
    rdm.push(t1 - t0);
    rank.push(t2 - t1);
    cmp.push(t3 - t2);
    total.push(t3 - t0);
  }
  return { rdm: median(rdm), rank: median(rank), compare: median(cmp), total: median(total), rho };
}

const PYTHON = String.raw`
import json, sys, time
import numpy as np, scipy, scipy.stats
x = np.load(sys.argv[1]); t = np.load(sys.argv[2]); reps = int(sys.argv[3])
n = x.shape[0]
iu = np.triu_indices(n, 1)
rdm_t, sp_t, tot_t = [], [], []
rho = None
for rep in range(reps + 1):
    t0 = time.perf_counter()
    r = 1.0 - np.corrcoef(x)
    t1 = time.perf_counter()
    rho = scipy.stats.spearmanr(r[iu], t).correlation
    t2 = time.perf_counter()
    if rep == 0: continue
    rdm_t.append(t1 - t0); sp_t.append(t2 - t1); tot_t.append(t2 - t0)
blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() or 'lapack' in l.lower()})
med = lambda v: float(np.median(v)) * 1000
print(json.dumps({"rdm": med(rdm_t), "spearman": med(sp_t), "total": med(tot_t), "rho": float(rho),
                  "numpy": np.__version__, "scipy": scipy.__version__, "blas": blas}))
`;

interface Theirs {
  rdm: number;
  spearman: number;
  total: number;
  rho: number;
  numpy: string;
  scipy: string;
  blas: string[];
}

function timeTheirs(dir: string, reps: number): Theirs {
  const r = spawnSync('/usr/bin/python3', ['-c', PYTHON, join(dir, 'x.npy'), join(dir, 'teacher.npy'), String(reps)], {
    encoding: 'utf8',
    env: process.env,
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`numpy + scipy baseline failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Theirs;
}

/**
 * The loopback `ScoreActivations` measurement (bench/ingest.ts): services in a child process, this process the
 * client; prints the whole call's MB/s and the ingest path's MB/s, each against the target of 500 MB/s.
 * BENCH_INGEST=0 skips it.
 */
export async function benchIngest(): Promise<void> {
  if (process.env.BENCH_INGEST === '0') {
    console.log('ScoreActivations over loopback: skipped (BENCH_INGEST=0)');
    return;
  }
  const { benchIngest: run, describeIngest } = await import('./ingest.ts');
  for (const line of describeIngest(await run({ backend: BACKEND }))) console.log(line);
}

async function main(): Promise<void> {
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith('OPENBLAS') || k.startsWith('OMP_'))
    .map(([k, v]) => `${k}=${v}`);
  console.log(`bench:scorer N=${N} D=${DS.join(',')} reps=${REPS} (medians, ms); env: ${env.join(' ') || '(no OPENBLAS_* / OMP_* set)'}`);
  const c = await createCompute({ backend: BACKEND });
  console.log(`backend: ${c.backend} — ${c.details}`);
  const dir = mkdtempSync(join(tmpdir(), 'tgsage-bench-'));
  try {
    // the fixed teacher: an RDM of other activations, prepared once (as the scorer caches it)
    const tx = syntheticActivations(N, 2048, 1);
    const teacherRdm = await c.rdm({ data: tx, n: N, d: 2048 }, 'correlation');
    const teacher = await c.prepare(teacherRdm, N, 'spearman');
    const upperT = new Float64Array((N * (N - 1)) / 2);
    for (let i = 0, p = 0; i < N; i++) for (let j = i + 1; j < N; j++) upperT[p++] = teacherRdm[i * N + j];
    writeFileSync(join(dir, 'teacher.npy'), npyBytes(upperT, [upperT.length]));
    let ratios: number[] = [];
    for (const d of DS) {
      const x = syntheticActivations(N, d, 100 + d);
      writeFileSync(join(dir, 'x.npy'), npyBytes(x, [N, d]));
      const reps = d >= 65536 ? Math.min(REPS, 3) : REPS;
      const ours = await timeOurs(c, x, d, teacher);
      const theirs = timeTheirs(dir, reps);
      const ratio = ours.total / theirs.total;
      ratios.push(ratio);
      console.log(
        `D=${d}: ours rdm ${ours.rdm.toFixed(1)} rank ${ours.rank.toFixed(1)} compare ${ours.compare.toFixed(2)} ` +
          `total ${ours.total.toFixed(1)} | numpy corrcoef ${theirs.rdm.toFixed(1)} scipy spearmanr ` +
          `${theirs.spearman.toFixed(1)} total ${theirs.total.toFixed(1)} | rho ${ours.rho.toFixed(6)} vs ${theirs.rho.toFixed(6)}`,
      );
      console.log(`D=${d}: ratio ${ratio.toFixed(3)} (ours / numpy+scipy, RDM + Spearman per layer; target <= 0.8)`);
      if (d === DS[DS.length - 1]) console.log(`baseline: numpy ${theirs.numpy}, scipy ${theirs.scipy}, BLAS ${theirs.blas.join(' ')}`);
    }
    await benchIngest();
    ratios = ratios.filter(Number.isFinite);
    console.log(`worst ratio ${Math.max(...ratios).toFixed(3)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await c.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/scorer.ts')) {
  await main();
}
