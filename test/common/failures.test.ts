// The failure table (services/common/failures.ts), pure: every status has one kind, what is retried, and how a
// dependency's failure crosses into the service that called it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClientError, Status } from 'nice-grpc';
import { DomainError } from '../../services/common/errors.ts';
import { DependencyError, FAILURES, failureKind, fromClientError, isRetryable } from '../../services/common/failures.ts';
import { TrainingDivergedError } from '../../services/trainer/train.ts';

test('transient failures are retried, deterministic ones are not', () => {
  const retried = Object.values(Status)
    .filter((s): s is Status => typeof s === 'number' && s !== Status.OK)
    .filter((s) => isRetryable(s))
    .map((s) => Status[s])
    .sort();
  assert.deepEqual(retried, ['ABORTED', 'CANCELLED', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE']);
  for (const s of [Status.INVALID_ARGUMENT, Status.FAILED_PRECONDITION, Status.NOT_FOUND, Status.INTERNAL, Status.UNKNOWN]) {
    assert.equal(isRetryable(s), false, Status[s]);
  }
  assert.equal(failureKind(Status.UNKNOWN), 'internal');
  assert.equal(failureKind(Status.DATA_LOSS), 'internal');
  assert.equal(failureKind(Status.FAILED_PRECONDITION), 'failed-precondition');
});

test('a diverged training is its own kind, FAILED_PRECONDITION, never retried, and says "diverged"', () => {
  const e = new TrainingDivergedError(12, Number.NaN);
  assert.ok(e instanceof DomainError);
  assert.equal(Status[e.code], FAILURES.diverged.status);
  assert.equal(FAILURES.diverged.retry, false);
  assert.match(e.message, /^training diverged at step 12 \(loss NaN\)/);
});

test('fromClientError: answers about the request keep their status, failures of the dependency become UNAVAILABLE', () => {
  const path = '/tgsage.v1.Scorer/ScoreActivations';
  for (const [status, code, message] of [
    [Status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', 'scorer at h:1: chunk.data: row 3 is constant'],
    [Status.NOT_FOUND, 'NOT_FOUND', 'scorer at h:1: chunk.data: row 3 is constant'],
    [Status.FAILED_PRECONDITION, 'FAILED_PRECONDITION', 'scorer at h:1: chunk.data: row 3 is constant'],
    [Status.RESOURCE_EXHAUSTED, 'RESOURCE_EXHAUSTED', 'scorer at h:1: chunk.data: row 3 is constant'],
    [Status.UNAVAILABLE, 'UNAVAILABLE', 'scorer at h:1 failed: UNAVAILABLE: chunk.data: row 3 is constant'],
    [Status.INTERNAL, 'UNAVAILABLE', 'scorer at h:1 failed: INTERNAL: chunk.data: row 3 is constant'],
    [Status.DEADLINE_EXCEEDED, 'UNAVAILABLE', 'scorer at h:1 failed: DEADLINE_EXCEEDED: chunk.data: row 3 is constant'],
  ] as const) {
    const e = fromClientError(new ClientError(path, status, 'chunk.data: row 3 is constant'), 'scorer at h:1');
    assert.ok(e instanceof DependencyError);
    assert.equal(e.code, code, Status[status]);
    assert.equal(e.message, message);
    assert.equal(e.dependency, 'scorer at h:1');
  }
  const other = new Error('not a call');
  assert.equal(fromClientError(other, 'x'), other);
});
