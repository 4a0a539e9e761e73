// Ends server-streaming calls (watches, health Watch) cleanly when the server shuts down: their context.signal also
// fires on shutdown, and the abort that follows ends the stream with OK instead of an error. Unary and
// client-streaming calls are left alone so that they can drain.
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { isAbortError } from 'abort-controller-x';

export function terminatorMiddleware(shutdown: AbortSignal): ServerMiddleware {
  return async function* terminator<Request, Response>(
    call: ServerMiddlewareCall<Request, Response>,
    context: CallContext,
  ) {
    if (!call.responseStream) return yield* call.next(call.request, context);
    const signal = AbortSignal.any([context.signal, shutdown]);
    try {
      return yield* call.next(call.request, { ...context, signal });
    } catch (error: unknown) {
      if (shutdown.aborted && !context.signal.aborted && isAbortError(error)) return;
      throw error;
    }
  };
}
