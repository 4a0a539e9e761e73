// Builds a tgsage gRPC server (no listening): the given services plus gRPC health, server reflection and
// tgsage.v1.Info, behind the middleware chain metrics -> call log -> [token check] -> terminator -> errors -> input
// guard. `listen` binds it (TLS when configured, and a plaintext health-only port when asked), `shutdown` drains it
// (the registry wires SIGTERM / SIGINT to it).
import { readFileSync } from 'node:fs';
import { createServer, type CompatServiceDefinition, type ServiceImplementation } from 'nice-grpc';
import { HealthDefinition, HealthServiceImpl, HealthState } from 'nice-grpc-server-health';
import { ServerReflection, ServerReflectionService } from 'nice-grpc-server-reflection';
import { InfoDefinition, type InfoServiceImplementation } from '../../gen/tgsage/v1/info.ts';
import { callLogMiddleware } from './call-log.ts';
import { errorMiddleware } from './error-middleware.ts';
import { withFastCodecs } from './fast-codec.ts';
import { withHealthDescriptor } from './health-descriptor.ts';
import { inputGuardMiddleware, requestSchemas, withSafeDecoding } from './input-guard.ts';
import { withLargeHttp2Windows } from './http2-window.ts';
import { keepaliveServerOptions } from './keepalive.ts';
import { defaultConfig, type TransportConfig } from '../config.ts';
import type { Logger } from './log.ts';
import { createServerMetrics, serveMetrics, type MetricsEndpoint, type ServerMetrics } from './metrics.ts';
import { checkServerSecurity, exposureWarning, serverAuth, type Security } from './security.ts';
import { terminatorMiddleware } from './terminator.ts';
import { serverCredentials } from './tls.ts';
import { tgsageVersion } from './version.ts';


/** A service definition with its implementation. Make one with `serviceEntry` so the pair is type-checked. */
export interface ServiceEntry {
  readonly definition: CompatServiceDefinition & { readonly fullName: string };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly implementation: any;
}

export function serviceEntry<D extends CompatServiceDefinition & { readonly fullName: string }>(
  definition: D,
  implementation: ServiceImplementation<D>,
): ServiceEntry {
  return { definition, implementation };
}

export interface ComputeInfo {
  readonly backend: string;
  readonly details: string;
}

export interface BuildServerOptions {
  /** Process / service name for logs and metrics, e.g. "teacher-cache". */
  name: string;
  services: ServiceEntry[];
  logger: Logger;
  /** Compute backend reported by Info (omit for services that compute nothing). */
  compute?: ComputeInfo;
  /** Port of the HTTP /metrics endpoint; 0 or undefined = no endpoint. */
  metricsPort?: number;
  /** How long shutdown waits for in-flight calls before cancelling them (default 10 s). */
  drainTimeoutMs?: number;
  /** Aborted when shutdown starts; services pass it to long waits. Default: a new one. */
  shutdownController?: AbortController;
  /** Protobuf-encoded FileDescriptorSet for reflection (default gen/descriptor.binpb). */
  descriptorSet?: Uint8Array;
  /** Collect process metrics (default true). */
  defaultMetrics?: boolean;
  /** Keepalive, streams per connection, idle client streams (defaults: services/config.ts). */
  transport?: Partial<TransportConfig>;
  /** TLS, token table and health port (default: none of them — plaintext, no tokens). */
  security?: Security;
}

export interface TgsageServer {
  readonly name: string;
  /** Full names of every service served (tgsage services, Info, health, reflection). */
  readonly serviceNames: readonly string[];
  readonly health: HealthState;
  readonly metrics: ServerMetrics;
  /** Aborted when shutdown starts. */
  readonly shutdownSignal: AbortSignal;
  /** Binds host:port (port 0 = any free port) and starts the metrics endpoint; returns the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Port of the /metrics endpoint, if one runs. */
  metricsPort(): number | undefined;
  /** Port of the plaintext health-only endpoint, if one runs. */
  healthPort(): number | undefined;
  /** Graceful: health NOT_SERVING, stop accepting, drain in-flight calls up to the timeout, then cancel them. */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
}

