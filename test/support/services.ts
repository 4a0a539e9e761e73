// Starts tgsage services for tests on 127.0.0.1:0 in a temporary data dir, with the small test compute unless a
// test asks for the real one.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTgsageClients, type TgsageClients } from '../../clients/ts/index.ts';
import { createLogger } from '../../services/common/log.ts';
import { resolveConfig, type ConfigOverrides, type ServiceName, type TgsageConfig } from '../../services/config.ts';
import { defaultComputeFactory, runServices, type ComputeFactory, type RunningServices } from '../../services/registry.ts';
import { naiveCompute } from './naive-compute.ts';

/**
 * The compute the service tests run on: the real one (services/compute, backend from TGSAGE_TEST_BACKEND, default
 * auto), or the small float64 test double with TGSAGE_TEST_BACKEND=naive.
 */
export function testComputeFactory(): ComputeFactory {
  const backend = process.env['TGSAGE_TEST_BACKEND'] ?? 'auto';
  if (backend === 'naive') return async () => naiveCompute();
  return async (config, logger) =>
    defaultComputeFactory({ ...config, compute: { backend: backend as TgsageConfig['compute']['backend'] } }, logger);
}

export async function tempDir(prefix = 'tgsage-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface TestServices {
  config: TgsageConfig;
  running: RunningServices;
  address(name: ServiceName): string;
  clients: TgsageClients;
  logs: string[];
  close(): Promise<void>;
}

export async function startServices(
  names: ServiceName[],
  overrides: ConfigOverrides,
  createCompute: ComputeFactory = testComputeFactory(),
): Promise<TestServices> {
  const config = resolveConfig({ logLevel: 'debug', drainTimeoutMs: 2_000, ...overrides });
  const logs: string[] = [];
  const logger = createLogger({ service: 'test', level: 'debug', write: (l) => logs.push(l) });
  const running = await runServices(names, config, { logger, createCompute, signals: false, port: 0 });
  const address = (name: ServiceName) => {
    const s = running.services.find((r) => r.name === name);
    if (!s) throw new Error(`${name} is not running`);
    return s.address;
  };
  const clients = createTgsageClients(
    {
      teacherCache: names.includes('teacher-cache') ? address('teacher-cache') : undefined,
      scorer: names.includes('scorer') ? address('scorer') : undefined,
    },
    { deadlineMs: 20_000 },
  );
  return {
    config,
    running,
    address,
    clients,
    logs,
    async close() {
      clients.close();
      await running.close();
    },
  };
}
