// `tgsage start` (what `npm start` runs): every service in the registry as its own child process
// (`tgsage serve <name>`), each on its own port; waits until each reports gRPC health SERVING, prints where they
// are and on which compute backend; forwards SIGINT / SIGTERM to the children (a second signal kills them) and
// exits when they have exited. A child that dies is reported.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import type { ServiceName } from '../../../services/config.ts';
import { action } from '../action.ts';
import { createTgsageClients, type HealthClient } from '../../ts/index.ts';
import { SERVICE_KEYS, type CliContext } from '../context.ts';
import { CliError, describeError } from '../errors.ts';
import { table } from '../format.ts';
import { printJson, printText } from '../output.ts';
import { addServerOptions, parseServiceName, serverFlagArgs, type ServerOptions } from './serve.ts';
import { securityArgs, servingSecurityArgs } from '../security.ts';

interface StartOptions extends ServerOptions {
  services?: string;
  readyTimeout: string;
}

interface Child {
  readonly name: ServiceName;
  readonly port: number;
  /** Address clients (and the other services) use. */
  readonly address: string;
  readonly process: ChildProcess;
  exited?: { code: number | null; signal: NodeJS.Signals | null };
}

/** grpc.health.v1.HealthCheckResponse.ServingStatus values. */
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
const SERVING = 1;

// Each child runs through the `tgsage` launcher: tsx, and the precompiled sources where an image build made them.
const LAUNCHER = fileURLToPath(new URL('../../../bin/tgsage.mjs', import.meta.url));

export function startCommand(): Command {
  const start = new Command('start')
    .description('start every available service, each as its own process on its own port (global address flags set the ports)')
    .option('--services <names>', 'comma-separated subset to start (default: all available)')
    .option('--ready-timeout <seconds>', 'how long to wait for each service to become SERVING', '120');
  addServerOptions(start);
  start.action(action<StartOptions>(async (ctx, o) => startAll(ctx, o)));
  return start;
}

