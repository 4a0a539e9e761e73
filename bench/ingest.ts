// Loopback ingest of a whole ScoreActivations call. The teacher cache and the scorer run in a child process (as
// `npm start` runs them, on 127.0.0.1:0); this process is the client. A teacher of N = 1000 stimuli is uploaded,
// then candidate layers of N x D float32 are streamed in 1 MiB chunks. Reported per call (median):
//   call MB/s   = candidate bytes / wall time of the call (transfer, checks, RDMs, ranks, comparisons);
//   ingest MB/s = candidate bytes / (wall time - the scorer's compute_seconds): the transfer and assembly path.
// Run alone: `node --import tsx bench/ingest.ts` (BENCH_INGEST_D=16384 BENCH_INGEST_LAYERS=4 BENCH_REPS=3).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTgsageClients, createTeacherRequests, scoreRequests } from '../clients/ts/index.ts';
import { ScorerDefinition } from '../gen/tgsage/v1/scorer.ts';
import { assembleLayers } from '../services/common/chunks.ts';
import { createLogger } from '../services/common/log.ts';
import { buildServer, serviceEntry } from '../services/common/server.ts';
import { splitHeader } from '../services/common/upload.ts';
import { resolveConfig } from '../services/config.ts';
import { runServices } from '../services/registry.ts';

function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

export interface IngestResult {
  callMbPerS: number;
  /** Transport + decode + checks only. */
  ingestMbPerS: number;
  /** MB per CPU-second of the ingest-only server and of the client: what one free core each would sustain. */
  serverMbPerCpuS: number;
  clientMbPerCpuS: number;
  bytes: number;
  seconds: number;
  computeSeconds: number;
  backend: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Starts the services in a child process; resolves with their addresses. */
async function startChild(dataDir: string, backend: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve', dataDir, backend], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const addresses = JSON.parse(line) as Record<string, string>;
  return {
    addresses,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export async function benchIngest(
  options: { n?: number; d?: number; layers?: number; reps?: number; backend?: string } = {},
): Promise<IngestResult> {
  const n = options.n ?? 1000;
  const d = options.d ?? Number(process.env['BENCH_INGEST_D'] ?? 16384);
  const layers = options.layers ?? Number(process.env['BENCH_INGEST_LAYERS'] ?? 4);
  const reps = options.reps ?? Number(process.env['BENCH_REPS'] ?? 3);
  const dataDir = await mkdtemp(join(tmpdir(), 'tgsage-ingest-'));
  const server = await startChild(dataDir, options.backend ?? process.env['BENCH_BACKEND'] ?? 'auto');
  const clients = createTgsageClients(
    { teacherCache: server.addresses['teacher-cache'], scorer: server.addresses['scorer'] },
    { deadlineMs: 0 },
  );
  try {
    const teacherLayers = [0, 1].map((k) => ({ name: `T${k}`, shape: [n, 512], data: noise(n * 512, 7 + k) }));
    await clients.teacherCache.createTeacher(createTeacherRequests({ id: 'bench', numStimuli: n }, teacherLayers));
    const candidate = Array.from({ length: layers }, (_, k) => ({ name: `c${k}`, shape: [n, d], data: noise(n * d, 100 + k) }));
    const bytes = candidate.reduce((s, l) => s + l.data.byteLength, 0);
    const walls: number[] = [];
    const computes: number[] = [];
    for (let r = 0; r < reps + 1; r++) {
      const t0 = performance.now();
      const res = await clients.scorer.scoreActivations(scoreRequests({ teacherId: 'bench' }, candidate));
      const wall = (performance.now() - t0) / 1000;
      if (r === 0) continue; // the first call also prepares the teacher's RDMs
      walls.push(wall);
      computes.push(res.computeSeconds);
    }
    const info = await clients.info('scorer').getInfo({});
    const seconds = median(walls);
    const ingestOnly = createTgsageClients({ scorer: server.addresses['ingest-only'] }, { deadlineMs: 0 });
    const ingestWalls: number[] = [];
    const serverCpu: number[] = [];
    const clientCpu: number[] = [];
    try {
      for (let r = 0; r < reps + 1; r++) {
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        const res = await ingestOnly.scorer.scoreActivations(scoreRequests({ teacherId: 'bench' }, candidate));
        const cpu = process.cpuUsage(cpu0);
        if (res.numStimuli !== n) throw new Error('ingest-only server did not see the layers');
        if (r === 0) continue;
        ingestWalls.push((performance.now() - t0) / 1000);
        serverCpu.push(res.computeSeconds);
        clientCpu.push((cpu.user + cpu.system) / 1e6);
      }
    } finally {
      ingestOnly.close();
    }
    return {
      callMbPerS: bytes / 1e6 / seconds,
      ingestMbPerS: bytes / 1e6 / median(ingestWalls),
      serverMbPerCpuS: bytes / 1e6 / median(serverCpu),
      clientMbPerCpuS: bytes / 1e6 / median(clientCpu),
      bytes,
      seconds,
      computeSeconds: median(computes),
      backend: info.computeBackend,
    };
  } finally {
    clients.close();
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function serve(dataDir: string, backend: string): Promise<void> {
  const config = resolveConfig({ dataDir, logLevel: 'warn', compute: { backend: backend as 'auto' } });
  const running = await runServices(['teacher-cache', 'scorer'], config, {
    port: 0,
    logger: createLogger({ service: 'bench', level: 'warn' }),
  });
  // The scorer's ingest path alone: header, then layers assembled and checked as ScoreActivations does, no compute.
  const ingest = buildServer({
    name: 'ingest-only',
    logger: createLogger({ service: 'ingest-only', level: 'warn' }),
    services: [
      serviceEntry(ScorerDefinition, {
        async scoreActivations(requests) {
          const cpu0 = process.cpuUsage();
          const { pieces } = await splitHeader(requests);
          let n = 0;
          for await (const layer of assembleLayers(pieces, {})) n = layer.n;
          const cpu = process.cpuUsage(cpu0);
          return { numStimuli: n, computeSeconds: (cpu.user + cpu.system) / 1e6 }; // here: the server's CPU seconds
        },
        async compareRdms() {
          return {};
        },
      }),
    ],
    defaultMetrics: false,
  });
  const port = await ingest.listen('127.0.0.1', 0);
  const addresses = Object.fromEntries(running.services.map((s) => [s.name, s.address]));
  console.log(JSON.stringify({ ...addresses, 'ingest-only': `127.0.0.1:${port}` }));
  process.once('SIGTERM', () => void ingest.shutdown());
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3]!, process.argv[4]!);
} else if (process.argv[1]?.endsWith('bench/ingest.ts')) {
  const r = await benchIngest();
  console.log(
    `ScoreActivations over loopback: ${(r.bytes / 1e6).toFixed(0)} MB per call, median ${r.seconds.toFixed(2)} s ` +
      `(compute ${r.computeSeconds.toFixed(2)} s, backend ${r.backend}): call ${r.callMbPerS.toFixed(0)} MB/s, ` +
      `ingest ${r.ingestMbPerS.toFixed(0)} MB/s (transport + decode + checks; target >= 500); CPU cost: server ` +
      `${r.serverMbPerCpuS.toFixed(0)} MB per CPU-s, client ${r.clientMbPerCpuS.toFixed(0)} MB per CPU-s`,
  );
}
