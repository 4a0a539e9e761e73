// `tgsage serve <service>`: runs one service in this process (registry.runService) until SIGTERM / SIGINT, which
// set health NOT_SERVING, drain in-flight calls and exit.

import { Command, Option } from 'commander';
import { resolveConfig, SERVICE_NAMES, type ServiceName } from '../../../services/config.ts';
import { BACKENDS, type BackendName } from '../../../services/compute/types.ts';
import type { LogLevel } from '../../../services/common/log.ts';
import { CliError } from '../errors.ts';
import { addServingSecurityOptions, securityOf } from '../security.ts';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Options shared by `serve` and `start`. */
export function addServerOptions(command: Command): Command {
  command
    .option('--host <host>', 'interface to bind (0.0.0.0 for all)', '127.0.0.1')
    .option('--data-dir <dir>', 'data directory (default: env TGSAGE_DATA_DIR, else ./data)')
    .addOption(new Option('--backend <name>', 'compute backend').choices(BACKENDS).default('auto'))
    .option('--metrics-port <port>', 'serve Prometheus metrics at http://HOST:PORT/metrics (0 = off)', parsePort)
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--train-backend <name>', 'trainer: tfjs backend to train on').choices(['wasm', 'cpu', 'webgpu', 'tensorflow']).default('wasm'),
    )
    .option('--max-queue <n>', 'trainer: requests that may wait while one trains (0 = RESOURCE_EXHAUSTED when busy)', parseCount, 8)
    .option('--concurrency <n>', 'trainer: trainings at once', parseCount, 1)
    .option('--max-checkpoint-mib <n>', 'trainer, search-controller: largest training checkpoint sent, accepted or kept', parseCount, 64)
    .option('--max-checkpoint-store-mib <n>', 'search-controller: all successive-halving checkpoints kept at once', parseCount, 1024)
    .option('--no-default-teacher', 'teacher cache: do not install the shipped teachers (`default`, `fashion`) on start')
    .option('--max-call-bytes <bytes>', 'most bytes one call may make a server allocate (layers, RDMs; default 2 GiB)', parseCount)
    .option('--memory-budget <bytes>', 'most bytes all calls of a process may hold together (default 6 GiB)', parseCount)
    .option('--keepalive-ms <ms>', 'interval of keepalive pings to clients (default 60000)', parseCount)
    .option('--max-concurrent-streams <n>', 'most concurrent calls per HTTP/2 connection (default 100)', parseCount)
    .option('--stream-idle-timeout-ms <ms>', 'end a client stream that sends nothing this long (0 = never; default 120000)', parseCount);
  return addServingSecurityOptions(command, parsePort);
}

/** The limits and transport settings of `addServerOptions`, as config overrides. */
export function serverOverrides(o: ServerOptions) {
  return {
    limits: { maxCallBytes: o.maxCallBytes, memoryBudgetBytes: o.memoryBudget },
    transport: {
      keepaliveTimeMs: o.keepaliveMs,
      maxConcurrentStreams: o.maxConcurrentStreams,
      streamIdleTimeoutMs: o.streamIdleTimeoutMs,
    },
  };
}

/** The same flags for a child `tgsage serve` (used by `start`). */
export function serverFlagArgs(o: ServerOptions): string[] {
  const flags: Array<[string, number | undefined]> = [
    ['--max-call-bytes', o.maxCallBytes],
    ['--memory-budget', o.memoryBudget],
    ['--keepalive-ms', o.keepaliveMs],
    ['--max-concurrent-streams', o.maxConcurrentStreams],
    ['--stream-idle-timeout-ms', o.streamIdleTimeoutMs],
  ];
  return flags.flatMap(([flag, v]) => (v === undefined ? [] : [flag, String(v)]));
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`not a non-negative integer: '${value}'`);
  return n;
}

export interface ServerOptions {
  host: string;
  dataDir?: string;
  backend: BackendName;
  metricsPort?: number;
  logLevel: LogLevel;
  trainBackend: 'wasm' | 'cpu' | 'webgpu' | 'tensorflow';
  maxQueue: number;
  concurrency: number;
  maxCheckpointMib: number;
  maxCheckpointStoreMib: number;
  defaultTeacher: boolean;
  maxCallBytes?: number;
  memoryBudget?: number;
  keepaliveMs?: number;
  maxConcurrentStreams?: number;
  streamIdleTimeoutMs?: number;
}

export function parsePositiveSeconds(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliError(`not a positive number of seconds: '${value}'`);
  return n;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`not a port number: '${value}'`);
  return n;
}

export function parseServiceName(value: string): ServiceName {
  if (!(SERVICE_NAMES as readonly string[]).includes(value)) {
    throw new CliError(`unknown service '${value}' (one of ${SERVICE_NAMES.join(', ')})`);
  }
  return value as ServiceName;
}

export function serveCommand(): Command {
  const serve = new Command('serve')
    .description('run one service in this process (Ctrl-C or SIGTERM: stop serving, drain, exit)')
    .argument('<service>', `one of ${SERVICE_NAMES.join(', ')}`)
    .option('--port <port>', "port to listen on (default: the service's own; 0 = any free port)", parsePort)
    .option('--trainers <addresses>', 'search-controller: trainer pool, host:port[,host:port...] and/or dns:///host:port (default: --trainer)')
    .option('--resolve-interval <seconds>', 'search-controller: re-resolve dns:/// trainer names this often', parsePositiveSeconds, 5);
  addServerOptions(serve);
  serve.action(async (service: string, _opts: unknown, command: Command) => {
    const name = parseServiceName(service);
    const o = command.opts<ServerOptions & { port?: number; trainers?: string; resolveInterval: number }>();
    const globals = command.optsWithGlobals<Record<string, string>>();
    const config = resolveConfig({
      host: o.host,
      ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
      ...(o.port !== undefined ? { ports: { [name]: o.port } } : {}),
      teacherCacheAddress: globals['teacherCache'],
      scorerAddress: globals['scorer'],
      trainerAddress: o.trainers ?? globals['trainer'],
      trainerResolveIntervalMs: o.resolveInterval * 1000,
      security: securityOf(globals),
      compute: { backend: o.backend },
      logLevel: o.logLevel,
      installDefaultTeacher: o.defaultTeacher,
      trainer: {
        backend: o.trainBackend,
        maxQueue: o.maxQueue,
        concurrency: Math.max(1, o.concurrency),
        maxCheckpointBytes: o.maxCheckpointMib * 1024 ** 2,
      },
      maxCheckpointStoreBytes: o.maxCheckpointStoreMib * 1024 ** 2,
      ...(o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {}),
      ...serverOverrides(o),
    });
    // Imported here, not at the top: the registry pulls in the whole server stack, which other commands do not need.
    const { runService } = await import('../../../services/registry.ts');
    const running = await runService(name, config);
    if (process.env['TGSAGE_STOP_ON_STDIN_EOF'] === '1') {
      // Started by `tgsage start`: if that supervisor dies (even by SIGKILL) our stdin pipe closes; stop gracefully.
      process.stdin.on('end', () => void running.close().then(() => process.exit(0), () => process.exit(1)));
      process.stdin.resume();
    }
  });
  return serve;
}
