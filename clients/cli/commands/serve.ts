// `tgsage serve <service>`: runs one service in this process (registry.runService) until SIGTERM / SIGINT, which
// set health NOT_SERVING, drain in-flight calls and exit.

import { Command, Option } from 'commander';
import { resolveConfig, SERVICE_NAMES, type ServiceName } from '../../../services/config.ts';
import { BACKENDS, type BackendName } from '../../../services/compute/types.ts';
import type { LogLevel } from '../../../services/common/log.ts';
import { CliError } from '../errors.ts';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/** Options shared by `serve` and `start`. */
export function addServerOptions(command: Command): Command {
  return command
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
    .option('--no-default-teacher', 'teacher cache: do not install the shipped teacher as `default` on start');
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
  defaultTeacher: boolean;
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
    .option('--trainers <addresses>', 'search-controller: trainer pool, host:port[,host:port...] or dns:///host:port (default: --trainer)');
  addServerOptions(serve);
  serve.action(async (service: string, _opts: unknown, command: Command) => {
    const name = parseServiceName(service);
    const o = command.opts<ServerOptions & { port?: number; trainers?: string }>();
    const globals = command.optsWithGlobals<Record<string, string>>();
    const config = resolveConfig({
      host: o.host,
      ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}),
      ...(o.port !== undefined ? { ports: { [name]: o.port } } : {}),
      teacherCacheAddress: globals['teacherCache'],
      scorerAddress: globals['scorer'],
      trainerAddress: o.trainers ?? globals['trainer'],
      compute: { backend: o.backend },
      logLevel: o.logLevel,
      installDefaultTeacher: o.defaultTeacher,
      trainer: { backend: o.trainBackend, maxQueue: o.maxQueue, concurrency: Math.max(1, o.concurrency) },
      ...(o.metricsPort !== undefined ? { metricsPort: o.metricsPort } : {}),
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
