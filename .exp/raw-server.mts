import { createServer } from 'nice-grpc';
import { ScorerDefinition } from '../gen/tgsage/v1/scorer.ts';
const server = createServer({ 'grpc.max_receive_message_length': 8 << 20 });
server.add(ScorerDefinition, {
  async scoreActivations(reqs) {
    let bytes = 0;
    for await (const r of reqs) if (r.message?.$case === 'chunk') bytes += r.message.value.data.byteLength;
    return { tg: bytes };
  },
  async compareRdms() { return {}; },
});
const port = await server.listen('127.0.0.1:0');
console.log(port);
