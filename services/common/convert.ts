// Proto enums <-> compute-layer names, shared by the teacher cache and the scorer.
import { Comparator, RdmMethod } from '../../gen/tgsage/v1/similarity.ts';
import type { ComparatorName, RdmMethod as RdmMethodName } from '../compute/types.ts';
import { InvalidArgumentError } from './errors.ts';

/** RDM method from the proto; `fallback` for UNSPECIFIED. */
export function rdmMethodFromProto(m: RdmMethod, field: string, fallback: RdmMethodName): RdmMethodName {
  switch (m) {
    case RdmMethod.RDM_METHOD_UNSPECIFIED:
      return fallback;
    case RdmMethod.RDM_METHOD_CORRELATION:
      return 'correlation';
    case RdmMethod.RDM_METHOD_COSINE:
      return 'cosine';
    case RdmMethod.RDM_METHOD_EUCLIDEAN:
      return 'euclidean';
    default:
      throw new InvalidArgumentError(field, `unknown RDM method ${m}`);
  }
}

export function rdmMethodToProto(m: RdmMethodName): RdmMethod {
  return { correlation: RdmMethod.RDM_METHOD_CORRELATION, cosine: RdmMethod.RDM_METHOD_COSINE, euclidean: RdmMethod.RDM_METHOD_EUCLIDEAN }[m];
}

/** Comparator from the proto; UNSPECIFIED = Spearman. */
export function comparatorFromProto(c: Comparator, field: string): ComparatorName {
  switch (c) {
    case Comparator.COMPARATOR_UNSPECIFIED:
    case Comparator.COMPARATOR_SPEARMAN:
      return 'spearman';
    case Comparator.COMPARATOR_PEARSON:
      return 'pearson';
    case Comparator.COMPARATOR_KENDALL_TAU_A:
      return 'kendall';
    case Comparator.COMPARATOR_COSINE:
      return 'cosine';
    case Comparator.COMPARATOR_CKA_LINEAR:
      return 'cka';
    case Comparator.COMPARATOR_CKA_LINEAR_UNBIASED:
      return 'cka_unbiased';
    default:
      throw new InvalidArgumentError(field, `unknown comparator ${c}`);
  }
}

export function comparatorToProto(c: ComparatorName): Comparator {
  return {
    spearman: Comparator.COMPARATOR_SPEARMAN,
    pearson: Comparator.COMPARATOR_PEARSON,
    kendall: Comparator.COMPARATOR_KENDALL_TAU_A,
    cosine: Comparator.COMPARATOR_COSINE,
    cka: Comparator.COMPARATOR_CKA_LINEAR,
    cka_unbiased: Comparator.COMPARATOR_CKA_LINEAR_UNBIASED,
  }[c];
}

export function isGramComparator(c: ComparatorName): c is 'cka' | 'cka_unbiased' {
  return c === 'cka' || c === 'cka_unbiased';
}
