// The failure table: every kind of failure, the gRPC status it travels as, whether trying again (on another trainer,
// or later) may help, and what it becomes when it crosses a service boundary. The error middleware, the one
// `fromClientError` and the controller's trainer pool all read this table, so a failure means the same thing from
// the scorer through the trainer to the controller.
//
// Crossing a boundary: a failure a dependency answers about the request itself (bad input, unknown teacher, a
// precondition, a diverged training, a limit) keeps its status and is prefixed with the dependency that raised it
// ("scorer at 127.0.0.1:50052: chunk.data: layer ... row 3 is constant"). A failure of the dependency itself
// (unreachable, timed out, cancelled, its own bug) becomes UNAVAILABLE naming it. Either way the error middleware
// adds a trailer `tgsage-failure-source` naming the dependency, so a caller can tell "the trainer is broken" from "the
// trainer is fine, but its scorer is not" (the trainer pool keeps such a trainer in rotation).
import { ClientError, Status } from 'nice-grpc-common';
import { DomainError, type DomainErrorCode } from './errors.ts';

export type FailureKind =
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  | 'failed-precondition'
  | 'diverged'
  | 'resource-exhausted'
  | 'aborted'
  | 'unimplemented'
  | 'unavailable'
  | 'deadline-exceeded'
  | 'cancelled'
  | 'internal';

export interface FailureRule {
  /** The status it travels as. */
  readonly status: Status;
  /** Whether another attempt (another trainer, or later) may succeed. Deterministic failures are never retried. */
  readonly retry: boolean;
  /** What it becomes in a service that called the one that failed: the same status, or UNAVAILABLE. */
  readonly crossing: 'keep' | 'unavailable';
  readonly meaning: string;
}

export const FAILURES: Readonly<Record<FailureKind, FailureRule>> = {
  'invalid-argument': {
    status: Status.INVALID_ARGUMENT,
    retry: false,
    crossing: 'keep',
    meaning: 'bad input (the message names the field), e.g. a constant row of activations from a dead layer',
  },
  'not-found': { status: Status.NOT_FOUND, retry: false, crossing: 'keep', meaning: 'an unknown teacher, study, trial' },
  'already-exists': { status: Status.ALREADY_EXISTS, retry: false, crossing: 'keep', meaning: 'an id already taken' },
  'failed-precondition': {
    status: Status.FAILED_PRECONDITION,
    retry: false,
    crossing: 'keep',
    meaning: 'the system is not in a state to do this (a missing dataset, a teacher of another dataset)',
  },
  diverged: {
    status: Status.FAILED_PRECONDITION,
    retry: false,
    crossing: 'keep',
    meaning: 'training diverged (loss NaN or Inf): the same candidate and seed diverge again on any trainer',
  },
  'resource-exhausted': {
    status: Status.RESOURCE_EXHAUSTED,
    retry: true,
    crossing: 'keep',
    meaning: 'over a limit or a full queue; another trainer, or a later attempt, may have room',
  },
  aborted: { status: Status.ABORTED, retry: true, crossing: 'keep', meaning: 'abandoned for a conflicting change' },
  unimplemented: {
    status: Status.UNIMPLEMENTED,
    retry: false,
    crossing: 'keep',
    meaning: 'the server does not offer this (a version mismatch)',
  },
  unavailable: { status: Status.UNAVAILABLE, retry: true, crossing: 'unavailable', meaning: 'cannot be reached' },
  'deadline-exceeded': {
    status: Status.DEADLINE_EXCEEDED,
    retry: true,
    crossing: 'unavailable',
    meaning: 'no answer in time',
  },
  cancelled: {
    status: Status.CANCELLED,
    retry: true,
    crossing: 'unavailable',
    meaning: 'the call was cancelled (e.g. the server shut down)',
  },
  internal: {
    status: Status.INTERNAL,
    retry: false,
    crossing: 'unavailable',
    meaning: 'a bug (logged with its cause where it happened); retrying a bug trains the candidate again for nothing',
  },
};

/** The kind a received status stands for (UNKNOWN, DATA_LOSS and OK-as-error count as internal). */
export function failureKind(status: Status): FailureKind {
  for (const [kind, rule] of Object.entries(FAILURES) as Array<[FailureKind, FailureRule]>) {
    if (rule.status === status && kind !== 'diverged') return kind;
  }
  return 'internal';
}

export function isRetryable(status: Status): boolean {
  return FAILURES[failureKind(status)].retry;
}

/** Trailer naming the dependency a failure came from (absent: the server that answered failed itself). */
export const FAILURE_SOURCE_TRAILER = 'tgsage-failure-source';

/** A failure of a dependency (another tgsage service), as it crosses into this one; see the table's `crossing`. */
export class DependencyError extends DomainError {
  override readonly name = 'DependencyError';
  readonly code: DomainErrorCode;
  constructor(
    /** e.g. "scorer at 127.0.0.1:50052" */
    readonly dependency: string,
    readonly status: Status,
    readonly details: string,
  ) {
    const kind = failureKind(status);
    const keep = FAILURES[kind].crossing === 'keep';
    super(keep ? `${dependency}: ${details}` : `${dependency} failed: ${Status[status]}: ${details}`);
    this.code = keep ? (Status[status] as DomainErrorCode) : 'UNAVAILABLE';
  }
}

/**
 * The one conversion of a failed call to another service: a ClientError becomes a DependencyError with the status
 * the table says (the error middleware then answers it); anything else (an abort, a domain error) is returned as it is.
 * `dependency` names the service and where it is, e.g. `scorer at ${address}`.
 */
export function fromClientError(error: unknown, dependency: string): unknown {
  if (!(error instanceof ClientError)) return error;
  return new DependencyError(dependency, error.code, error.details);
}
