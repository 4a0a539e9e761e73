// Helpers for tests that talk to real servers on 127.0.0.1:0.
import { ClientError, Status } from 'nice-grpc';
import assert from 'node:assert/strict';

/** Awaits `promise`, expecting a ClientError with `code` whose details match `details`. */
export async function expectStatus(promise: Promise<unknown>, code: Status, details?: RegExp): Promise<ClientError> {
  try {
    await promise;
  } catch (error: unknown) {
    assert.ok(error instanceof ClientError, `expected a ClientError, got ${String(error)}`);
    assert.equal(Status[error.code], Status[code], `status (details: ${error.details})`);
    if (details) assert.match(error.details, details);
    return error;
  }
  assert.fail(`expected status ${Status[code]}, but the call succeeded`);
}

/** Drains an async iterable into an array. */
export async function toArray<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
