// Large HTTP/2 receive windows for tgsage servers. grpc-js 1.14 gives a server no option for them (its own
// 'grpc-node.flow_control_window' is honoured by clients only), so a server advertises Node's defaults: 64 KiB per
// stream and per connection. For a bulk upload that is a stall every 64 KiB: grpc-js pauses the stream after each
// message until the service reads it, the client runs out of window and waits for WINDOW_UPDATE, and both sides spin
// through many small writes. With 16 MiB the client keeps sending while the server decodes and checks, which
// measured ~2.5x the loopback ingest rate (bench/ingest.ts). The window also bounds what one connection can make the
// server buffer, so it stays at 16 MiB (the message limit is 4 MiB).
//
// How: node:http2's createServer is wrapped (once, idempotently) so that a server created while one of ours is
// binding gets these settings and each of its sessions the larger connection window. Servers created at other times
// (anyone else's in the same process) are left alone. grpc-js does not tell us, so maxFrameSize is not changed
// here: Node's HTTP/2 sends DATA frames of at most 16 KiB whatever the peer allows (measured), so it would not help.
import http2 from 'node:http2';

/** Receive window per stream and per connection, bytes. */
export const HTTP2_WINDOW_BYTES = 16 * 1024 * 1024;

const WRAPPED = Symbol.for('tgsage.http2.createServer.wrapped');
let binding = 0;

type CreateServer = typeof http2.createServer;

function installOnce(): void {
  const current = http2.createServer as CreateServer & { [WRAPPED]?: true };
  if (current[WRAPPED]) return;
  const original = current;
  const wrapped = ((...args: unknown[]) => {
    if (binding === 0) return (original as (...a: unknown[]) => http2.Http2Server)(...args);
    const [first, ...rest] = args;
    const options = (typeof first === 'object' && first !== null ? first : {}) as http2.ServerOptions;
    const tail = typeof first === 'function' ? [first, ...rest] : rest;
    const server = (original as (...a: unknown[]) => http2.Http2Server)(
      { ...options, settings: { ...options.settings, initialWindowSize: HTTP2_WINDOW_BYTES } },
      ...tail,
    );
    server.on('session', (session: http2.ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(HTTP2_WINDOW_BYTES);
      } catch {
        // a session already closing: nothing to tune
      }
    });
    return server;
  }) as CreateServer & { [WRAPPED]?: true };
  wrapped[WRAPPED] = true;
  (http2 as { createServer: CreateServer }).createServer = wrapped;
}

/** Runs `bind` (a grpc-js / nice-grpc listen) so that the HTTP/2 servers it creates get large receive windows. */
export async function withLargeHttp2Windows<T>(bind: () => Promise<T>): Promise<T> {
  installOnce();
  binding++;
  try {
    return await bind();
  } finally {
    binding--;
  }
}
