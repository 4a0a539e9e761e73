// Prometheus metrics: a registry per server (no global default registry), a middleware that counts calls and
// errors by method and status code and times them, and an HTTP /metrics endpoint.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Status, ServerError } from 'nice-grpc';
import type { CallContext, ServerMiddleware, ServerMiddlewareCall } from 'nice-grpc-common';
import { isAbortError } from 'abort-controller-x';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ServerMetrics {
  readonly registry: Registry;
  readonly middleware: ServerMiddleware;
}

function statusName(error: unknown): string {
  if (error instanceof ServerError) return Status[error.code] ?? String(error.code);
  if (isAbortError(error)) return 'CANCELLED';
  return 'UNKNOWN';
}

export function createServerMetrics(options: { service: string; defaultMetrics?: boolean }): ServerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const calls = new Counter({
    name: 'tgsage_grpc_calls_total',
    help: 'gRPC calls handled, by method and status code.',
    labelNames: ['method', 'code'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'tgsage_grpc_errors_total',
    help: 'gRPC calls that ended with a status other than OK, by method and status code.',
    labelNames: ['method', 'code'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'tgsage_grpc_call_duration_seconds',
    help: 'Duration of gRPC calls (streams: until the last message), by method and status code.',
    labelNames: ['method', 'code'],
    buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10, 60, 300],
    registers: [registry],
  });
  async function* middleware<Request, Response>(call: ServerMiddlewareCall<Request, Response>, context: CallContext) {
    const start = performance.now();
    let code = 'OK';
    try {
      return yield* call.next(call.request, context);
    } catch (error: unknown) {
      code = statusName(error);
      throw error;
    } finally {
      const labels = { method: call.method.path, code };
      calls.inc(labels);
      if (code !== 'OK') errors.inc(labels);
      seconds.observe(labels, (performance.now() - start) / 1000);
    }
  }
  return { registry, middleware };
}

export interface MetricsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `registry` on http://host:port/metrics (port 0 = any free port). */
export async function serveMetrics(registry: Registry, host: string, port: number): Promise<MetricsEndpoint> {
  const server: HttpServer = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
