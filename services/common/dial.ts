// The one way tgsage dials another service, for every service and client: message limits, a large HTTP/2 receive
// window (RDMs, Grams and results stream in without 64 KiB flow-control stalls; uploads are governed by the server's
// window, http2-window.ts), keepalive pings that idle load balancers and NAT tables see (keepalive.ts), and, for a
// `dns:///` name, round-robin over every address it resolves to. Clients of
// services that stream tensors are made with `createClient(withFastCodecs(Definition), dial(address))`.
import { createChannel, type Channel, type ChannelOptions } from 'nice-grpc';
import { HTTP2_WINDOW_BYTES } from './http2-window.ts';
import { keepaliveChannelOptions, type ClientKeepalive } from './keepalive.ts';
import { channelCredentials, tlsChannelOptions, type TlsFiles } from './tls.ts';

/** Largest message a tgsage client sends or accepts (tensor chunks are at most 1 MiB; results and RDM previews). */
export const CLIENT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

const ROUND_ROBIN = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

/** The channel options of `dial` (exported for tests and for clients that build their own channel). */
export function dialOptions(address: string, keepalive?: ClientKeepalive): ChannelOptions {
  return {
    'grpc.max_receive_message_length': CLIENT_MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': CLIENT_MAX_MESSAGE_BYTES,
    'grpc-node.flow_control_window': HTTP2_WINDOW_BYTES,
    ...keepaliveChannelOptions(keepalive),
    ...(address.startsWith('dns:') ? { 'grpc.service_config': ROUND_ROBIN } : {}),
  };
}

/**
 * A channel to `address`: TLS (mutual when a client certificate is given) when `security.tls` is set, checking the
 * server's certificate for `serverName` (a pod IP found through a `dns:///` name is checked against that name).
 * `keepalive` replaces the default ping interval and timeout (tests use small ones).
 */
export function dial(
  address: string,
  security?: { readonly tls?: TlsFiles | undefined },
  o: { serverName?: string; options?: ChannelOptions; keepalive?: ClientKeepalive } = {},
): Channel {
  const credentials = channelCredentials(security?.tls);
  return createChannel(address, credentials, {
    ...dialOptions(address, o.keepalive),
    ...o.options,
    ...(credentials ? tlsChannelOptions(o.serverName) : {}),
  });
}
