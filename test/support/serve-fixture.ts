// A tgsage process for signal tests: runs the given services on 127.0.0.1:0 in the given data dir, prints the
// addresses as one JSON line, and handles SIGTERM / SIGINT like `tgsage serve`.
import { resolveConfig, type ServiceName } from '../../services/config.ts';
import { runServices } from '../../services/registry.ts';

const [dataDir, ...names] = process.argv.slice(2);
const config = resolveConfig({ dataDir: dataDir!, logLevel: 'info', compute: { backend: 'cpu' }, drainTimeoutMs: 3000 });
const running = await runServices(names as ServiceName[], config, { port: 0 });
console.log(JSON.stringify(running.services.map((s) => s.address)));