/** gen/descriptor.binpb (tgsage's protos) plus grpc.health.v1. */
export function defaultDescriptorSet(): Uint8Array {
  return withHealthDescriptor(readFileSync(new URL('../../gen/descriptor.binpb', import.meta.url)));
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function buildServer(options: BuildServerOptions): TgsageServer {
  const { name, logger } = options;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const shutdownController = options.shutdownController ?? new AbortController();
  const metrics = createServerMetrics({ service: name, defaultMetrics: options.defaultMetrics });
  const health = HealthState();
  const startedAt = performance.now();

  const tgsageNames = options.services.map((s) => s.definition.fullName);
  const infoNames = [...tgsageNames, InfoDefinition.fullName];
  const serviceNames = [...infoNames, HealthDefinition.fullName, 'grpc.reflection.v1.ServerReflection'];

  const info: InfoServiceImplementation = {
    async getInfo() {
      return {
        services: infoNames,
        version: tgsageVersion(),
        computeBackend: options.compute?.backend ?? '',
        computeDetails: options.compute?.details ?? '',
        runtime: `node ${process.version}`,
        pid: process.pid,
        uptimeSeconds: (performance.now() - startedAt) / 1000,
      };
    },
  };

  const descriptorSet = options.descriptorSet ?? defaultDescriptorSet();
  const transport = { ...defaultConfig().transport, ...options.transport };
  checkServerSecurity(options.security);
  const auth = serverAuth(options.security, (message) => logger.warn(message));
  const logged = createServer({
    'grpc.max_receive_message_length': 4 * 1024 * 1024 + 1024,
    'grpc.keepalive_time_ms': transport.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': transport.keepaliveTimeoutMs,
    ...keepaliveServerOptions(transport.minClientPingIntervalMs),
    'grpc.max_concurrent_streams': transport.maxConcurrentStreams,
  })
    .use(metrics.middleware)
    .use(callLogMiddleware(logger));
  const server = (auth ? logged.use(auth) : logged)
    .use(terminatorMiddleware(shutdownController.signal))
    .use(errorMiddleware(logger))
    .use(inputGuardMiddleware(requestSchemas(descriptorSet), { streamIdleTimeoutMs: transport.streamIdleTimeoutMs }));
  // probes: grpc.health.v1 alone, plaintext, no tokens (kubelet's gRPC probes speak no TLS)
  const healthServer = options.security?.healthPort !== undefined ? createServer() : undefined;
  healthServer?.add(HealthDefinition, HealthServiceImpl(health));
  let boundHealthPort: number | undefined;
  for (const s of options.services) {
    const definition = 'methods' in s.definition ? withFastCodecs(s.definition as never) : s.definition;
    server.add(withSafeDecoding(definition), s.implementation);
  }
  server.add(withSafeDecoding(InfoDefinition), info);
  server.add(withSafeDecoding(HealthDefinition), HealthServiceImpl(health));
  server.add(
    withSafeDecoding(ServerReflectionService),
    ServerReflection(descriptorSet, [...infoNames, HealthDefinition.fullName]),
  );

  let endpoint: MetricsEndpoint | undefined;
  let listening = false;
  let shuttingDown: Promise<void> | undefined;

  const setAll = (status: 'healthy' | 'unhealthy') => {
    health.setStatus(status);
    for (const n of infoNames) health.setStatus(status, n);
  };

  async function drain(timeoutMs: number): Promise<void> {
    setAll('unhealthy');
    shutdownController.abort();
    logger.info('shutting down', { drainTimeoutMs: timeoutMs });
    if (listening) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([server.shutdown().then(() => 'drained' as const), timedOut]);
      healthServer?.forceShutdown();
      clearTimeout(timer);
      if (outcome === 'timeout') {
        logger.warn('drain timed out; cancelling in-flight calls', { drainTimeoutMs: timeoutMs });
        server.forceShutdown();
      }
    }
    await endpoint?.close();
    endpoint = undefined;
    logger.info('stopped');
  }

  const api: TgsageServer = {
    name,
    serviceNames,
    health,
    metrics,
    shutdownSignal: shutdownController.signal,
    async listen(host, port) {
      const credentials = serverCredentials(options.security?.tls);
      const bound = await withLargeHttp2Windows(() => server.listen(hostPort(host, port), credentials));
      if (healthServer) boundHealthPort = await healthServer.listen(hostPort(host, options.security!.healthPort!));
      const warning = exposureWarning(host, options.security);
      if (warning) logger.warn(warning);
      listening = true;
      setAll('healthy');
      if (options.metricsPort) {
        endpoint = await serveMetrics(metrics.registry, host, options.metricsPort);
      }
      return bound;
    },
    metricsPort: () => endpoint?.port,
    healthPort: () => boundHealthPort,
    shutdown(opts) {
      shuttingDown ??= drain(opts?.timeoutMs ?? drainTimeoutMs);
      return shuttingDown;
    },
  };
  return api;
}
