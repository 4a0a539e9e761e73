// npm run bench:trainer — ms per training step on tfjs wasm (with our kernels) vs PyTorch on CPU, in the same run.
//
// Models (batch 64, SGD lr 0.01, softmax cross-entropy, random data of the real shapes):
//   small    conv 3x3x16 relu, maxpool 2, conv 3x3x32 relu, maxpool 2, dense 10; input 32x32x3
//   fashion  a Fashion-MNIST convnet; input 28x28x1. It is the `convnet` genome
//            {"convnet":{"layers":[
//              {"filters":32,"kernelSize":5,"downsample":"none","batchNorm":true,"activation":"relu"},
//              {"filters":64,"kernelSize":3,"downsample":"stride2","batchNorm":false,"activation":"relu"},
//              {"filters":64,"kernelSize":3,"downsample":"max_pool","batchNorm":false,"activation":"relu"},
//              {"filters":128,"kernelSize":3,"downsample":"none","batchNorm":false,"activation":"relu"}],
//             "head":"global_avg_pool"}}
//            i.e. conv5x5x32-bn-relu, conv3x3x64/2-relu, conv3x3x64-relu-maxpool2, conv3x3x128-relu, GAP, dense 10.
// PyTorch runs the identical models (bench/trainer_torch.py, Debian python3-torch) with torch threads = our native
// threads; each thread count in --threads is a separate comparison. The two sides alternate in rounds (ours N steps,
// PyTorch N steps, ...) so that load from other processes on a shared machine hits both alike; medians over all timed
// steps after warm-up (min and 10th percentile printed too: on a loaded machine they show the uncontended speed).
// Between turns both sides sleep --pause-ms (default 150): idle worker threads keep spinning for a while after a
// turn (libgomp's OpenMP workers in PyTorch, wasm's pthreadpool), and back-to-back turns made each side run against the
// other's spinning threads on a 2-core machine (both sides ~2x slower at 2 threads). A trainer runs alone. After
// the pause each turn starts with one untimed step (on this VM the first step after an idle gap is slower on both
// sides: threads and caches are cold), so the timed steps are the steady state a training loop has.
// Each thread count runs in its own process with the trainer's set-up for T cores (trainingTfjsOptions): our native
// kernels' thread pool (one single-threaded OpenBLAS sgemm per thread) = torch threads = T; tfjs's wasm single-threaded.
//
// Options: --threads T[,T2] (default "1,<cores>"), --rounds R (default 8), --steps N per round (default 2),
// --batch B (default 64), --pause-ms P (default 150; 0 = no pause).

import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initTfjs } from '../services/compute/tfjs-backend.ts';
import { registerWasmTrainingKernels } from '../services/compute/kernels/index.ts';
import { trainingTfjsOptions } from '../services/trainer/backend.ts';

