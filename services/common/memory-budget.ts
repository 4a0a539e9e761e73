// What a server may allocate for requests: a per-call and a per-process limit on the bytes that requests declare
// (shapes, matrix sizes), reserved BEFORE anything is allocated and answered RESOURCE_EXHAUSTED when over either
// limit. A call frees what it reserved as it lets go of buffers, and everything when it ends.
import { ResourceExhaustedError } from './errors.ts';
import { stateKey, type SharedState } from './shared-state.ts';

export interface MemoryBudget {
  readonly callBytes: number;
  readonly processBytes: number;
  /** Bytes reserved by all calls now. */
  readonly inUse: number;
  /** A new call's account; `end()` it in a finally. */
  call(): CallMemory;
}

export interface CallMemory {
  /** Reserves `bytes` for `what` or throws ResourceExhaustedError (nothing reserved then). */
  reserve(bytes: number, what: string): void;
  /** Gives back `bytes` reserved earlier. */
  free(bytes: number): void;
  /** Bytes this call holds now. */
  readonly reserved: number;
  /** Gives back everything this call still holds. */
  end(): void;
}

export function createMemoryBudget(limits: { callBytes: number; processBytes: number }): MemoryBudget {
  let inUse = 0;
  return {
    callBytes: limits.callBytes,
    processBytes: limits.processBytes,
    get inUse() {
      return inUse;
    },
    call() {
      let reserved = 0;
      return {
        reserve(bytes, what) {
          if (reserved + bytes > limits.callBytes) {
            throw new ResourceExhaustedError(
              `${what} needs ${bytes} bytes; with the ${reserved} this call holds that is over the per-call memory limit of ${limits.callBytes} bytes`,
            );
          }
          if (inUse + bytes > limits.processBytes) {
            throw new ResourceExhaustedError(
              `${what} needs ${bytes} bytes; the server's memory budget (${limits.processBytes} bytes) has ${Math.max(0, limits.processBytes - inUse)} left now: retry later`,
            );
          }
          reserved += bytes;
          inUse += bytes;
        },
        free(bytes) {
          const b = Math.min(bytes, reserved);
          reserved -= b;
          inUse -= b;
        },
        get reserved() {
          return reserved;
        },
        end() {
          inUse -= reserved;
          reserved = 0;
        },
      };
    },
  };
}

const KEY = stateKey<MemoryBudget>('tgsage.memory-budget');

/** The budget of this process, shared by the services running in it (made on first use). */
export function processMemoryBudget(
  shared: SharedState,
  limits: { maxCallBytes: number; memoryBudgetBytes: number },
): MemoryBudget {
  let budget = shared.get(KEY);
  if (!budget) {
    budget = createMemoryBudget({ callBytes: limits.maxCallBytes, processBytes: limits.memoryBudgetBytes });
    shared.set(KEY, budget);
  }
  return budget;
}
