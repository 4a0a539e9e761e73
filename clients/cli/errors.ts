// How the CLI reports failures: gRPC errors as `error: <CODE>: <message>`, our own as `error: <message>`; exit 1.

import { ClientError, Status } from 'nice-grpc';

/** A failure the CLI explains itself (bad flag value, unreadable file). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export function describeError(error: unknown): string {
  if (error instanceof ClientError) return `error: ${Status[error.code]}: ${error.details.replace(/\s*Resolution note:\s*$/, '')}`;
  if (error instanceof Error && error.name === 'AbortError') return 'error: CANCELLED: interrupted';
  if (error instanceof Error) {
    // Our own errors and file errors carry messages written for people; anything else gets its name too.
    const known = ['CliError', 'NpyError', 'TableError'].includes(error.name) || 'code' in error;
    return known ? `error: ${error.message}` : `error: ${error.name}: ${error.message}`;
  }
  return `error: ${String(error)}`;
}
