// Synthetic "brain recordings" from a network layer, to test and demonstrate teachers with repetitions end to end.
// Sites are a seeded sample of the layer's features that vary over the stimuli, each z-scored over the stimuli (the
// signal S, n x sites). Each repetition adds independent Gaussian trial-to-trial noise of one standard deviation
// sigma to every site and stimulus.
//
// The reliability asked for is the reliability of the teacher's RDM: the Spearman correlation between the RDMs of the
// means over repetitions of two independent recordings of the same size (test-retest). The mean of R repetitions
// carries noise sigma / sqrt(R), so sigma is calibrated by bisection on s = sigma / sqrt(R) against two fixed draws of
// standard-normal noise Z1, Z2 (common random numbers make the curve smooth and monotone): Spearman(RDM(S + s Z1),
// RDM(S + s Z2)) = reliability. This is a different estimator from the teacher cache's split-half ceiling (which only
// sees one recording, splits it and extrapolates with Spearman-Brown), so a test can check one against the other.
import { InvalidArgumentError } from '../common/errors.ts';
import type { Compute, RdmMethod } from '../compute/types.ts';
import { createRng } from '../spaces/rng.ts';

export interface SynthNeuralOptions {
  sites: number;
  repetitions: number;
  /** Target test-retest Spearman reliability of the mean-over-repetitions RDM, in (0, 1). */
  reliability: number;
  seed: number;
  method: RdmMethod;
  signal?: AbortSignal;
}

export interface SynthNeural {
  /** repetitions x n x sites, repetition-major float32. */
  data: Float32Array;
  shape: [number, number, number];
  /** Trial-to-trial noise standard deviation (sites have unit variance over stimuli). */
  noiseSd: number;
  /** The test-retest reliability reached by the calibration. */
  calibrated: number;
  /** Feature indices of the sampled sites. */
  sites: number[];
}

export const MAX_SYNTH_VALUES = 256 * 1024 * 1024;

export async function synthNeural(
  compute: Compute,
  layer: { n: number; d: number; data: Float32Array },
  o: SynthNeuralOptions,
): Promise<SynthNeural> {
  const { n, d, data } = layer;
  if (!(o.reliability > 0 && o.reliability < 1)) throw new InvalidArgumentError('reliability', `must be in (0, 1), got ${o.reliability}`);
  if (!Number.isInteger(o.repetitions) || o.repetitions < 2) throw new InvalidArgumentError('repetitions', `must be at least 2, got ${o.repetitions}`);
  if (!Number.isInteger(o.sites) || o.sites < 2) throw new InvalidArgumentError('sites', `must be at least 2, got ${o.sites}`);
  if (o.repetitions * n * o.sites > MAX_SYNTH_VALUES) {
    throw new InvalidArgumentError('sites', `${o.repetitions} x ${n} x ${o.sites} values is over the limit of ${MAX_SYNTH_VALUES}`);
  }
  // features that vary over the stimuli
  const varying: number[] = [];
  for (let f = 0; f < d; f++) {
    const first = data[f]!;
    for (let i = 1; i < n; i++) {
      if (data[i * d + f] !== first) {
        varying.push(f);
        break;
      }
    }
  }
  if (varying.length < o.sites) {
    throw new InvalidArgumentError('sites', `the layer has ${varying.length} features that vary over the stimuli; asked for ${o.sites} sites`);
  }
  const rng = createRng(o.seed, 'synth-neural');
  const sites = rng.shuffle(varying).slice(0, o.sites).sort((a, b) => a - b);
  const k = sites.length;
  const signal = new Float64Array(n * k);
  sites.forEach((f, c) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += data[i * d + f]!;
    const mean = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (data[i * d + f]! - mean) ** 2;
    const sd = Math.sqrt(ss / n);
    for (let i = 0; i < n; i++) signal[i * k + c] = (data[i * d + f]! - mean) / sd;
  });
  const z1 = Float64Array.from({ length: n * k }, () => rng.normal());
  const z2 = Float64Array.from({ length: n * k }, () => rng.normal());
  const retest = async (s: number): Promise<number> => {
    o.signal?.throwIfAborted();
    const a = new Float32Array(n * k);
    const b = new Float32Array(n * k);
    for (let t = 0; t < n * k; t++) {
      a[t] = signal[t]! + s * z1[t]!;
      b[t] = signal[t]! + s * z2[t]!;
    }
    const ra = await compute.rdm({ n, d: k, data: a }, o.method);
    const rb = await compute.rdm({ n, d: k, data: b }, o.method);
    return compute.compare(await compute.prepare(ra, n, 'spearman'), await compute.prepare(rb, n, 'spearman'));
  };
  // bisection on log s: reliability falls as s grows
  let lo = Math.log(1e-4);
  let hi = Math.log(1e3);
  for (let it = 0; it < 20; it++) {
    const mid = (lo + hi) / 2;
    if ((await retest(Math.exp(mid))) > o.reliability) lo = mid;
    else hi = mid;
  }
  const s = Math.exp((lo + hi) / 2);
  const calibrated = await retest(s);
  const sigma = s * Math.sqrt(o.repetitions);
  const noise = createRng(o.seed, 'synth-neural', 'trials');
  const out = new Float32Array(o.repetitions * n * k);
  for (let r = 0; r < o.repetitions; r++) {
    for (let t = 0; t < n * k; t++) out[r * n * k + t] = signal[t]! + sigma * noise.normal();
  }
  return { data: out, shape: [o.repetitions, n, k], noiseSd: sigma, calibrated, sites };
}
