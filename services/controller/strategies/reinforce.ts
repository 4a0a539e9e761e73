// REINFORCE with an LSTM controller (Zoph & Le 2017; as in the TG-SAGE paper's NAS experiments), in tfjs.
//
// The controller is autoregressive over the space's decisions: at step t the embedding of the previous choice
// (a start token at t = 0; every position has its own embedding rows) goes through one LSTM cell, and a per-position
// softmax head of that position's size gives the distribution of decision t. The heads are stored padded to the
// largest size with the padding masked out, so the loss computes all heads in one batched matMul: the cpu backend's
// cost is per op, and this halves the ops of an update. Choices are sampled with the
// strategy's seeded RNG on probabilities read back from the backend, so a seed fixes every proposal.
//
// `update(results)` makes one Adam step on the batch it is given:
//   loss = -mean_i(A_i * log pi(d_i)) - entropy_weight * mean_i(sum_t H(pi_t | d_i,<t))
// with advantages A_i = (R_i - b) / s: b is a moving-average baseline (b <- decay * b + (1 - decay) * R, seeded with
// the first batch's mean) and s a moving estimate of the rewards' spread around it, with the same decay. Dividing
// by s keeps learning rate and entropy weight meaningful whatever the score's scale (P+TG differences between
// candidates are often a few hundredths). Failed trials (non-finite scores) are skipped.
//
// Adam is our own (adam.ts, not tf.train.adam) so that the optimizer's moments are plain variables that `state()`
// can read synchronously: the snapshot holds the weights, Adam's moments and step, the baseline and the RNG, and
// `restore` continues bit-for-bit on the same backend.
//
// Tensors: sampling and the loss run inside tf.tidy (synchronous); only the variables live across calls and
// `dispose()` frees them. It uses whichever tfjs backend is active (the cpu backend is imported so one exists; the
// net is tiny, so cpu is fine and is what the tests use).

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers them all (its ESM dist cannot load in Node).
import '@tensorflow/tfjs-layers';
import { FailedPreconditionError } from '../../common/errors.ts';
import { createAdam } from './adam.ts';
import { checkState } from './random.ts';
import { createRng, isRngState, type Rng } from './rng.ts';
import type { DecisionSpace } from './space.ts';
import type { ReinforceSettings } from './settings.ts';
import type { Proposal, Strategy, StrategyResult, StrategyState } from './strategy.ts';

const INIT_RANGE = 0.1;
const STD_FLOOR = 1e-3;
const MASKED = -1e9;

interface Params {
  embedding: tf.Variable; // [1 + sum(sizes), E]: row 0 = start token, then each position's choices
  wx: tf.Variable; // [E, 4H]: input -> gates (i, f, o, g)
  wh: tf.Variable; // [H, 4H]: hidden -> gates
  bias: tf.Variable; // [4H], forget gate initialised to 1
  headW: tf.Variable; // [T, H, M]: position t's head, padded to the largest size M
  headB: tf.Variable; // [T, M]
}
type ParamName = keyof Params;
const PARAM_NAMES: ParamName[] = ['embedding', 'wx', 'wh', 'bias', 'headW', 'headB'];

export interface ReinforceStrategy extends Strategy {
  /** The policy's log-probability of each decision vector (for tests and diagnostics). */
  logProbs(decisions: readonly (readonly number[])[]): number[];
}

