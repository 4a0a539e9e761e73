// Admission control: at most `concurrency` trainings at once per process; further requests wait in a bounded FIFO
// queue, or are refused at once (RESOURCE_EXHAUSTED) when the queue is full or queueing is off.
import { ResourceExhaustedError } from '../common/errors.ts';

export interface SlotsConfig {
  /** Trainings at once (default 1). */
  readonly concurrency: number;
  /** Requests that may wait; 0 = refuse when busy. */
  readonly maxQueue: number;
}

export interface Slots {
  /** Waits for a slot (rejecting with the signal's reason on abort); returns its release function. */
  acquire(signal?: AbortSignal, onQueued?: (position: number) => void): Promise<() => void>;
  readonly running: number;
  readonly queued: number;
}

export function createSlots(config: SlotsConfig = { concurrency: 1, maxQueue: 8 }): Slots {
  let running = 0;
  const waiters: Array<{ grant: () => void }> = [];

  const release = (): void => {
    running--;
    const next = waiters.shift();
    if (next) next.grant();
  };
  const once = (): (() => void) => {
    let done = false;
    return () => {
      if (!done) {
        done = true;
        release();
      }
    };
  };

  return {
    get running() {
      return running;
    },
    get queued() {
      return waiters.length;
    },
    acquire(signal, onQueued) {
      signal?.throwIfAborted();
      if (running < config.concurrency) {
        running++;
        return Promise.resolve(once());
      }
      if (waiters.length >= config.maxQueue) {
        return Promise.reject(
          new ResourceExhaustedError(
            config.maxQueue === 0
              ? `trainer busy: ${running} training(s) running and queueing is off`
              : `trainer queue full: ${running} running, ${waiters.length} waiting (max ${config.maxQueue})`,
          ),
        );
      }
      return new Promise((resolve, reject) => {
        const waiter = {
          grant: () => {
            signal?.removeEventListener('abort', onAbort);
            running++;
            resolve(once());
          },
        };
        const onAbort = (): void => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.push(waiter);
        onQueued?.(waiters.length);
      });
    },
  };
}
