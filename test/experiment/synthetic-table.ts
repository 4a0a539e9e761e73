// Seeded synthetic benchmark tables with a known structure, for the analysis and replay tests.
//
// Each architecture i (a real convnet genome, so replays can map decision vectors onto rows) has a latent quality
// q_i ~ N(0, 1). Its final P is finalMean + finalScale * q_i + seed noise (sd finalNoise, independent per training
// seed), rounded to 1/numValidation (so P has ties, as real accuracies do). At evaluation budget k:
//   early P      = 0.5 + 0.1 * (rhoP[k] * q + sqrt(1 - rhoP[k]^2) * e),  rounded to 1/numValidation
//   layer "good" = 0.5 + 0.1 * (rhoTg[k] * q + sqrt(1 - rhoTg[k]^2) * e')  (similarity of the best candidate layer)
//   layer "noise"= 0.5 + 0.1 * e''                                         (tells nothing)
//   layer "stem" = stemValue, the same for every architecture (like the pilot's stem at 0.84-0.98, but exactly
//                  constant: its correlation is undefined and it dilutes TG)
// A candidate has 2 representation layers; its second row is the first minus a positive offset, so TG's max over
// candidate layers picks row 0. The CKA comparator repeats the structure with its own noise.

import { CONVNET_SPACE, randomGenome } from '../../services/spaces/decisions.ts';
import { genomeToJson, genomeToJsonValue } from '../../services/spaces/json.ts';
import { rng as makeRng } from '../compute/reference.ts';
import { TABLE_FORMAT, type BenchmarkTable, type TableCurvePoint, type TableRun, type TableSimilarity } from '../../services/experiment/table.ts';

export interface SyntheticOptions {
  seed: number;
  architectures: number;
  evalSteps?: number[];
  /** Correlation of early P with q at each budget (the last budget's value is ignored: final P is used). */
  rhoP?: number[];
  rhoTg?: number[];
  finalMean?: number;
  finalScale?: number;
  finalNoise?: number;
  /** Architectures (the first ones) trained with a second seed. */
  twoSeeds?: number;
  numValidation?: number;
  stemValue?: number;
  /** Leave out the last budget (and finalP) of the last `unfinished` architectures' first rows. */
  unfinished?: number;
}

export const SYNTHETIC_LAYERS = ['stem', 'good', 'noise'] as const;

export function syntheticTable(o: SyntheticOptions): BenchmarkTable {
  const r = makeRng(o.seed);
  const evalSteps = o.evalSteps ?? [10, 30, 100, 300];
  const K = evalSteps.length;
  const rhoP = o.rhoP ?? evalSteps.map((_, k) => 0.3 + (0.6 * k) / Math.max(1, K - 1));
  const rhoTg = o.rhoTg ?? evalSteps.map(() => 0.7);
  const nv = o.numValidation ?? 500;
  const round = (p: number) => Math.round(Math.min(1, Math.max(0, p)) * nv) / nv;
  const finalMean = o.finalMean ?? 0.85;
  const finalScale = o.finalScale ?? 0.03;
  const finalNoise = o.finalNoise ?? 0.005;
  const stem = o.stemValue ?? 0.9;
  const runs: TableRun[] = [];
  const seen = new Set<string>();
  let genomeSeed = o.seed * 1000;
  for (let a = 0; a < o.architectures; a++) {
    let genome = randomGenome(CONVNET_SPACE, genomeSeed++);
    while (seen.has(genomeToJson(genome))) genome = randomGenome(CONVNET_SPACE, genomeSeed++);
    const key = genomeToJson(genome);
    seen.add(key);
    const q = r.normal();
    const seeds = a < (o.twoSeeds ?? 0) ? 2 : 1;
    for (let s = 0; s < seeds; s++) {
      const finalP = round(finalMean + finalScale * q + finalNoise * r.normal());
      const unfinished = s === 0 && a >= o.architectures - (o.unfinished ?? 0);
      const curve: TableCurvePoint[] = evalSteps.map((step, k) => {
        const last = k === K - 1;
        const mix = (rho: number) => rho * q + Math.sqrt(1 - rho * rho) * r.normal();
        const p = last ? finalP : round(0.5 + 0.1 * mix(rhoP[k]!));
        const sim = (): TableSimilarity => {
          const good = 0.5 + 0.1 * mix(rhoTg[k]!);
          const noise = 0.5 + 0.1 * r.normal();
          const row0 = [stem, good, noise];
          const row1 = row0.map((v) => v - 0.05 - 0.05 * r.uniform());
          const matrix = [row0, row1];
          return { candidateLayers: ['conv0', 'conv1'], matrix, tg: (stem + good + noise) / 3 };
        };
        return {
          step,
          p,
          trainLoss: 1 - p,
          trainSeconds: step * 0.01,
          evalSeconds: 0.1,
          scoreSeconds: 0.1,
          similarity: { spearman: sim(), cka_linear: sim() },
        };
      });
      runs.push({
        architecture: a,
        genomeSeed: genomeSeed - 1,
        genome: genomeToJsonValue(genome),
        genomeKey: key,
        parameters: 1000 + a,
        flops: 10000 + a,
        trainingSeed: s,
        curve: unfinished ? curve.slice(0, K - 1) : curve,
        finalP: unfinished ? (null as unknown as number) : finalP,
        wallSeconds: 1,
        queueSeconds: 0,
        studyId: 'synthetic',
        trialId: `t${a}-${s}`,
        trainer: 'synthetic',
      });
    }
  }
  return {
    format: TABLE_FORMAT,
    space: 'convnet',
    dataset: { name: 'synthetic', numValidation: nv, numStimuli: 100, splitSeed: 0 },
    teacher: { id: 'synthetic', layers: [...SYNTHETIC_LAYERS] },
    training: {
      batchSize: 64,
      optimizer: 'sgd',
      learningRate: 0.05,
      momentum: 0.9,
      schedule: 'cosine',
      finalSteps: evalSteps[K - 1]!,
      evalSteps,
    },
    comparators: ['spearman', 'cka_linear'],
    provenance: [{ command: 'syntheticTable', machine: 'test', startedAt: '2026-01-01T00:00:00Z' }],
    runs,
  };
}
