// Which teacher layers TG averages over — the one rule every service applies. A request names layers, or names none
// (the teacher's tg_layers, every layer when it has none), or names ALL_LAYERS (every layer). The result is always
// in the teacher's layer order, each layer once.
import { InvalidArgumentError } from '../common/errors.ts';

/** The request value for "every layer of the teacher", whatever its tg_layers say. */
export const ALL_LAYERS = '*';

export interface TeacherLayersView {
  readonly id: string;
  /** Every layer's name, in the teacher's order. */
  readonly layerNames: readonly string[];
  /** The teacher's default subset (empty or absent: every layer). */
  readonly tgLayers?: readonly string[];
}

function eachOnce(names: readonly string[], field: string): void {
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new InvalidArgumentError(field, `layer "${twice}" is listed twice`);
}

/** `wanted` (each once, each a layer of the teacher) in the teacher's layer order. */
function inTeacherOrder(teacherId: string, layerNames: readonly string[], wanted: readonly string[], field: string): string[] {
  eachOnce(wanted, field);
  const unknown = wanted.find((w) => !layerNames.includes(w));
  if (unknown !== undefined) {
    throw new InvalidArgumentError(field, `teacher "${teacherId}" has no layer "${unknown}" (it has: ${layerNames.join(', ')})`);
  }
  return layerNames.filter((n) => wanted.includes(n));
}

/** What can be checked of a teacher's own tg_layers before its layers are known: names, each once, no wildcard. */
export function checkTgLayersForm(tgLayers: readonly string[], field: string): void {
  if (tgLayers.includes(ALL_LAYERS)) {
    throw new InvalidArgumentError(field, `list the layers, or leave it empty for every layer ("${ALL_LAYERS}" is for requests)`);
  }
  eachOnce(tgLayers, field);
}

/** A teacher's own tg_layers, as given at creation or by SetTgLayers: its layers, each once (empty = every layer). */
export function checkTgLayers(teacherId: string, layerNames: readonly string[], tgLayers: readonly string[], field: string): string[] {
  checkTgLayersForm(tgLayers, field);
  return inTeacherOrder(teacherId, layerNames, tgLayers, field);
}

/** What can be checked of a request's teacher layers before the teacher is known: "*" alone, each name once. */
export function checkRequestLayersForm(wanted: readonly string[], field: string): void {
  if (wanted.includes(ALL_LAYERS) && wanted.length > 1) {
    throw new InvalidArgumentError(field, `"${ALL_LAYERS}" (every layer) must stand alone`);
  }
  eachOnce(wanted, field);
}

/**
 * The layers a request scores against: `wanted` as named (in the teacher's order); empty: the teacher's tg_layers,
 * or every layer when it has none; [ALL_LAYERS]: every layer.
 */
export function resolveTeacherLayers(teacher: TeacherLayersView, wanted: readonly string[], field: string): string[] {
  checkRequestLayersForm(wanted, field);
  if (wanted.includes(ALL_LAYERS)) return [...teacher.layerNames];
  if (wanted.length > 0) return inTeacherOrder(teacher.id, teacher.layerNames, wanted, field);
  return teacher.tgLayers?.length ? [...teacher.tgLayers] : [...teacher.layerNames];
}

/**
 * What a study stores so that its TG never changes: the layers it names (checked, in the teacher's order), or — when
 * it names none — the teacher's tg_layers at creation, or [ALL_LAYERS] when the teacher has none (every layer).
 */
export function fixStudyTeacherLayers(teacher: TeacherLayersView, wanted: readonly string[], field: string): string[] {
  const resolved = resolveTeacherLayers(teacher, wanted, field);
  if (wanted.includes(ALL_LAYERS)) return [ALL_LAYERS];
  if (wanted.length === 0 && !teacher.tgLayers?.length) return [ALL_LAYERS];
  return resolved;
}

/**
 * The teacher layers a study's trials are scored against (TrainCandidateRequest / ScoreHeader.teacher_layers), from
 * what the study stored: new studies fix theirs at creation (fixStudyTeacherLayers); empty means a study created
 * before teacher_layers existed, when TG averaged over every layer, and so it still does.
 */
export function studyTeacherLayers(config: { readonly teacherLayers: readonly string[] }): string[] {
  return config.teacherLayers.length > 0 ? [...config.teacherLayers] : [ALL_LAYERS];
}

/** A layer list in words: a teacher's tg_layers or a request's ([] and ["*"]: "every layer"). */
export function teacherLayersText(layers: readonly string[]): string {
  return layers.length === 0 || (layers.length === 1 && layers[0] === ALL_LAYERS) ? 'every layer' : layers.join(', ');
}
