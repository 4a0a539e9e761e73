// tsx bench/wasm-threads.ts — what forcing tfjs wasm threads on in Node buys: matMul 1024^3 (and the RDM of a
// 1000 x 4096 layer on the wasm backend) with 1 thread and with the default thread count, each in a fresh process
// (the wasm module initialises once per process), medians (best of BENCH_ROUNDS alternating rounds), same run. Prints `ratio` (threads / single).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPS = Number(process.env.BENCH_REPS ?? 9);

async function child(threads: number): Promise<void> {
  const { createCompute } = await import('../services/compute/index.ts');
  const { tf } = await import('../services/compute/tfjs-backend.ts');
  const c = await createCompute({ backend: 'wasm', threads });
  const a = tf.randomNormal([1024, 1024]) as import('@tensorflow/tfjs-core').Tensor2D;
  const med = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
  const mm: number[] = [];
  for (let r = 0; r <= REPS; r++) {
    const t0 = performance.now();
    const p = tf.matMul(a, a);
    await p.data();
    p.dispose();
    if (r > 0) mm.push(performance.now() - t0);
  }
  a.dispose();
  const n = 1000;
  const d = 4096;
  const x = new Float32Array(n * d).map((_, i) => Math.sin(i * 0.618) + ((i * 7) % 13) / 13);
  const rdm: number[] = [];
  for (let r = 0; r <= Math.min(REPS, 5); r++) {
    const t0 = performance.now();
    await c.rdm({ data: x, n, d }, 'correlation');
    if (r > 0) rdm.push(performance.now() - t0);
  }
  console.log(JSON.stringify({ details: c.details, matmul: med(mm), rdm: med(rdm) }));
}

function run(threads: number): { details: string; matmul: number; rdm: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(threads)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { details: string; matmul: number; rdm: number };
}

if (process.argv[2] === '--child') {
  await child(Number(process.argv[3]));
} else {
  // alternate fresh processes and keep each side's best median: the machine is shared and noisy
  const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
  let single = run(1);
  let multi = run(0);
  for (let r = 1; r < ROUNDS; r++) {
    const s = run(1);
    const m = run(0);
    single = { ...single, matmul: Math.min(single.matmul, s.matmul), rdm: Math.min(single.rdm, s.rdm) };
    multi = { ...multi, matmul: Math.min(multi.matmul, m.matmul), rdm: Math.min(multi.rdm, m.rdm) };
  }
  for (const [name, m] of [['single', single], ['threads', multi]] as const) {
    console.log(`${name}: ${m.details}: matMul 1024^3 ${m.matmul.toFixed(1)} ms (${(2 * 1024 ** 3 / m.matmul / 1e6).toFixed(1)} GFLOP/s), RDM 1000x4096 ${m.rdm.toFixed(1)} ms`);
  }
  console.log(`matMul ratio ${(multi.matmul / single.matmul).toFixed(3)} (threads / single); RDM ratio ${(multi.rdm / single.rdm).toFixed(3)}`);
}
