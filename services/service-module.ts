// What a service's wiring (services/<name>/main.ts) gets and returns: the types every main.ts and the registry share.
// Types only, so that main.ts files depend on this and the registry depends on them, never back.
import type { ServiceEntry } from './common/server.ts';
import type { Logger } from './common/log.ts';
import type { SharedState } from './common/shared-state.ts';
import type { Compute } from './compute/types.ts';
import type { TgsageConfig } from './config.ts';

/** What a factory gets. */
export interface ServiceDeps {
  readonly config: TgsageConfig;
  readonly logger: Logger;
  /** The compute layer, created once per process on first use. */
  compute(): Promise<Compute>;
  /** Aborted when the process shuts down; pass it to long waits. */
  readonly shutdownSignal: AbortSignal;
  /** State shared by services running in the same process (e.g. the teacher store), under typed keys. */
  readonly shared: SharedState;
}

/** What a factory returns: the gRPC services, and what to release after the server stopped. */
export interface ServiceModule {
  readonly services: ServiceEntry[];
  /** Whether Info should report the compute backend. */
  readonly usesCompute?: boolean;
  /** What Info reports for a service that computes on its own backend (the trainer's tfjs) instead. */
  readonly computeInfo?: { readonly backend: string; readonly details: string };
  close?(): Promise<void>;
}

/** Each service's main.ts exports one: `create<Name>Module`. */
export type ServiceFactory = (deps: ServiceDeps) => Promise<ServiceModule>;
