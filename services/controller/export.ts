// Study export: JSON (the Study message with its trials, proto3 JSON mapping) and CSV (one row per trial).
import { Study, type Trial, TrialOrigin, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
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
  'origin',
  'source',
] as const;

/** Where a trial came from, for tables: strategy, promoted or imported. */
export function originName(origin: TrialOrigin | undefined): string {
  if (origin === TrialOrigin.TRIAL_ORIGIN_PROMOTED) return 'promoted';
  if (origin === TrialOrigin.TRIAL_ORIGIN_IMPORTED) return 'imported';
  return 'strategy';
}

/** originName, with an imported trial's source label: "imported (team-history)". */
export function originLabel(t: Pick<Trial, 'origin' | 'source'>): string {
  const name = originName(t.origin);
  return t.origin === TrialOrigin.TRIAL_ORIGIN_IMPORTED && t.source ? `${name} (${t.source})` : name;
}

/** Characters per ExportStudy piece: at most 3 UTF-8 bytes each (a surrogate pair is 2 characters, 4 bytes), so 1 MiB. */
export const EXPORT_PIECE_CHARS = 349_525;

/**
 * `text` in pieces of at most `maxChars` UTF-16 code units (and so at most 3 * maxChars UTF-8 bytes), never splitting
 * a surrogate pair; the pieces concatenate to `text`. An empty text is one empty piece (a stream always says its type).
 */
export function* textPieces(text: string, maxChars = EXPORT_PIECE_CHARS): Generator<string> {
  if (!(Number.isInteger(maxChars) && maxChars >= 2)) throw new RangeError(`maxChars must be an integer >= 2, got ${maxChars}`);
  if (text.length === 0) {
    yield '';
    return;
  }
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + maxChars, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate stays with its low one
    yield text.slice(start, end);
    start = end;
  }
}

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
    cell(originName(t.origin)),
    cell(t.source),
  ];
}

export function studyToCsv(study: Study): string {
  const lines = [CSV_COLUMNS.join(','), ...study.trials.map((t) => trialRow(t).join(','))];
  return lines.join('\n') + '\n';
}
