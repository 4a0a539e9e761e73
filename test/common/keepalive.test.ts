// Keepalive between a dial()ed client and a buildServer server on 127.0.0.1:0, through a proxy that behaves like an
// idle load balancer (it drops a connection that carries no bytes for IDLE_MS) and counts the HTTP/2 frames it
// forwards. With small keepalive values the client's pings keep one connection alive across an idle period several
// times IDLE_MS, the server answers every ping and never sends GOAWAY; without pings the proxy drops the connection.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createChannel, createClient, type Channel } from 'nice-grpc';
import { InfoDefinition } from '../../gen/tgsage/v1/info.ts';
import { dial, dialOptions } from '../../services/common/dial.ts';
import {
  KEEPALIVE_TIME_MS, KEEPALIVE_TIMEOUT_MS, MIN_CLIENT_PING_INTERVAL_MS, keepaliveServerOptions,
} from '../../services/common/keepalive.ts';
import { buildServer } from '../../services/common/server.ts';
import { createLogger } from '../../services/common/log.ts';
import { defaultConfig } from '../../services/config.ts';

const IDLE_MS = 400; // the proxy's idle timeout
const PING_MS = 100; // the client's keepalive interval in this test
const IDLE_PERIOD_MS = 4 * IDLE_MS;

const PING = 0x6, GOAWAY = 0x7, ACK = 0x1;
const CLIENT_PREFACE_BYTES = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

/** Calls onFrame(type, flags) for every HTTP/2 frame in a byte stream fed in pieces, after `skip` bytes. */
function frameReader(skip: number, onFrame: (type: number, flags: number) => void): (piece: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (piece) => {
    pending = Buffer.concat([pending, piece]);
    if (skip > 0) {
      const n = Math.min(skip, pending.length);
      pending = pending.subarray(n);
      skip -= n;
    }
    while (pending.length >= 9) {
      const size = 9 + pending.readUIntBE(0, 3);
      if (pending.length < size) break;
      onFrame(pending[3]!, pending[4]!);
      pending = pending.subarray(size);
    }
  };
}

interface ProxyStats { connections: number; dropped: number; clientPings: number; pingAcks: number; goaways: number }

async function idleProxy(targetPort: number): Promise<{ port: number; stats: ProxyStats; close(): void }> {
  const stats: ProxyStats = { connections: 0, dropped: 0, clientPings: 0, pingAcks: 0, goaways: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    stats.connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    let timer: NodeJS.Timeout | undefined;
    const drop = () => {
      stats.dropped++;
      client.destroy();
      upstream.destroy();
    };
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(drop, IDLE_MS);
    };
    const fromClient = frameReader(CLIENT_PREFACE_BYTES, (type, flags) => {
      if (type === PING && !(flags & ACK)) stats.clientPings++;
    });
    const fromServer = frameReader(0, (type, flags) => {
      if (type === PING && flags & ACK) stats.pingAcks++;
      if (type === GOAWAY) stats.goaways++;
    });
    client.on('data', (d: Buffer) => { touch(); fromClient(d); upstream.write(d); });
    upstream.on('data', (d: Buffer) => { touch(); fromServer(d); client.write(d); });
    client.on('close', () => { clearTimeout(timer); upstream.destroy(); });
    upstream.on('close', () => client.destroy());
    touch();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stats,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

const logger = createLogger({ service: 'test', level: 'warn', write: () => {} });
const server = buildServer({
  name: 'keepalive-test',
  services: [],
  logger,
  defaultMetrics: false,
  // the server's own pings stay at their default (a minute), so only the client's can keep the connection alive
  transport: { minClientPingIntervalMs: PING_MS / 2 },
});
const serverPort = await server.listen('127.0.0.1', 0);
const cleanups: Array<() => void> = [];
after(async () => {
  cleanups.forEach((c) => c());
  await server.shutdown({ timeoutMs: 1000 });
});

async function idleRun(channel: (port: number) => Channel): Promise<{ stats: ProxyStats; after: Promise<unknown> }> {
  const proxy = await idleProxy(serverPort);
  const ch = channel(proxy.port);
  cleanups.push(() => ch.close(), proxy.close);
  const info = createClient(InfoDefinition, ch);
  assert.ok((await info.getInfo({})).pid > 0);
  await sleep(IDLE_PERIOD_MS);
  return { stats: proxy.stats, after: info.getInfo({}, { signal: AbortSignal.timeout(5000) }) };
}

describe('keepalive', () => {
  it('dial() pings without calls, and servers admit pings at half that interval', () => {
    const options = dialOptions('127.0.0.1:1');
    assert.equal(options['grpc.keepalive_time_ms'], KEEPALIVE_TIME_MS);
    assert.equal(options['grpc.keepalive_timeout_ms'], KEEPALIVE_TIMEOUT_MS);
    assert.equal(options['grpc.keepalive_permit_without_calls'], 1);
    assert.ok(MIN_CLIENT_PING_INTERVAL_MS < KEEPALIVE_TIME_MS, 'the server admits the client interval with room for jitter');
    assert.equal(defaultConfig().transport.minClientPingIntervalMs, MIN_CLIENT_PING_INTERVAL_MS);
    assert.deepEqual(keepaliveServerOptions(), {
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': MIN_CLIENT_PING_INTERVAL_MS,
    });
  });

  it('a dial()ed channel stays on one connection across an idle period; the server answers every ping, no GOAWAY', async () => {
    const { stats, after: call } = await idleRun((port) =>
      dial(`127.0.0.1:${port}`, undefined, { keepalive: { timeMs: PING_MS, timeoutMs: 2000 } }));
    assert.ok((await call as { pid: number }).pid > 0, 'a call after the idle period works');
    assert.equal(stats.dropped, 0, 'the idle proxy never dropped the connection');
    assert.equal(stats.connections, 1, 'one connection throughout');
    assert.equal(stats.goaways, 0, 'no GOAWAY from the server');
    assert.ok(stats.clientPings >= IDLE_PERIOD_MS / PING_MS / 2, `client pings while idle: ${stats.clientPings}`);
    assert.ok(stats.pingAcks >= stats.clientPings - 1, `acks ${stats.pingAcks} for ${stats.clientPings} pings`);
  });

  it('without keepalive the same proxy drops the idle connection (the test above can fail)', async () => {
    const { stats, after: call } = await idleRun((port) => createChannel(`127.0.0.1:${port}`));
    await call.catch(() => undefined); // reconnects; whether this first call survives the drop is not the point
    assert.equal(stats.clientPings, 0);
    assert.ok(stats.dropped >= 1, 'the idle connection was dropped');
  });
});
