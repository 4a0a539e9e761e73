// HTTP/2 keepalive between tgsage processes: the client side (every channel `dial` makes) and the ping policy every
// server announces, defined together so that they stay compatible.
//
// Why clients ping: a channel can sit idle for a long time (the scorer's channel to the teacher cache between
// uploads, the controller's to an idle trainer), and load balancers, NAT gateways and conntrack tables drop idle TCP
// flows without telling either end (Azure's load balancer after 4 minutes, AWS NLB and NAT gateway after 350 s). The
// next call then waits on a dead connection until TCP gives up. A ping every minute keeps such flows alive, well under
// the shortest of those timeouts, and finds a dead peer within KEEPALIVE_TIMEOUT_MS.
//
// Why the server states a policy: gRPC servers that police pings (C-core and grpc-go do by default: pings without
// calls are refused, and more than one per 5 minutes without data is a strike) answer them with GOAWAY
// "too_many_pings" and the client backs off. grpc-js 1.14 does not police pings, but our servers set the standard
// options to the policy that admits our clients (pings without calls, down to half the client interval, so timer
// jitter never counts as a strike): a grpc-js that starts enforcing them keeps accepting our clients.
import type { ChannelOptions } from 'nice-grpc';

/** Interval of a client's pings on a connection, with or without calls (ms). */
export const KEEPALIVE_TIME_MS = 60_000;
/** How long a ping may go unanswered before the connection counts as dead (ms); gRPC's default. */
export const KEEPALIVE_TIMEOUT_MS = 20_000;
/** The shortest interval between a client's pings that a server accepts without data (ms). */
export const MIN_CLIENT_PING_INTERVAL_MS = KEEPALIVE_TIME_MS / 2;

export interface ClientKeepalive {
  timeMs: number;
  timeoutMs: number;
}

/** Channel options for client keepalive (defaults above; tests pass small values). */
export function keepaliveChannelOptions(k: ClientKeepalive = { timeMs: KEEPALIVE_TIME_MS, timeoutMs: KEEPALIVE_TIMEOUT_MS }): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': k.timeMs,
    'grpc.keepalive_timeout_ms': k.timeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  };
}

/** Server options announcing the ping policy that admits clients pinging every `minPingIntervalMs` or slower. */
export function keepaliveServerOptions(minPingIntervalMs = MIN_CLIENT_PING_INTERVAL_MS): Record<string, number> {
  return {
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': minPingIntervalMs,
  };
}
