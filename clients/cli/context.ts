// Per-invocation context shared by every command: resolved addresses, output mode, deadlines, and the typed clients
// of clients/ts (created on first use, all closed by close()).

import type { Command } from 'commander';
import { createTgsageClients, type ServiceKey, type TgsageClients } from '../ts/index.ts';
import { ADDRESS_OPTIONS, type ServiceName } from './addresses.ts';
import { CliError } from './errors.ts';
import { securityOf } from './security.ts';
import type { Security } from '../../services/common/security.ts';

export interface CallOptions {
  deadline?: number;
  signal?: AbortSignal;
}

export interface CliContext {
  readonly json: boolean;
  readonly address: (service: ServiceName) => string;
  /** The global --timeout in ms; undefined when not given or 0. */
  readonly timeoutMs: number | undefined;
  /**
   * Options for a streaming call (uploads, scoring, progress streams): the SIGINT signal, and the --timeout
   * deadline if one was given (streams have none by default). Unary calls get 30 s, or --timeout, from the clients.
   */
  readonly callOptions: () => CallOptions;
  /** TLS files and token (global flags / TGSAGE_* variables), and the serving ones of `serve` / `start`. */
  readonly security: Security;
  /** Typed clients for the configured addresses (clients/ts). */
  readonly clients: TgsageClients;
  /** Aborted on SIGINT; pass it to long calls. */
  readonly signal: AbortSignal;
  readonly close: () => void;
}

export const SERVICE_KEYS: Record<ServiceName, ServiceKey> = {
  'teacher-cache': 'teacherCache',
  scorer: 'scorer',
  trainer: 'trainer',
  'search-controller': 'controller',
};

/** Builds the context from a command's options merged with the global ones. */
export function cliContext(command: Command, signal: AbortSignal = new AbortController().signal): CliContext {
  const opts = command.optsWithGlobals<Record<string, unknown>>();
  const raw = opts['timeout'];
  const seconds = raw === undefined ? undefined : Number(raw);
  if (seconds !== undefined && !(seconds >= 0)) throw new CliError(`--timeout: not a number of seconds: ${String(raw)}`);
  const timeoutMs = seconds === undefined || seconds === 0 ? undefined : seconds * 1000;
  const address = (service: ServiceName): string => String(opts[camel(ADDRESS_OPTIONS[service].flag)]);
  let clients: TgsageClients | undefined;
  const security = securityOf(opts);
  return {
    security,
    json: opts['json'] === true,
    address,
    timeoutMs,
    callOptions: () => ({ ...(timeoutMs === undefined ? {} : { deadline: timeoutMs }), signal }),
    get clients() {
      clients ??= createTgsageClients(
        {
          teacherCache: address('teacher-cache'),
          scorer: address('scorer'),
          trainer: address('trainer'),
          controller: address('search-controller'),
        },
        { deadlineMs: seconds === undefined ? 30_000 : (timeoutMs ?? 0), security },
      );
      return clients;
    },
    signal,
    close: () => {
      clients?.close();
      clients = undefined;
    },
  };
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
