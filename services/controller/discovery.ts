// Trainer discovery: which trainer addresses the pool should have. `--trainers` is a list of targets; a plain
// `host:port` is one trainer, and `dns:///NAME:PORT` (e.g. a Kubernetes headless Service) is every address NAME
// resolves to — resolved by the controller itself, again every `intervalMs`, so that a scale-up is seen within one
// re-resolution and a scale-down lets the pool retire the members that left. The resolve function is injected
// (tests answer with loopback addresses of their choosing); the default asks the system resolver (getaddrinfo, so
// search domains such as Kubernetes' apply).
import { lookup } from 'node:dns/promises';

/** Every address (IPv4 / IPv6 literal) a host name resolves to. */
export type ResolveFn = (host: string, signal: AbortSignal) => Promise<string[]>;

export const systemResolve: ResolveFn = async (host) => {
  const answers = await lookup(host, { all: true, verbatim: true });
  return answers.map((a) => a.address);
};

/** A trainer the pool should have: its address, and the name its TLS certificate is checked against. */
export interface TrainerEndpoint {
  /** host:port (IPv6 hosts in brackets). */
  address: string;
  /** For a resolved DNS target, the name that was resolved (its certificate carries that name, not the pod IP). */
  serverName?: string;
}

export type TrainerTarget =
  | { kind: 'fixed'; address: string }
  | { kind: 'dns'; host: string; port: number };

/** Parses `--trainers` entries: `host:port` or `dns:///host:port` (also `dns:host:port`). Throws naming the entry. */
export function parseTrainerTargets(targets: readonly string[]): TrainerTarget[] {
  if (targets.length === 0) throw new Error('--trainers: no trainer address');
  return targets.map((t) => {
    if (!t.startsWith('dns:')) {
      if (!/^(\[[0-9a-fA-F:.]+\]|[^:\s/]+):\d{1,5}$/.test(t)) throw new Error(`--trainers: not host:port: ${JSON.stringify(t)}`);
      return { kind: 'fixed', address: t };
    }
    const rest = t.replace(/^dns:(\/\/[^/]*\/)?/, '');
    const m = /^([^:\s/]+):(\d{1,5})$/.exec(rest);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !(port > 0 && port < 65536)) throw new Error(`--trainers: not dns:///host:port: ${JSON.stringify(t)}`);
    return { kind: 'dns', host: m[1]!, port };
  });
}

export const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** Resolves every target once; a DNS target that fails to resolve is reported in `errors`, not dropped silently. */
export async function resolveTargets(
  targets: readonly TrainerTarget[],
  resolve: ResolveFn,
  signal: AbortSignal,
): Promise<{ endpoints: TrainerEndpoint[]; errors: string[] }> {
  const endpoints = new Map<string, TrainerEndpoint>();
  const errors: string[] = [];
  for (const t of targets) {
    if (t.kind === 'fixed') {
      endpoints.set(t.address, { address: t.address });
      continue;
    }
    try {
      for (const ip of await resolve(t.host, signal)) {
        const address = hostPort(ip, t.port);
        endpoints.set(address, { address, serverName: t.host });
      }
    } catch (e) {
      signal.throwIfAborted();
      errors.push(`${t.host}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { endpoints: [...endpoints.values()], errors };
}

export interface DiscoveryOptions {
  targets: readonly TrainerTarget[];
  resolve?: ResolveFn;
  /** Re-resolution period of DNS targets (default 5000 ms). */
  intervalMs?: number;
  /** Called with the whole current set after each successful resolution (a DNS target that failed keeps its last answer). */
  onEndpoints: (endpoints: TrainerEndpoint[]) => void;
  onError?: (message: string) => void;
}

export interface Discovery {
  /** Resolves now (also what the timer does); resolves when the pool has been told. */
  refresh(): Promise<void>;
  stop(): void;
}

/** Resolves at once and then every `intervalMs` while any target is a DNS name; fixed lists are announced once. */
export function discoverTrainers(o: DiscoveryOptions): Discovery {
  const resolve = o.resolve ?? systemResolve;
  const stopped = new AbortController();
  const dynamic = o.targets.some((t) => t.kind === 'dns');
  const last = new Map<string, TrainerEndpoint[]>(); // per DNS host: its last good answer
  let running: Promise<void> | undefined;
  const once = async (): Promise<void> => {
    const all: TrainerEndpoint[] = [];
    for (const t of o.targets) {
      if (t.kind === 'fixed') {
        all.push({ address: t.address });
        continue;
      }
      const r = await resolveTargets([t], resolve, stopped.signal);
      if (r.errors.length === 0) last.set(`${t.host}:${t.port}`, r.endpoints);
      else o.onError?.(`resolving trainers: ${r.errors.join('; ')} (keeping the last answer)`);
      all.push(...(last.get(`${t.host}:${t.port}`) ?? []));
    }
    if (stopped.signal.aborted) return;
    const unique = [...new Map(all.map((e) => [e.address, e])).values()];
    o.onEndpoints(unique);
  };
  const refresh = (): Promise<void> =>
    (running ??= once()
      .catch((e: unknown) => {
        if (!stopped.signal.aborted) o.onError?.(`resolving trainers: ${String(e)}`);
      })
      .finally(() => {
        running = undefined;
      }));
  void refresh();
  const timer = dynamic ? setInterval(() => void refresh(), o.intervalMs ?? 5000) : undefined;
  timer?.unref();
  return {
    refresh,
    stop() {
      clearInterval(timer);
      stopped.abort();
    },
  };
}