export function createReinforceStrategy(settings: ReinforceSettings, space: DecisionSpace, seed: number): ReinforceStrategy {
  const H = settings.hiddenUnits;
  const E = H;
  const sizes = space.sizes;
  const T = sizes.length;
  const M = Math.max(...sizes);
  const offsets: number[] = [];
  let total = 0;
  for (const n of sizes) {
    offsets.push(total);
    total += n;
  }
  let rng: Rng = createRng(seed);
  const uniform = (n: number): Float32Array => Float32Array.from({ length: n }, () => (2 * rng.next() - 1) * INIT_RANGE);

  const shapes: Record<ParamName, number[]> = {
    embedding: [1 + total, E],
    wx: [E, 4 * H],
    wh: [H, 4 * H],
    bias: [4 * H],
    headW: [T, H, M],
    headB: [T, M],
  };
  // tf.variable copies its initial value, which is then freed.
  const variable = (init: tf.Tensor, trainable: boolean): tf.Variable => {
    const v = tf.variable(init, trainable);
    init.dispose();
    return v;
  };
  const initial = (k: ParamName): Float32Array => {
    const size = shapes[k].reduce((a, b) => a * b, 1);
    if (k === 'headB') return new Float32Array(size);
    if (k === 'bias') return Float32Array.from({ length: size }, (_, i) => (i >= H && i < 2 * H ? 1 : 0));
    return uniform(size);
  };
  const params = Object.fromEntries(PARAM_NAMES.map((k) => [k, variable(tf.tensor(initial(k), shapes[k]), true)])) as unknown as Params;
  const adam = createAdam(PARAM_NAMES.map((k) => params[k]), { learningRate: settings.learningRate });
  // 0 for a position's real choices, MASKED for its padding: softmax over [T, *, M] is then per position.
  const maskData = new Float32Array(T * M);
  sizes.forEach((n, t) => maskData.fill(MASKED, t * M + n, (t + 1) * M));
  const mask = tf.keep(tf.tensor2d(maskData, [T, M]));
  let baseline: number | null = null;
  let variance: number | null = null;
  let disposed = false;

  /** One LSTM step: gates = xw + h Wh + b (xw = x Wx already computed). */
  const cell = (xw: tf.Tensor2D, c: tf.Tensor2D, h: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] => {
    const gates = tf.add(tf.add(xw, tf.matMul(h, params.wh)), params.bias) as tf.Tensor2D;
    const [ifo, g] = tf.split(gates, [3 * H, H], 1);
    const [i, f, o] = tf.split(tf.sigmoid(ifo!), 3, 1);
    const c2 = tf.add(tf.mul(f!, c), tf.mul(i!, tf.tanh(g!))) as tf.Tensor2D;
    return [c2, tf.mul(o!, tf.tanh(c2)) as tf.Tensor2D];
  };

  const sample = (count: number): number[][] =>
    tf.tidy(() => {
      const out = Array.from({ length: count }, () => new Array<number>(T));
      let c = tf.zeros([count, H]) as tf.Tensor2D;
      let h = tf.zeros([count, H]) as tf.Tensor2D;
      let tokens = tf.zeros([count], 'int32') as tf.Tensor1D;
      const headWs = tf.unstack(params.headW) as tf.Tensor2D[];
      const headBs = tf.unstack(tf.add(params.headB, mask));
      for (let t = 0; t < T; t++) {
        [c, h] = cell(tf.matMul(tf.gather(params.embedding, tokens) as tf.Tensor2D, params.wx), c, h);
        const probs = tf.softmax(tf.add(tf.matMul(h, headWs[t]!), headBs[t]!)).dataSync();
        const n = sizes[t]!;
        const next = new Int32Array(count);
        for (let i = 0; i < count; i++) {
          const u = rng.next();
          let acc = 0;
          let choice = n - 1;
          for (let j = 0; j < n; j++) {
            acc += probs[i * M + j]!;
            if (u < acc) {
              choice = j;
              break;
            }
          }
          out[i]![t] = choice;
          next[i] = 1 + offsets[t]! + choice;
        }
        tokens = tf.tensor1d(next, 'int32');
      }
      return out;
    });

  /** Teacher-forced log-probability and entropy (summed over positions) of each decision vector; heads and input
   * projections in one op each. */
  const forward = (decisions: readonly (readonly number[])[]): { logp: tf.Tensor1D; entropy: tf.Tensor1D } => {
    const B = decisions.length;
    // Inputs as one-hot rows times the embedding (not tf.gather: its gradient needs UnsortedSegmentSum, which the
    // wasm backend lacks), and the chosen decisions as one-hot masks over the padded heads.
    const V = 1 + total;
    const inputs = new Float32Array(T * B * V);
    const oneHot = new Float32Array(T * B * M);
    decisions.forEach((d, b) => {
      inputs[b * V] = 1; // start token at t = 0
      for (let t = 0; t < T; t++) {
        if (t + 1 < T) inputs[((t + 1) * B + b) * V + 1 + offsets[t]! + d[t]!] = 1;
        oneHot[(t * B + b) * M + d[t]!] = 1;
      }
    });
    const embedded = tf.matMul(tf.tensor2d(inputs, [T * B, V]), params.embedding as tf.Tensor2D);
    const xw = tf.unstack(tf.reshape(tf.matMul(embedded, params.wx), [T, B, 4 * H]));
    let c = tf.zeros([B, H]) as tf.Tensor2D;
    let h = tf.zeros([B, H]) as tf.Tensor2D;
    const hs: tf.Tensor2D[] = [];
    for (let t = 0; t < T; t++) {
      [c, h] = cell(xw[t] as tf.Tensor2D, c, h);
      hs.push(h);
    }
    const logits = tf.add(tf.matMul(tf.stack(hs) as tf.Tensor3D, params.headW as tf.Tensor3D), tf.expandDims(tf.add(params.headB, mask), 1));
    const lp = tf.logSoftmax(logits); // [T, B, M]
    const logp = tf.sum(tf.mul(lp, tf.tensor3d(oneHot, [T, B, M])), [0, 2]) as tf.Tensor1D;
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), [0, 2])) as tf.Tensor1D;
    return { logp, entropy };
  };

  const loss = (decisions: number[][], advantages: number[]): tf.Scalar => {
    const { logp, entropy } = forward(decisions);
    const pg = tf.neg(tf.mean(tf.mul(logp, tf.tensor1d(advantages))));
    return tf.sub(pg, tf.mul(settings.entropyWeight, tf.mean(entropy))) as tf.Scalar;
  };

  const alive = (): void => {
    if (disposed) throw new FailedPreconditionError('reinforce strategy used after dispose()');
  };

  return {
    name: 'reinforce',
    space,
    suggest(count: number): Proposal[] {
      alive();
      if (count <= 0) return [];
      return sample(count).map((decisions) => ({ decisions }));
    },
    update(results: readonly StrategyResult[]): void {
      alive();
      const ok = results.filter((r) => Number.isFinite(r.score));
      if (ok.length === 0) return;
      const rewards = ok.map((r) => r.score);
      const batchMean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
      if (baseline === null || variance === null) {
        baseline = batchMean;
        variance = rewards.reduce((a, r) => a + (r - batchMean) ** 2, 0) / rewards.length;
      }
      // Deviations from the baseline before this batch; the spread estimate takes them in first, so a lone early
      // result cannot meet a zero spread and get a huge advantage.
      const deviations = rewards.map((r) => r - baseline!);
      const d = settings.baselineDecay;
      for (const dev of deviations) variance = d * variance + (1 - d) * dev * dev;
      const sd = Math.max(Math.sqrt(variance), STD_FLOOR);
      const advantages = deviations.map((dev) => dev / sd);
      for (const r of rewards) baseline = d * baseline + (1 - d) * r;
      const decisions = ok.map((r) => r.decisions);
      const { value, grads } = tf.variableGrads(() => loss(decisions, advantages), PARAM_NAMES.map((k) => params[k]));
      adam.apply(PARAM_NAMES.map((k) => grads[params[k].name]!));
      value.dispose();
      tf.dispose(grads);
    },
    logProbs(decisions) {
      alive();
      if (decisions.length === 0) return [];
      return tf.tidy(() => forward(decisions).logp.arraySync());
    },
    state(): StrategyState {
      alive();
      const enc = (t: tf.Tensor): string => {
        const a = t.dataSync() as Float32Array;
        return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
      };
      return {
        kind: 'reinforce',
        version: 1,
        shapes,
        params: PARAM_NAMES.map((k) => enc(params[k])),
        adamM: adam.m.map(enc),
        adamV: adam.v.map(enc),
        adamStep: adam.step,
        baseline,
        variance,
        rng: rng.state(),
      };
    },
    restore(state: StrategyState): void {
      alive();
      checkState(state, 'reinforce', 1);
      const s = state as Record<string, unknown>;
      if (JSON.stringify(s['shapes']) !== JSON.stringify(shapes)) {
        throw new FailedPreconditionError('reinforce state was saved with other settings or another space');
      }
      if (!isRngState(s['rng'])) throw new FailedPreconditionError('bad reinforce state: rng');
      const dec = (b64: unknown, k: ParamName): tf.Tensor => {
        const buf = Buffer.from(String(b64), 'base64');
        const arr = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
        return tf.tensor(arr, shapes[k]);
      };
      tf.tidy(() => {
        PARAM_NAMES.forEach((k, i) => {
          params[k].assign(dec((s['params'] as unknown[])[i], k));
          adam.m[i]!.assign(dec((s['adamM'] as unknown[])[i], k));
          adam.v[i]!.assign(dec((s['adamV'] as unknown[])[i], k));
        });
      });
      adam.step = Number(s['adamStep']);
      baseline = s['baseline'] as number | null;
      variance = s['variance'] as number | null;
      rng = createRng(s['rng']);
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      adam.dispose();
      tf.dispose([...PARAM_NAMES.map((k) => params[k]), mask]);
    },
  };
}