function option(name: string, fallback: number, min = 1): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}`);
  return v;
}
function threadList(): number[] {
  const i = process.argv.indexOf('--threads');
  const raw = i >= 0 ? process.argv[i + 1] ?? '' : [...new Set([1, cpus().length])].join(',');
  const list = raw.split(',').map(Number);
  if (!list.every((t) => Number.isInteger(t) && t >= 1)) throw new Error('--threads takes positive integers, e.g. 1,2');
  return list;
}
const THREADS = threadList();
const ROUNDS = option('rounds', 8);
const STEPS = option('steps', 2);
const BATCH = option('batch', 64);
const PAUSE_MS = option('pause-ms', 150, 0);
const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
const WARMUP = 3;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

function smallCnn(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [32, 32, 3], filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 10 }));
  return m;
}

function fashionConvnet(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 5, padding: 'same' }));
  m.add(tfl.layers.batchNormalization());
  m.add(tfl.layers.activation({ activation: 'relu' }));
  m.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.conv2d({ filters: 128, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tfl.layers.globalAveragePooling2d({}));
  m.add(tfl.layers.dense({ units: 10 }));
  return m;
}

/** One timed step: [wall ms, process CPU ms (all threads)]. */
type Timing = [number, number];
interface Ours { step(): Timing; dispose(): void }

function ours(model: tfl.LayersModel, shape: [number, number, number]): Ours {
  const x = tf.randomNormal([BATCH, ...shape], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32', 2) as tf.Tensor1D, 10);
  const opt = tf.train.sgd(0.01);
  return {
    step() {
      const t0 = performance.now(), c0 = process.cpuUsage();
      const loss = opt.minimize(() =>
        tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
      loss.dataSync();
      loss.dispose();
      const c = process.cpuUsage(c0);
      return [performance.now() - t0, (c.user + c.system) / 1000];
    },
    dispose() { tf.dispose([x, y]); opt.dispose(); model.dispose(); },
  };
}

async function compare(threads: number, details: string): Promise<void> {
  const kernels = registerWasmTrainingKernels({ threads });
  const torch = spawn('/usr/bin/python3', [fileURLToPath(new URL('./trainer_torch.py', import.meta.url)),
    String(threads), String(BATCH)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: torch.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<unknown> => {
    const r = await lines.next();
    if (r.done) throw new Error('PyTorch side exited');
    return JSON.parse(r.value) as unknown;
  };
  const torchRun = async (model: string, steps: number) => {
    torch.stdin!.write(`${model} ${steps}\n`);
    return (await next()) as Timing[];
  };
  const torchInfo = (await next()) as { torch: string; threads: number };

  console.log(`\n== threads ${threads} ==`);
  console.log(`ours: tf.getBackend() = ${tf.getBackend()} (${details.replace(/; training kernels.*$/, '')}); ` +
    `training kernels: ${kernels.math}, native threads ${kernels.threads} (single-threaded OpenBLAS each), ` +
    `OPENBLAS_CORETYPE=${process.env['OPENBLAS_CORETYPE'] ?? '(auto)'}`);
  console.log(`baseline: PyTorch ${torchInfo.torch} CPU, torch threads ${torchInfo.threads}; batch ${BATCH}, SGD; ` +
    `${ROUNDS} rounds x ${STEPS} steps per side after ${WARMUP} warm-up steps, ${PAUSE_MS} ms pause and 1 untimed step before each turn`);

  const models: [string, string, () => tfl.LayersModel, [number, number, number]][] = [
    ['small', 'small CNN 32x32x3 (conv16-pool-conv32-pool-dense10)', smallCnn, [32, 32, 3]],
    ['fashion', 'Fashion-MNIST convnet genome 28x28x1 (conv5x32-bn, conv3x64/2, conv3x64-pool, conv3x128, GAP)',
      fashionConvnet, [28, 28, 1]],
  ];
  for (const [key, label, build, shape] of models) {
    const run = ours(build(), shape);
    for (let i = 0; i < WARMUP; i++) run.step();
    await torchRun(key, WARMUP);
    const a: Timing[] = [], b: Timing[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      await pause();
      run.step(); // untimed: the first step after the pause
      for (let i = 0; i < STEPS; i++) a.push(run.step());
      await pause();
      b.push(...(await torchRun(key, STEPS + 1)).slice(1));
    }
    run.dispose();
    const wa = a.map((t) => t[0]), wb = b.map((t) => t[0]);
    const ma = median(wa), mb = median(wb);
    console.log(`${label}, threads ${threads}: ours ${ma.toFixed(1)} ms/step, PyTorch ${mb.toFixed(1)} ms/step, ` +
      `ratio ${(ma / mb).toFixed(2)} (median wall time, ours / PyTorch; target <= 1.5)`);
    const ca = median(a.map((t) => t[1])), cb = median(b.map((t) => t[1]));
    console.log(`  min wall: ours ${Math.min(...wa).toFixed(1)}, PyTorch ${Math.min(...wb).toFixed(1)} ms; p10: ours ` +
      `${quantile(wa, 0.1).toFixed(1)}, PyTorch ${quantile(wb, 0.1).toFixed(1)} ms; median CPU time per step: ours ` +
      `${ca.toFixed(1)}, PyTorch ${cb.toFixed(1)} ms (CPU-time ratio ${(ca / cb).toFixed(2)}${threads > 1 ?
        ', includes spinning worker threads' : ''})`);
  }
  torch.stdin!.write('quit\n');
  await new Promise((resolve) => torch.once('exit', resolve));
}

async function main(): Promise<void> {
  if (THREADS.length > 1) {
    // One process per thread count: tfjs fixes the wasm thread count when the backend initialises.
    for (const threads of THREADS) {
      const args = process.argv.slice(2).filter((_, i, a) => a[i] !== '--threads' && a[i - 1] !== '--threads');
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args,
        '--threads', String(threads)], { stdio: 'inherit' });
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      if (code !== 0) throw new Error(`bench with --threads ${threads} failed (exit ${code})`);
    }
    return;
  }
  // the trainer's own set-up for T cores: wasm single-threaded, native kernels on T threads
  const init = await initTfjs('wasm', trainingTfjsOptions(THREADS[0]!));
  await compare(THREADS[0]!, init.details);
}

await main();
