// CLI spellings of the proto enums.

import { Comparator, RdmMethod } from '../../gen/tgsage/v1/similarity.ts';
import { TeacherSource } from '../../gen/tgsage/v1/teacher_cache.ts';
import { CliError } from './errors.ts';

export const RDM_METHODS: Record<string, RdmMethod> = {
  correlation: RdmMethod.RDM_METHOD_CORRELATION,
  cosine: RdmMethod.RDM_METHOD_COSINE,
  euclidean: RdmMethod.RDM_METHOD_EUCLIDEAN,
};

export const COMPARATORS: Record<string, Comparator> = {
  spearman: Comparator.COMPARATOR_SPEARMAN,
  pearson: Comparator.COMPARATOR_PEARSON,
  kendall: Comparator.COMPARATOR_KENDALL_TAU_A,
  cosine: Comparator.COMPARATOR_COSINE,
  cka: Comparator.COMPARATOR_CKA_LINEAR,
  'cka-unbiased': Comparator.COMPARATOR_CKA_LINEAR_UNBIASED,
};

/** A comma-separated list of names ('' or absent: none). */
export function parseNames(value: string | undefined): string[] {
  return value?.split(',').map((s) => s.trim()).filter((s) => s.length > 0) ?? [];
}

/** Help of every --teacher-layers option (the rule is services/teachers/tg-layers.ts). */
export const TEACHER_LAYERS_HELP =
  "comma-separated teacher layers TG averages over (default: the teacher's tg layers, else all; '*' = all)";

export function parseEnum<T>(flag: string, table: Record<string, T>, value: string): T {
  const v = table[value.toLowerCase()];
  if (v === undefined) throw new CliError(`${flag}: '${value}' is not one of ${Object.keys(table).join(', ')}`);
  return v;
}

function nameOf<T>(table: Record<string, T>, value: T, unspecified: string): string {
  return Object.entries(table).find(([, v]) => v === value)?.[0] ?? unspecified;
}

export const rdmMethodName = (m: RdmMethod) => nameOf(RDM_METHODS, m, 'default');
export const comparatorName = (c: Comparator) => nameOf(COMPARATORS, c, 'default');
export const sourceName = (s: TeacherSource) =>
  nameOf({ uploaded: TeacherSource.TEACHER_SOURCE_UPLOADED, computed: TeacherSource.TEACHER_SOURCE_COMPUTED }, s, '-');
