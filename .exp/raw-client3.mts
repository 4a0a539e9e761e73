import { createChannel, createClient } from 'nice-grpc';
import { ScorerDefinition } from '../gen/tgsage/v1/scorer.ts';
import { scoreRequests } from '../clients/ts/requests.ts';
import { withFastCodecs } from '../services/common/fast-codec.ts';
const client = createClient(process.env.FAST ? withFastCodecs(ScorerDefinition) : ScorerDefinition, createChannel(`127.0.0.1:${process.argv[2]}`));
const n = 1000, d = 16384;
const cand = Array.from({ length: 4 }, (_, k) => ({ name: `c${k}`, shape: [n, d], data: new Float32Array(n * d).fill(1) }));
for (let r = 0; r < 3; r++) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const res = await client.scoreActivations(scoreRequests({ teacherId: 'x' }, cand));
  const s = (performance.now() - t0) / 1000; const c = process.cpuUsage(c0);
  const mb = res.tg / 1e6;
  console.log(`wall ${(mb / s).toFixed(0)} MB/s; server ${(mb / res.computeSeconds).toFixed(0)} MB per CPU-s; client ${(mb / ((c.user + c.system) / 1e6)).toFixed(0)} MB per CPU-s`);
}
process.exit(0);
