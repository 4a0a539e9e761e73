// The one place where failures become gRPC status codes. Domain errors (services/common/errors.ts) and the compute
// layer's input errors keep their message; ServerError and abort errors pass through; anything else is logged with
// its cause and answered INTERNAL without details, so clients never see stack traces. A failed call to another
// service crosses as failures.ts's table says (its status kept, or UNAVAILABLE), naming the dependency, also in the
// trailer `tgsage-failure-source`.
import { ClientError, ServerError, Status } from 'nice-grpc';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { isAbortError } from 'abort-controller-x';
import { ComputeInputError } from '../compute/types.ts';
import { boundStatusMessage } from './bounded-text.ts';
import { DomainError } from './errors.ts';
import { DependencyError, FAILURE_SOURCE_TRAILER, fromClientError } from './failures.ts';
import type { Logger } from './log.ts';

/** Maps a thrown value to the ServerError a client should see; undefined = pass it through unchanged. */
export function toServerError(error: unknown): ServerError | undefined {
  if (error instanceof ServerError || isAbortError(error)) return undefined;
  // A call to another tgsage service failed and the handler let it through: name the call as the dependency.
  if (error instanceof ClientError) return toServerError(fromClientError(error, error.path));
  if (error instanceof DomainError) return new ServerError(Status[error.code], error.message);
  if (error instanceof ComputeInputError) return new ServerError(Status.INVALID_ARGUMENT, error.message);
  return new ServerError(Status.INTERNAL, 'internal error (see server log)');
}

export function errorMiddleware(logger: Logger): ServerMiddleware {
  return async function* errors<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ) {
    try {
      return yield* call.next(call.request, context);
    } catch (error: unknown) {
      const mapped = toServerError(error);
      if (mapped === undefined) throw boundedServerError(error);
      if (mapped.code === Status.INTERNAL) logger.error('internal error', { method: call.method.path, error });
      const dependency = error instanceof DependencyError ? error.dependency : error instanceof ClientError ? error.path : undefined;
      if (dependency !== undefined) {
        logger.warn('dependency failed', { method: call.method.path, error });
        context.trailer.set(FAILURE_SOURCE_TRAILER, dependency.replace(/[^\x20-\x7e]/g, '?'));
      }
      throw boundedServerError(mapped);
    }
  };
}

/** A ServerError's message is sent in an HTTP/2 header: past ~100 kB it stalls the connection, so bound it here. */
function boundedServerError(error: unknown): unknown {
  if (!(error instanceof ServerError)) return error;
  const details = boundStatusMessage(error.details);
  return details === error.details ? error : new ServerError(error.code, details);
}
