// node --expose-gc --import tsx bench/rss-after-load.ts — memory of a scorer + teacher cache process (in this
// process, 127.0.0.1:0) before, at the peak of, and after 30 parallel ScoreActivations streams (issue 9 item 5).
// Env: RSS_STREAMS (30), RSS_N (1000 stimuli), RSS_D (4096 features per layer), RSS_LAYERS (2 per stream).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTeacherRequests, createTgsageClients, scoreRequests } from '../clients/ts/index.ts';
import { createLogger } from '../services/common/log.ts';
import { resolveConfig } from '../services/config.ts';
import { runServices } from '../services/registry.ts';
import { syntheticActivations } from './scorer.ts';

const STREAMS = Number(process.env.RSS_STREAMS ?? 30);
const N = Number(process.env.RSS_N ?? 1000);
const D = Number(process.env.RSS_D ?? 4096);
const LAYERS = Number(process.env.RSS_LAYERS ?? 2);
const MiB = 2 ** 20;
const rss = () => Math.round(process.memoryUsage().rss / MiB);
const held = () => {
  const m = process.memoryUsage();
  return { heapUsed: Math.round(m.heapUsed / MiB), arrayBuffers: Math.round(m.arrayBuffers / MiB), external: Math.round(m.external / MiB) };
};
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

const dir = await mkdtemp(join(tmpdir(), 'tgsage-rss-'));
const config = resolveConfig({ dataDir: dir, logLevel: 'error' });
const running = await runServices(['teacher-cache', 'scorer'], config, {
  logger: createLogger({ service: 'rss', level: 'error' }),
  signals: false,
  port: 0,
});
const addr = (name: string) => running.services.find((s) => s.name === name)!.address;
const clients = createTgsageClients({ teacherCache: addr('teacher-cache'), scorer: addr('scorer') }, { deadlineMs: 600_000 });
try {
  await clients.teacherCache.createTeacher(
    createTeacherRequests({ id: 't', numStimuli: N }, [{ name: 'a', shape: [N, 256], data: syntheticActivations(N, 256, 1) }]),
  );
  gc();
  const before = rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rss())), 100);
  const started = performance.now();
  // the client side holds one copy of each layer, shared by every stream: what grows is the server's
  const layers = Array.from({ length: LAYERS }, (_, l) => ({ name: `l${l}`, shape: [N, D], data: syntheticActivations(N, D, 100 + l) }));
  await Promise.all(Array.from({ length: STREAMS }, () => clients.scorer.scoreActivations(scoreRequests({ teacherId: 't' }, layers))));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  const end = rss();
  gc();
  await new Promise((r) => setTimeout(r, 1000));
  gc();
  const afterGc = rss();
  await new Promise((r) => setTimeout(r, 6000)); // the scorer's layer pool lets go after 5 s idle
  gc();
  console.log(
    JSON.stringify({ streams: STREAMS, n: N, d: D, layersPerStream: LAYERS, seconds: Math.round(seconds), rssMiB: { before, peak, atEnd: end, afterGc, afterIdle: rss() }, heldMiBAfterIdle: held() }),
  );
} finally {
  clients.close();
  await running.close();
  await rm(dir, { recursive: true, force: true });
}
