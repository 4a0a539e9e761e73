// `tgsage info`: which services answer at the configured addresses, and on which compute backend they run.

import { Command } from 'commander';
import type { ServiceInfo } from '../../../gen/tgsage/v1/info.ts';
import { action } from '../action.ts';
import { SERVICE_NAMES, type ServiceName } from '../addresses.ts';
import { SERVICE_KEYS, type CliContext } from '../context.ts';
import { describeError } from '../errors.ts';
import { table } from '../format.ts';
import { printJson, printText } from '../output.ts';

export interface ServiceStatus {
  service: ServiceName;
  address: string;
  info?: ServiceInfo;
  error?: string;
}

export async function probeServices(ctx: CliContext, timeoutMs = 3000): Promise<ServiceStatus[]> {
  return Promise.all(
    SERVICE_NAMES.map(async (service): Promise<ServiceStatus> => {
      const address = ctx.address(service);
      try {
        const info = await ctx.clients.info(SERVICE_KEYS[service]).getInfo({}, { deadline: timeoutMs, retryMaxAttempts: 1, signal: ctx.signal });
        return { service, address, info };
      } catch (error) {
        return { service, address, error: describeError(error).replace(/^error: /, '') };
      }
    }),
  );
}

export function infoCommand(): Command {
  return new Command('info')
    .description('show which services answer, their versions and compute backends')
    .action(
      action(async (ctx) => {
        const statuses = await probeServices(ctx, ctx.timeoutMs ?? 3000);
        if (ctx.json) {
          printJson({
            services: statuses.map((s) => ({
              service: s.service,
              address: s.address,
              up: s.info !== undefined,
              ...(s.info ? { version: s.info.version, computeBackend: s.info.computeBackend, computeDetails: s.info.computeDetails, pid: s.info.pid, uptimeSeconds: s.info.uptimeSeconds, runtime: s.info.runtime } : { error: s.error }),
            })),
          });
        } else {
          printText(
            table(
              ['service', 'address', 'status', 'version', 'backend', 'details'],
              statuses.map((s) =>
                s.info
                  ? [s.service, s.address, 'up', s.info.version, s.info.computeBackend, s.info.computeDetails]
                  : [s.service, s.address, 'down', '', '', s.error ?? ''],
              ),
            ),
          );
        }
        if (statuses.every((s) => s.info === undefined)) process.exitCode = 1;
      }),
    );
}