async function startAll(ctx: CliContext, o: StartOptions): Promise<void> {
  const { registeredServices } = await import('../../../services/registry.ts');
  const available = registeredServices();
  const names = o.services === undefined ? available : o.services.split(',').map((s) => parseServiceName(s.trim()));
  for (const n of names) if (!available.includes(n)) throw new CliError(`service '${n}' is not available yet (available: ${available.join(', ')})`);
  const readyMs = Number(o.readyTimeout) * 1000;
  if (!(readyMs > 0)) throw new CliError(`--ready-timeout: not a number of seconds: ${o.readyTimeout}`);

  const connectHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
  const port = (n: ServiceName) => Number(ctx.address(n).split(':').pop());
  const addressOf = (n: ServiceName) => `${connectHost}:${port(n)}`;
  const security = ctx.security;

  const children: Child[] = names.map((name, i) => {
    const args = [
      LAUNCHER,
      '--teacher-cache', addressOf('teacher-cache'),
      '--scorer', addressOf('scorer'),
      '--trainer', addressOf('trainer'),
      '--controller', addressOf('search-controller'),
      'serve', name,
      '--host', o.host,
      '--port', String(port(name)),
      '--backend', o.backend,
      '--log-level', o.logLevel,
      '--train-backend', o.trainBackend,
      '--max-queue', String(o.maxQueue),
      '--concurrency', String(o.concurrency),
      '--max-checkpoint-mib', String(o.maxCheckpointMib),
      '--max-checkpoint-store-mib', String(o.maxCheckpointStoreMib),
      ...(o.defaultTeacher ? [] : ['--no-default-teacher']),
      ...(o.dataDir !== undefined ? ['--data-dir', o.dataDir] : []),
      ...(o.metricsPort ? ['--metrics-port', String(o.metricsPort + i)] : []),
      ...serverFlagArgs(o),
      ...securityArgs(security),
      ...servingSecurityArgs(security, security.healthPort === undefined ? undefined : security.healthPort + i),
    ];
    const child = spawn(process.execPath, args, {
      stdio: ['pipe', 'inherit', 'inherit'],
      // Own process group: a terminal's Ctrl-C reaches only us, and we forward it once (a second SIGINT straight
      // to a child would skip its graceful drain).
      detached: true,
      env: { ...process.env, TGSAGE_STOP_ON_STDIN_EOF: '1' },
    });
    return { name, port: port(name), address: addressOf(name), process: child };
  });

  // Clients for the children's addresses (the connect host may differ from the global flags when binding 0.0.0.0).
  const probe = createTgsageClients(
    {
      teacherCache: addressOf('teacher-cache'),
      scorer: addressOf('scorer'),
      trainer: addressOf('trainer'),
      controller: addressOf('search-controller'),
    },
    { deadlineMs: 5000, retryMaxAttempts: 1, security },
  );

  let stopping = false;
  let failed = false;
  const allExited = Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.process.on('exit', (code, signal) => {
            c.exited = { code, signal };
            const clean = code === 0 || (stopping && (signal === 'SIGTERM' || signal === 'SIGINT'));
            if (!clean) {
              failed = true;
              process.stderr.write(`tgsage start: ${c.name} (pid ${c.process.pid}) exited ${signal ? `on ${signal}` : `with code ${code}`}\n`);
            }
            resolve();
          });
          c.process.on('error', (error) => {
            failed = true;
            process.stderr.write(`tgsage start: cannot start ${c.name}: ${error.message}\n`);
            resolve();
          });
        }),
    ),
  );

  // The first signal stops the children gracefully; another one more than a second later kills them. (A terminal's
  // Ctrl-C can reach us twice at once, e.g. directly and relayed by `npm start`'s tsx wrapper.)
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstSignalAt !== 0 && now - firstSignalAt < 1000) return;
    const kill = firstSignalAt !== 0;
    firstSignalAt ||= now;
    stopping = true;
    for (const c of children) if (c.exited === undefined) c.process.kill(kill ? 'SIGKILL' : signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const ready = await Promise.all(children.map((c) => waitServing(probe.health(SERVICE_KEYS[c.name]), c, readyMs)));
    if (ready.every((r) => r) && !stopping) {
      const infos = await Promise.all(
        children.map((c) =>
          probe.info(SERVICE_KEYS[c.name]).getInfo({}).catch(() => undefined),
        ),
      );
      const rows = children.map((c, i) => ({
        service: c.name,
        address: c.address,
        pid: c.process.pid ?? 0,
        backend: infos[i]?.computeBackend || '-',
        details: infos[i]?.computeDetails ?? '',
      }));
      if (ctx.json) printJson({ services: rows });
      else {
        printText(table(['service', 'address', 'pid', 'backend', 'details'], rows.map((r) => [r.service, r.address, String(r.pid), r.backend, r.details.length > 72 ? `${r.details.slice(0, 71)}…` : r.details])));
        printText('ready; Ctrl-C stops every service');
      }
    } else if (!stopping) {
      failed = true;
      process.stderr.write('tgsage start: not every service became ready; stopping the others\n');
      onSignal('SIGTERM');
    }
    probe.close();
    await allExited;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (failed) process.exitCode = 1;
}

/** Polls grpc.health.v1 until SERVING; false if the child exited or the time ran out. */
async function waitServing(health: HealthClient<{ deadline?: number }>, child: Child, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until && child.exited === undefined) {
    try {
      const r = await health.check({ service: '' }, { deadline: 1000 });
      if (r.status === SERVING) return true;
      last = SERVING_STATUS[r.status] ?? String(r.status);
    } catch (error) {
      last = describeError(error).replace(/^error: /, '');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (child.exited === undefined) process.stderr.write(`tgsage start: ${child.name} not SERVING after ${timeoutMs / 1000} s (${last})\n`);
  return false;
}
