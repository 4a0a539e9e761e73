// Study export: JSON (the Study message with its trials, proto3 JSON mapping) and CSV (one row per trial).
import { Study, type Trial, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import { Genome } from '../../gen/tgsage/v1/genome.ts';

export const CSV_COLUMNS = [
  'number',
  'id',
  'state',
  'p',
  'tg',
  'score',
  'steps',
  'rung',
  'params',
  'wall_seconds',
  'queue_seconds',
  'train_seconds',
  'training_seed',
  'trainer',
  'genome',
] as const;

export function studyToJson(study: Study): string {
  return JSON.stringify(Study.toJSON(study), null, 2) + '\n';
}

function cell(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function stateName(s: TrialState): string {
  return TrialState[s]?.replace('TRIAL_STATE_', '').toLowerCase() ?? String(s);
}

export function trialRow(t: Trial): string[] {
  return [
    cell(t.number),
    cell(t.id),
    cell(stateName(t.state)),
    cell(t.p),
    cell(t.tg),
    cell(t.score),
    cell(t.steps),
    cell(t.rung),
    cell(t.parameterCount),
    cell(t.wallSeconds),
    cell(t.queueSeconds),
    cell(t.trainSeconds),
    cell(t.trainingSeed),
    cell(t.trainer),
    cell(t.genome ? JSON.stringify(Genome.toJSON(t.genome)) : ''),
  ];
}

export function studyToCsv(study: Study): string {
  const lines = [CSV_COLUMNS.join(','), ...study.trials.map((t) => trialRow(t).join(','))];
  return lines.join('\n') + '\n';
}
