// A real trainer server on 127.0.0.1:0 with injectable dependencies, for service tests.
import { createChannel, createClient, type Channel, type Client } from 'nice-grpc';
import { TrainerDefinition } from '../../gen/tgsage/v1/trainer.ts';
import { createLogger } from '../../services/common/log.ts';
import { buildServer, type TgsageServer } from '../../services/common/server.ts';
import { resolveConfig, type ConfigOverrides } from '../../services/config.ts';
import type { Compute } from '../../services/compute/types.ts';
import type { PipelineDeps } from '../../services/trainer/pipeline.ts';
import { createTrainerModule } from '../../services/trainer/main.ts';

export interface RunningTrainer {
  readonly client: Client<typeof TrainerDefinition>;
  readonly address: string;
  close(): Promise<void>;
}

export async function startTrainer(overrides: Partial<PipelineDeps>, config: ConfigOverrides = {}): Promise<RunningTrainer> {
  const logger = createLogger({ service: 'trainer', level: 'silent' });
  const cfg = resolveConfig({ ...config, trainer: { backend: 'cpu', ...config.trainer } });
  const module = await createTrainerModule(
    {
      config: cfg,
      logger,
      compute: () => Promise.reject(new Error('no compute in this test')) as Promise<Compute>,
      shutdownSignal: new AbortController().signal,
      shared: new Map(),
    },
    overrides,
  );
  const server: TgsageServer = buildServer({ name: 'trainer', services: module.services, logger, defaultMetrics: false });
  const port = await server.listen('127.0.0.1', 0);
  const address = `127.0.0.1:${port}`;
  const channel: Channel = createChannel(address);
  return {
    client: createClient(TrainerDefinition, channel),
    address,
    async close() {
      channel.close();
      await server.shutdown({ timeoutMs: 2000 });
      await module.close?.();
    },
  };
}
