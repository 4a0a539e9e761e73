// Logs each finished call: method, status code and duration (debug when OK, warn otherwise).
import { ServerError, Status } from 'nice-grpc';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { isAbortError } from 'abort-controller-x';
import type { Logger } from './log.ts';

export function callLogMiddleware(logger: Logger): ServerMiddleware {
  return async function* callLog<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ) {
    const start = performance.now();
    const ms = () => Math.round((performance.now() - start) * 10) / 10;
    try {
      const result = yield* call.next(call.request, context);
      logger.debug('call', { method: call.method.path, code: 'OK', ms: ms(), peer: context.peer });
      return result;
    } catch (error: unknown) {
      const code =
        error instanceof ServerError ? Status[error.code] : isAbortError(error) ? 'CANCELLED' : 'UNKNOWN';
      const details = error instanceof ServerError ? error.details : undefined;
      logger.warn('call failed', { method: call.method.path, code, details, ms: ms(), peer: context.peer });
      throw error;
    }
  };
}
