import http2 from 'node:http2';
if (process.env.PATCH) {
  const WIN = Number(process.env.PATCH);
  const orig = http2.createServer;
  (http2 as any).createServer = function (options: any, ...rest: any[]) {
    const s = orig.call(http2, { ...options, settings: { ...options?.settings, initialWindowSize: WIN } }, ...rest);
    s.on('session', (session: any) => { session.once('localSettings', () => { try { session.setLocalWindowSize(WIN); } catch (e) { console.error(e); } }); });
    return s;
  };
}
const { createServer } = await import('nice-grpc');
const { ScorerDefinition } = await import('../gen/tgsage/v1/scorer.ts');
const { withFastCodecs } = await import('../services/common/fast-codec.ts');
const { assembleLayers } = await import('../services/common/chunks.ts');
const { splitHeader } = await import('../services/common/upload.ts');
const server = createServer({ 'grpc.max_receive_message_length': 8 << 20 });
server.add(withFastCodecs(ScorerDefinition), {
  async scoreActivations(reqs: any) {
    const c0 = process.cpuUsage();
    let bytes = 0;
    const { pieces } = await splitHeader(reqs); for await (const l of assembleLayers(pieces as any, {})) bytes += l.data.byteLength;
    const c = process.cpuUsage(c0);
    return { tg: bytes, computeSeconds: (c.user + c.system) / 1e6 };
  },
  async compareRdms() { return {}; },
});
const port = await server.listen('127.0.0.1:0');
console.log(port);
