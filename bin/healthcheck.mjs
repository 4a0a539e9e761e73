#!/usr/bin/env node
// Container health check (plain Node, no TypeScript loader, so it is cheap): asks grpc.health.v1 on the given
// addresses — TGSAGE_HEALTH_ADDRS (comma-separated), else the four default local ports — and succeeds when at
// least one answers and every one that answers says SERVING.
import { createChannel, createClient } from 'nice-grpc';
import { HealthDefinition } from 'nice-grpc-server-health';

const SERVING = 1;
const addrs = (process.env.TGSAGE_HEALTH_ADDRS || '127.0.0.1:50051,127.0.0.1:50052,127.0.0.1:50053,127.0.0.1:50054')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

const results = await Promise.all(
  addrs.map(async (addr) => {
    const channel = createChannel(addr);
    try {
      const r = await createClient(HealthDefinition, channel).check({ service: '' }, { signal: AbortSignal.timeout(2000) });
      return { addr, up: true, serving: r.status === SERVING };
    } catch {
      return { addr, up: false, serving: false };
    } finally {
      channel.close();
    }
  }),
);
const up = results.filter((r) => r.up);
const ok = up.length > 0 && up.every((r) => r.serving);
for (const r of results) if (r.up && !r.serving) console.error(`${r.addr}: not serving`);
if (up.length === 0) console.error(`no tgsage service answers on ${addrs.join(', ')}`);
process.exit(ok ? 0 : 1);
