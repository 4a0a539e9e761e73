import { resolveConfig } from '/work/wt/core/services/config.ts';
import { runServices } from '/work/wt/core/services/registry.ts';
import { createLogger } from '/work/wt/core/services/common/log.ts';
const config = resolveConfig({ dataDir: '/tmp/exp/data', logLevel: 'warn' });
const r = await runServices(['teacher-cache', 'scorer'], config, { port: 0, signals: true, logger: createLogger({ service: 'x', level: 'warn' }) });
console.log(JSON.stringify(r.services.map((s) => s.address)));
