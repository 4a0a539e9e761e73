// Learning-rate schedules over a step budget, applied per step. Pure functions of (step, budget).

export type LrScheduleName = 'cosine' | 'constant' | 'warmup_cosine';

/** Fraction of the budget spent warming up under 'warmup_cosine'. */
export const WARMUP_FRACTION = 0.1;

/** Learning rate for 0-based `step` of `totalSteps`. */
export function learningRateAt(schedule: LrScheduleName, base: number, step: number, totalSteps: number): number {
  if (schedule === 'constant') return base;
  if (schedule === 'cosine') return cosine(base, step, totalSteps);
  const warmup = Math.max(1, Math.round(WARMUP_FRACTION * totalSteps));
  if (step < warmup) return (base * (step + 1)) / warmup;
  return cosine(base, step - warmup, totalSteps - warmup);
}

function cosine(base: number, step: number, total: number): number {
  if (total <= 1) return base;
  return 0.5 * base * (1 + Math.cos((Math.PI * step) / total));
}

/**
 * The step budget a run's schedule spans: `scheduleSteps` when set, else the run's own budget. A run under a span
 * longer than its budget is the prefix of the longer run (how successive halving continues promoted trials).
 */
export function scheduleSpan(config: { readonly steps: number; readonly scheduleSteps?: number | undefined }): number {
  return config.scheduleSteps || config.steps;
}
