// A realistic example study for the report tests and docs/example-report.html: 40 convnet trials proposed by the
// random strategy (decoded through the spaces' decoder), synthetic P and TG, two failures, one still running, and
// class-structured RDM previews for a 4-layer teacher and the best trial.

import { Comparator, RdmMethod, type RdmPreview } from '../../gen/tgsage/v1/similarity.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { ScoreKind, StudyState, TrialOrigin, TrialState, type Study, type Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { createStrategyRegistry } from '../../services/controller/strategies/registry.ts';
import { createRng, type Rng } from '../../services/controller/strategies/rng.ts';
import { CONVNET_SPACE, decode } from '../../services/spaces/decisions.ts';
import { bestTrial, pTg } from '../../services/controller/score.ts';

const PREVIEW = 40; // 10 classes x 4 stimuli, class-ordered
const CLASSES = 10;

/** 1 - Pearson RDM of features whose class signal has strength `s` (plus unit noise), as RdmPreview bytes. */
export function syntheticRdm(layer: string, s: number, rng: Rng, size = PREVIEW): RdmPreview {
  const d = 24;
  const centroids = Array.from({ length: CLASSES }, () => Array.from({ length: d }, () => rng.normal()));
  const x = Array.from({ length: size }, (_, i) => centroids[Math.floor((i * CLASSES) / size)]!.map((c) => s * c + rng.normal()));
  const z = x.map((row) => {
    const m = row.reduce((a, b) => a + b, 0) / d;
    const c = row.map((v) => v - m);
    const n = Math.sqrt(c.reduce((a, b) => a + b * b, 0));
    return c.map((v) => v / n);
  });
  const out = new Float32Array(size * size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) out[i * size + j] = i === j ? 0 : 1 - z[i]!.reduce((a, v, k) => a + v * z[j]![k]!, 0);
  return { layer, size, data: Buffer.from(out.buffer) };
}

export const TEACHER_LAYERS = ['conv1', 'conv2', 'conv3', 'fc'];

export function exampleStudy(name = 'convnet · random · P+TG'): { study: Study; teacherRdms: RdmPreview[] } {
  const rng = createRng(2019);
  const strategy = createStrategyRegistry().create('random', {}, CONVNET_SPACE, 2019);
  const t0 = Date.UTC(2026, 10, 28, 7, 0, 0);
  const trials: Trial[] = strategy.suggest(40).map((p, number) => {
    const genome = decode(CONVNET_SPACE, p.decisions);
    const depth = genome.space?.$case === 'convnet' ? genome.space.value.layers.length : 4;
    const p_ = Math.min(0.97, 0.5 + 0.03 * depth + 0.06 * rng.normal());
    const tg = Math.max(0, Math.min(0.9, 0.2 + 0.05 * depth + 0.08 * rng.normal()));
    const state = number === 7 || number === 23 ? TrialState.TRIAL_STATE_FAILED : number === 39 ? TrialState.TRIAL_STATE_RUNNING : TrialState.TRIAL_STATE_COMPLETED;
    const done = state === TrialState.TRIAL_STATE_COMPLETED;
    return {
      id: `trial-${String(number).padStart(3, '0')}`,
      studyId: 'study-example',
      number,
      genome,
      state,
      p: done ? p_ : undefined,
      tg: done ? tg : undefined,
      score: done ? pTg(0.5, p_, tg) : undefined,
      similarity: undefined,
      trainer: `127.0.0.1:5005${3 + (number % 2)}`,
      steps: done ? 600 : 0,
      rung: 0,
      clientId: '',
      attempts: state === TrialState.TRIAL_STATE_FAILED ? 3 : 1,
      error: state === TrialState.TRIAL_STATE_FAILED ? 'trainer UNAVAILABLE after 3 attempts' : '',
      parameterCount: done ? Math.round(20000 * depth * (1 + rng.next())) : 0,
      wallSeconds: done ? 30 + 10 * rng.next() : 0,
      createdAt: new Date(t0 + number * 30000),
      finishedAt: done ? new Date(t0 + number * 30000 + 40000) : undefined,
      rdmPreviews: [],
      curve: [],
      queueSeconds: 0,
      trainSeconds: 0,
      // two imported results, so the report shows an origin other than the strategy
      origin: number < 2 ? TrialOrigin.TRIAL_ORIGIN_IMPORTED : TrialOrigin.TRIAL_ORIGIN_STRATEGY,
      source: number < 2 ? 'team-history' : '',
    };
  });
  const best = bestTrial(trials)!;
  const candLayers = best.genome?.space?.$case === 'convnet' ? best.genome.space.value.layers.map((_, i) => `conv${i}`) : ['conv0'];
  const strengths = candLayers.map((_, i) => 0.3 + (2.2 * i) / Math.max(1, candLayers.length - 1));
  const teacherStrengths = [0.3, 0.9, 1.6, 2.8];
  const matches = TEACHER_LAYERS.map((teacherLayer, k) => {
    let bi = 0;
    strengths.forEach((s, i) => {
      if (Math.abs(s - teacherStrengths[k]!) < Math.abs(strengths[bi]! - teacherStrengths[k]!)) bi = i;
    });
    return { teacherLayer, candidateLayer: candLayers[bi]!, similarity: best.tg! + 0.08 * (k - 1.5), normalizedSimilarity: NaN, pBest: NaN };
  });
  best.similarity = {
    teacherId: 'default',
    comparator: Comparator.COMPARATOR_SPEARMAN,
    rdmMethod: RdmMethod.RDM_METHOD_CORRELATION,
    skippedLayers: [],
    candidateLayers: candLayers,
    teacherLayers: TEACHER_LAYERS,
    similarity: [],
    best: matches,
    tg: best.tg!,
    numStimuli: 1000,
    computeSeconds: 0.2,
    also: [],
    ceilings: [],
    normalizedSimilarity: [],
    tgNormalized: NaN,
  };
  const used = [...new Set(matches.map((m) => m.candidateLayer))];
  best.rdmPreviews = used.map((l) => syntheticRdm(l, strengths[candLayers.indexOf(l)]!, rng));
  const teacherRdms = TEACHER_LAYERS.map((l, k) => syntheticRdm(l, teacherStrengths[k]!, rng));
  const study: Study = {
    id: 'study-example',
    config: {
      name,
      space: SearchSpace.SEARCH_SPACE_CONVNET,
      strategy: { strategy: { $case: 'random', value: {} } },
      score: ScoreKind.SCORE_KIND_P_TG,
      alpha: 0.5,
      stepsPerTrial: 600,
      numTrials: 40,
      parallelism: 2,
      teacherId: 'default',
      dataset: { name: 'mnist', directory: '', numStimuli: 1000, numValidation: 2000, splitSeed: 0 },
      seed: 2019,
      training: undefined,
      comparator: Comparator.COMPARATOR_SPEARMAN,
      multiFidelity: { enabled: false, minSteps: 0, eta: 0, rungs: 0 },
      maxAttempts: 3,
      alsoComparators: [],
      tgKind: 0,
      teacherLayers: [],
    },
    state: StudyState.STUDY_STATE_RUNNING,
    trials,
    createdAt: new Date(t0),
    completedTrials: trials.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETED).length,
    trialCount: trials.length,
    bestTrialId: bestTrial(trials)!.id,
    error: '',
  };
  return { study, teacherRdms };
}
