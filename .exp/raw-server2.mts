import http2 from 'node:http2';
if (process.env.PATCH) {
  const WIN = Number(process.env.PATCH);
  const orig = http2.createServer;
  (http2 as any).createServer = function (options: any, ...rest: any[]) {
    const s = orig.call(http2, { ...options, settings: { ...options?.settings, initialWindowSize: WIN } }, ...rest);
    s.on('session', (session: any) => { try { session.setLocalWindowSize(WIN); } catch {} });
    return s;
  };
}
const { createServer } = await import('nice-grpc');
const { ScorerDefinition } = await import('../gen/tgsage/v1/scorer.ts');
const server = createServer({ 'grpc.max_receive_message_length': 8 << 20 });
server.add(ScorerDefinition, {
  async scoreActivations(reqs: any) {
    let bytes = 0;
    for await (const r of reqs) if (r.message?.$case === 'chunk') bytes += r.message.value.data.byteLength;
    return { tg: bytes };
  },
  async compareRdms() { return {}; },
});
const port = await server.listen('127.0.0.1:0');
console.log(port);
