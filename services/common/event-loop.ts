// Long synchronous work (training steps, forward passes over a stimulus set, bootstrap resamples) awaits this between
// pieces so the process keeps answering: health checks, cancellations, other calls. Awaiting a resolved promise is
// not enough — tfjs's `data()` on the CPU and wasm backends resolves as a microtask, and microtasks run before any
// I/O — so this waits for the event loop's check phase, after pending I/O callbacks have run.
import { setImmediate } from 'node:timers/promises';

/**
 * The longest a piece of such work should hold the event loop between two yields (ms): well under the 2 s a health
 * check waits (bin/healthcheck.mjs), with room for a busy machine's scheduling delays.
 */
export const MAX_SLICE_MS = 250;

/** Resolves after the event loop has polled for I/O once. */
export function yieldToEventLoop(): Promise<void> {
  return setImmediate();
}
