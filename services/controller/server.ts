// Builds the search-controller gRPC server (no listen): the service, health, and the error mapping.
import { type Server, ServerError, Status, createServer, type ServerMiddleware } from 'nice-grpc';
import { ClientError } from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { SearchControllerDefinition } from '../../gen/tgsage/v1/search_controller.ts';
import { DomainError } from '../common/errors.ts';
import type { Controller } from './controller.ts';
import type { Log } from './runner.ts';
import { searchControllerService } from './service.ts';

/** Domain errors -> their status; a failing downstream call keeps its code; anything else -> INTERNAL, logged. */
export function errorMiddleware(log: Log): ServerMiddleware {
  return async function* (call, context) {
    try {
      return yield* call.next(call.request, context);
    } catch (e) {
      if (e instanceof ServerError || (e instanceof Error && e.name === 'AbortError')) throw e;
      if (e instanceof DomainError) throw new ServerError(Status[e.code], e.message);
      if (e instanceof ClientError) throw new ServerError(e.code, e.details);
      log('error', 'internal error', { method: call.method.path, error: e instanceof Error ? e.stack : String(e) });
      throw new ServerError(Status.INTERNAL, 'internal error');
    }
  };
}

export function buildControllerServer(controller: Controller, log: Log = () => {}): { server: Server; health: HealthState } {
  const health = HealthState();
  const server = createServer().use(errorMiddleware(log));
  server.add(SearchControllerDefinition, searchControllerService(controller));
  server.add(HealthDefinition, HealthServiceImpl(health));
  health.setStatus('healthy');
  health.setStatus('healthy', SearchControllerDefinition.fullName);
  return { server, health };
}
