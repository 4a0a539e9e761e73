// Wraps a command's action: builds the CliContext (addresses, clients, --json, --timeout), hands it the command's
// options and positional arguments, and closes every channel afterwards. Errors propagate to main(), which prints
// them and exits 1. SIGINT aborts the context's signal, so uploads stop cleanly.

import type { Command } from 'commander';
import { cliContext, type CliContext } from './context.ts';

export type Action<O> = (ctx: CliContext, opts: O, ...args: string[]) => Promise<void>;

export function action<O = Record<string, unknown>>(fn: Action<O>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    const positional = args.slice(0, command.registeredArguments.length).map((a) => (a === undefined ? '' : String(a)));
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    const ctx = cliContext(command, abort.signal);
    try {
      await fn(ctx, command.opts() as O, ...positional);
    } finally {
      process.off('SIGINT', onSigint);
      ctx.close();
    }
  };
}
