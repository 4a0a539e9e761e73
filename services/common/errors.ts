// Domain errors. Domain code throws these; one server middleware (services/common) maps them to gRPC status codes,
// so no domain module imports gRPC. Messages name the offending field and are shown to clients as they are.

export type DomainErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'UNAVAILABLE'
  | 'UNIMPLEMENTED'
  | 'ABORTED';

export abstract class DomainError extends Error {
  abstract readonly code: DomainErrorCode;
}

/** Bad input. `field` names it, e.g. "header.num_stimuli" or "genome.convnet.layers[2].kernel_size". */
export class InvalidArgumentError extends DomainError {
  readonly code = 'INVALID_ARGUMENT';
  override readonly name = 'InvalidArgumentError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  override readonly name = 'NotFoundError';
}

export class AlreadyExistsError extends DomainError {
  readonly code = 'ALREADY_EXISTS';
  override readonly name = 'AlreadyExistsError';
}

/** Over a configured limit (stimuli, features, bytes, queue length). */
export class ResourceExhaustedError extends DomainError {
  readonly code = 'RESOURCE_EXHAUSTED';
  override readonly name = 'ResourceExhaustedError';
}

/** The system is not in a state to do this (missing dataset, teacher without Gram matrices, ...). */
export class FailedPreconditionError extends DomainError {
  readonly code = 'FAILED_PRECONDITION';
  override readonly name = 'FailedPreconditionError';
}

/** A dependency (another service) cannot be reached. */
export class UnavailableError extends DomainError {
  readonly code = 'UNAVAILABLE';
  override readonly name = 'UnavailableError';
}

export class UnimplementedError extends DomainError {
  readonly code = 'UNIMPLEMENTED';
  override readonly name = 'UnimplementedError';
}

/** The operation was abandoned (e.g. a conflicting concurrent change). */
export class AbortedError extends DomainError {
  readonly code = 'ABORTED';
  override readonly name = 'AbortedError';
}
