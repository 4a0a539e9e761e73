// `tgsage serve <service> --port 0 ...` as a child process, the way users start it; resolves once it listens (its
// JSON log line "listening" on stderr), with the address. The rest of its stderr is drained (or shown when
// TGSAGE_TEST_VERBOSE is set).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServedChild {
  readonly child: ChildProcess;
  readonly address: string;
  readonly port: number;
}

/** `globalArgs` go before `serve` (addresses: --scorer, --teacher-cache, --trainer), `serveArgs` after the name. */
export async function serveChild(service: string, globalArgs: readonly string[], serveArgs: readonly string[] = []): Promise<ServedChild> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'clients/cli/main.ts', ...globalArgs, 'serve', service, '--port', '0', '--log-level', 'info', ...serveArgs],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  for await (const line of createInterface({ input: child.stderr! })) {
    if (process.env['TGSAGE_TEST_VERBOSE']) process.stderr.write(`${line}\n`);
    try {
      const rec = JSON.parse(line) as { msg?: string; address?: string };
      if (rec.msg === 'listening' && rec.address) {
        if (process.env['TGSAGE_TEST_VERBOSE']) child.stderr!.pipe(process.stderr);
        else child.stderr!.resume();
        return { child, address: rec.address, port: Number(rec.address.slice(rec.address.lastIndexOf(':') + 1)) };
      }
    } catch {
      // not a log line
    }
  }
  throw new Error(`${service} exited (${child.exitCode ?? child.signalCode}) before listening`);
}
