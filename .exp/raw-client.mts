import { createChannel, createClient } from 'nice-grpc';
import { ScorerDefinition } from '../gen/tgsage/v1/scorer.ts';
import { scoreRequests } from '../clients/ts/requests.ts';
const port = process.argv[2];
const opts = process.env.WIN ? { 'grpc-node.flow_control_window': Number(process.env.WIN) } : {};
const client = createClient(ScorerDefinition, createChannel(`127.0.0.1:${port}`, undefined, opts));
const n = 1000, d = 16384;
const cand = Array.from({ length: 4 }, (_, k) => ({ name: `c${k}`, shape: [n, d], data: new Float32Array(n * d) }));
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const res = await client.scoreActivations(scoreRequests({ teacherId: 'x' }, cand, { maxChunkBytes: Number(process.env.CH ?? 1 << 20) }));
  const s = (performance.now() - t0) / 1000;
  console.log(`${(res.tg / 1e6 / s).toFixed(0)} MB/s`);
}
process.exit(0);
