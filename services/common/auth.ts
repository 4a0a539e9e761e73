// Token authentication and authorisation, as one server middleware and one client middleware. A call without a
// known bearer token is UNAUTHENTICATED; a `read` token may call only methods that change nothing, everything else
// needs `write` (PERMISSION_DENIED). grpc.health.v1 is exempt, so that probes and load balancers need no token.
import { Metadata, ServerError, Status, type ClientMiddleware } from 'nice-grpc';
import type { CallContext, MethodDescriptor, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { roleOf, type Role, type TokenEntry } from './tokens.ts';

/** Methods anyone may call (no token): health checks. */
export const EXEMPT_SERVICES: ReadonlySet<string> = new Set(['grpc.health.v1.Health']);

/**
 * Methods that change nothing but are not marked NO_SIDE_EFFECTS in the proto (streams, which the retry middleware
 * would otherwise try to retry): scoring computes and answers, and stores nothing.
 */
export const READ_ONLY_STREAMS: ReadonlySet<string> = new Set([
  '/tgsage.v1.Scorer/ScoreActivations',
  '/tgsage.v1.Scorer/CompareRdms',
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
]);

/** The role a method needs: undefined (none), `read` (it changes nothing), or `write`. */
export function requiredRole(method: Pick<MethodDescriptor, 'path' | 'options'>): Role | undefined {
  const service = method.path.split('/')[1] ?? '';
  if (EXEMPT_SERVICES.has(service)) return undefined;
  if (method.options.idempotencyLevel === 'NO_SIDE_EFFECTS' || READ_ONLY_STREAMS.has(method.path)) return 'read';
  return 'write';
}

/** `authorization: Bearer TOKEN` -> TOKEN (undefined if absent or of another scheme). */
export function bearerToken(value: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return m?.[1];
}

/** Server middleware: checks every call's token against the table `tokens()` returns (re-read when it changes). */
export function authMiddleware(tokens: () => readonly TokenEntry[]): ServerMiddleware {
  return async function* auth<Request, Response>(call: ServerMiddlewareCall<Request, Response>, context: CallContext) {
    const needs = requiredRole(call.method);
    if (needs !== undefined) {
      const token = bearerToken(context.metadata.get('authorization'));
      if (token === undefined) throw new ServerError(Status.UNAUTHENTICATED, 'authorization: a bearer token is required (--token-file)');
      const role = roleOf(tokens(), token);
      if (role === undefined) throw new ServerError(Status.UNAUTHENTICATED, 'authorization: unknown token');
      if (needs === 'write' && role !== 'write') {
        throw new ServerError(Status.PERMISSION_DENIED, `${call.method.path} changes state: it needs a write token, this one is read-only`);
      }
    }
    return yield* call.next(call.request, context);
  };
}

/** Client middleware: sends `authorization: Bearer TOKEN` with every call (the token read again when its file changes). */
export function bearerTokenMiddleware(token: () => string): ClientMiddleware {
  return async function* bearer(call, options) {
    const metadata = Metadata(options.metadata);
    metadata.set('authorization', `Bearer ${token()}`);
    return yield* call.next(call.request, { ...options, metadata });
  };
}
