// Per-invocation context shared by every command: resolved addresses, output mode, deadlines, and lazily created
// gRPC clients that are all closed by close().

import type { Command } from 'commander';
import { createChannel, createClientFactory, type Channel, type CompatServiceDefinition } from 'nice-grpc';
import { deadlineMiddleware, type DeadlineOptions } from 'nice-grpc-client-middleware-deadline';
import { retryMiddleware, type RetryOptions } from 'nice-grpc-client-middleware-retry';
import { ADDRESS_OPTIONS, type ServiceName } from './addresses.ts';
import { CliError } from './errors.ts';

export type CallOptions = DeadlineOptions & RetryOptions & { signal?: AbortSignal };

export interface CliContext {
  readonly json: boolean;
  readonly address: (service: ServiceName) => string;
  /** Deadline in ms for short calls; `undefined` = none. */
  readonly timeoutMs: number | undefined;
  /** Call options for a call: the global --timeout if set, else `defaultMs` (undefined = no deadline). */
  readonly callOptions: (defaultMs?: number) => CallOptions;
  /** A client for `definition` on `service`'s address; channels are cached per address. */
  readonly client: <D extends CompatServiceDefinition>(service: ServiceName | { address: string }, definition: D) => ReturnType<typeof makeClient<D>>;
  /** Aborted on SIGINT; pass it to long calls. */
  readonly signal: AbortSignal;
  readonly close: () => void;
}

const factory = createClientFactory().use(deadlineMiddleware).use(retryMiddleware);

function makeClient<D extends CompatServiceDefinition>(definition: D, channel: Channel) {
  return factory.create(definition, channel);
}

/** Builds the context from a command's options merged with the global ones. */
export function cliContext(command: Command, signal: AbortSignal = new AbortController().signal): CliContext {
  const opts = command.optsWithGlobals<Record<string, unknown>>();
  const timeoutSeconds = opts['timeout'] === undefined ? undefined : Number(opts['timeout']);
  if (timeoutSeconds !== undefined && !(timeoutSeconds >= 0)) throw new CliError(`--timeout: not a number of seconds: ${String(opts['timeout'])}`);
  const timeoutMs = timeoutSeconds === undefined || timeoutSeconds === 0 ? undefined : timeoutSeconds * 1000;
  const channels = new Map<string, Channel>();
  const address = (service: ServiceName): string => {
    const key = camel(ADDRESS_OPTIONS[service].flag);
    return String(opts[key]);
  };
  return {
    json: opts['json'] === true,
    address,
    timeoutMs,
    callOptions: (defaultMs) => {
      const ms = timeoutSeconds === 0 ? undefined : (timeoutMs ?? defaultMs);
      return { ...(ms === undefined ? {} : { deadline: ms }), signal };
    },
    client: (service, definition) => {
      const addr = typeof service === 'string' ? address(service) : service.address;
      let channel = channels.get(addr);
      if (channel === undefined) {
        channel = createChannel(addr);
        channels.set(addr, channel);
      }
      return makeClient(definition, channel);
    },
    signal,
    close: () => {
      for (const channel of channels.values()) channel.close();
      channels.clear();
    },
  };
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
