const { createServer } = await import('nice-grpc');
const { ScorerDefinition } = await import('../gen/tgsage/v1/scorer.ts');
const { assembleLayers } = await import('../services/common/chunks.ts');
const { splitHeader } = await import('../services/common/upload.ts');
const server = createServer({ 'grpc.max_receive_message_length': 8 << 20 });
const { withFastCodecs } = await import('../services/common/fast-codec.ts');
server.add(process.env.FAST ? withFastCodecs(ScorerDefinition) : ScorerDefinition, {
  async scoreActivations(reqs: any) {
    const c0 = process.cpuUsage(); const t0 = performance.now();
    let bytes = 0;
    if (process.env.ASM) { const { pieces } = await splitHeader(reqs); for await (const l of assembleLayers(pieces as any, {})) bytes += l.data.byteLength; }
    else for await (const r of reqs) if (r.message?.$case === 'chunk') bytes += r.message.value.data.byteLength;
    const c = process.cpuUsage(c0);
    return { tg: bytes, computeSeconds: (c.user + c.system) / 1e6, numStimuli: Math.round(performance.now() - t0) };
  },
  async compareRdms() { return {}; },
});
const port = await server.listen('127.0.0.1:0');
console.log(port);
process.on('SIGTERM', () => process.exit(0));
