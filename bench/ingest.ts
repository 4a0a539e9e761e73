// Loopback ingest of a whole ScoreActivations call. The teacher cache and the scorer run in a child process (as
// `npm start` runs them, on 127.0.0.1:0); this process is the client, as a real client is. A teacher of N = 1000
// stimuli is uploaded, then candidate layers of N x D float32 are streamed in 1 MiB chunks. After one warm-up call,
// medians of BENCH_REPS calls (default 5):
//   call MB/s   = candidate bytes / wall time of the whole call (transfer, checks, RDMs, ranks, comparisons; the
//                 scorer computes layer k while layer k+1 arrives, so this is bounded by compute as well);
//   ingest MB/s = candidate bytes / wall time of the same call against an ingest-only scorer in the same child
//                 process: the scorer's own receive path (header, LayerAssembler with its NaN / Inf checks and its
//                 reused layer buffers, as services/scorer/service.ts does) with the compute left out.
// CPU cost per side (MB per CPU-second) says what one free core each would sustain; on a loaded machine the wall
// numbers drop first. Run alone: `node --import tsx bench/ingest.ts` (BENCH_INGEST_D=16384 BENCH_INGEST_LAYERS=4
// BENCH_REPS=5).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTgsageClients, createTeacherRequests, scoreRequests } from '../clients/ts/index.ts';
import { ScorerDefinition } from '../gen/tgsage/v1/scorer.ts';
import { createFloat32Pool } from '../services/common/buffer-pool.ts';
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
  /** Calls timed (after one warm-up) for each median. */
  reps: number;
  /** Median wall seconds of a whole call and of an ingest-only call. */
  seconds: number;
  ingestSeconds: number;
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
  const reps = options.reps ?? Number(process.env['BENCH_REPS'] ?? 5);
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
      reps,
      seconds,
      ingestSeconds: median(ingestWalls),
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
  // The scorer's ingest path alone: header, then layers assembled and checked as ScoreActivations does (into buffers
  // from a pool, each handed back once the layer is done with), no compute.
  const pool = createFloat32Pool({ maxRetainedBytes: 256 * 1024 * 1024 });
  const ingest = buildServer({
    name: 'ingest-only',
    logger: createLogger({ service: 'ingest-only', level: 'warn' }),
    services: [
      serviceEntry(ScorerDefinition, {
        async scoreActivations(requests) {
          const cpu0 = process.cpuUsage();
          const { pieces } = await splitHeader(requests);
          let n = 0;
          for await (const layer of assembleLayers(pieces, { allocate: pool.take })) {
            n = layer.n;
            pool.give(layer.data);
          }
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

/** The bench's result lines: the whole call and the ingest path, each against the target of 500 MB/s. */
export function describeIngest(r: IngestResult): string[] {
  const mb = (r.bytes / 1e6).toFixed(0);
  return [
    `ScoreActivations over loopback (client here, services in a child process): ${mb} MB per call, medians of ` +
      `${r.reps} calls after a warm-up, backend ${r.backend}`,
    `  whole call: ${r.seconds.toFixed(2)} s (scorer compute ${r.computeSeconds.toFixed(2)} s, overlapped with ` +
      `receiving) = ${r.callMbPerS.toFixed(0)} MB/s (target >= 500; the compute alone caps it at ` +
      `${(r.bytes / 1e6 / r.computeSeconds).toFixed(0)} MB/s)`,
    `  ingest (gRPC + decode + NaN/Inf checks, no compute): ${r.ingestSeconds.toFixed(2)} s = ` +
      `${r.ingestMbPerS.toFixed(0)} MB/s (target >= 500); CPU cost: server ${r.serverMbPerCpuS.toFixed(0)} MB per ` +
      `CPU-s, client ${r.clientMbPerCpuS.toFixed(0)} MB per CPU-s`,
  ];
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3]!, process.argv[4]!);
} else if (process.argv[1]?.endsWith('bench/ingest.ts')) {
  const r = await benchIngest();
  for (const line of describeIngest(r)) console.log(line);
}
