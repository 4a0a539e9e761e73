// Typed strategy settings (the proto's RandomSettings / ReinforceSettings / EvolutionSettings) with the defaults the
// proto documents. A zero (proto3 "unset") field takes its default; anything else out of range is rejected with an
// InvalidArgumentError naming the field, before any work is done.

import { InvalidArgumentError } from '../../common/errors.ts';
import type { EvolutionSettings, ReinforceSettings } from '../../../gen/tgsage/v1/search_controller.ts';

export type { EvolutionSettings, ReinforceSettings };

export const REINFORCE_DEFAULTS: ReinforceSettings = {
  hiddenUnits: 64,
  learningRate: 0.005,
  baselineDecay: 0.8,
  entropyWeight: 0.01,
};

export const EVOLUTION_DEFAULTS: EvolutionSettings = { populationSize: 16, sampleSize: 4 };

function orDefault(v: number | undefined, d: number): number {
  return v === undefined || v === 0 ? d : v;
}

function integerIn(field: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new InvalidArgumentError(field, `must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

function finiteIn(field: string, v: number, lo: number, hi: number, what: string): number {
  if (!Number.isFinite(v) || !(v >= lo && v <= hi)) throw new InvalidArgumentError(field, `must be ${what}, got ${v}`);
  return v;
}

/** Unknown fields are ignored (forward compatible); the argument may be a partial proto message or undefined. */
export function resolveReinforceSettings(raw: Partial<ReinforceSettings> | undefined, field = 'strategy.reinforce'): ReinforceSettings {
  const r = raw ?? {};
  const lr = orDefault(r.learningRate, REINFORCE_DEFAULTS.learningRate);
  const decay = orDefault(r.baselineDecay, REINFORCE_DEFAULTS.baselineDecay);
  const entropy = r.entropyWeight === undefined || r.entropyWeight === 0 ? REINFORCE_DEFAULTS.entropyWeight : r.entropyWeight;
  return {
    hiddenUnits: integerIn(`${field}.hidden_units`, orDefault(r.hiddenUnits, REINFORCE_DEFAULTS.hiddenUnits), 1, 1024),
    learningRate: finiteIn(`${field}.learning_rate`, lr, Number.MIN_VALUE, 1, 'in (0, 1]'),
    baselineDecay: finiteIn(`${field}.baseline_decay`, decay, 0, 1 - Number.EPSILON, 'in (0, 1)'),
    entropyWeight: finiteIn(`${field}.entropy_weight`, entropy, 0, 10, 'in [0, 10]'),
  };
}

export function resolveEvolutionSettings(raw: Partial<EvolutionSettings> | undefined, field = 'strategy.evolution'): EvolutionSettings {
  const r = raw ?? {};
  const populationSize = integerIn(`${field}.population_size`, orDefault(r.populationSize, EVOLUTION_DEFAULTS.populationSize), 2, 100000);
  const sample = orDefault(r.sampleSize, Math.min(EVOLUTION_DEFAULTS.sampleSize, populationSize));
  return { populationSize, sampleSize: integerIn(`${field}.sample_size`, sample, 1, populationSize) };
}
