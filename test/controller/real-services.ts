// Real tgsage services for the controller's system tests, in this process on 127.0.0.1:0 (each started once the
// addresses it needs are known), in a temporary data dir, with a tiny uploaded teacher "tiny" of N stimuli.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTgsageClients } from '../../clients/ts/index.ts';
import type { CreateTeacherRequest } from '../../gen/tgsage/v1/teacher_cache.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { createLogger } from '../../services/common/log.ts';
import { resolveConfig, type ServiceName } from '../../services/config.ts';
import { runServices, type RunningServices } from '../../services/registry.ts';

export const TINY_STIMULI = 40;

/**
 * A seed whose first random convnet proposals are small (at most 7.4 MFLOPs per image for the first four, against a
 * median of ~150 MFLOPs), so system tests train real candidates in seconds on 2 cores.
 */
export const SMALL_GENOMES_SEED = 102;

export interface RealServices {
  dir: string;
  address: Partial<Record<ServiceName, string>>;
  close(): Promise<void>;
}

/** Deterministic pseudo-random float32 activations (mulberry32). */
export function activations(seed: number, rows: number, cols: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return out;
}

export async function startRealServices(
  names: ServiceName[],
  teacherLayers: Float32Array[] = [activations(1, TINY_STIMULI, 12)],
): Promise<RealServices> {
  const dir = await mkdtemp(join(tmpdir(), 'tgsage-ctl-sys-'));
  const logger = createLogger({ service: 'test', level: 'silent' });
  const address: Partial<Record<ServiceName, string>> = {};
  const running: RunningServices[] = [];
  for (const name of (['teacher-cache', 'scorer', 'trainer', 'search-controller'] as const).filter((n) => names.includes(n))) {
    const config = resolveConfig({
      dataDir: join(dir, 'data'),
      logLevel: 'silent',
      drainTimeoutMs: 2000,
      teacherCacheAddress: address['teacher-cache'],
      scorerAddress: address.scorer,
      trainerAddress: address.trainer,
    });
    const r = await runServices([name], config, { logger, signals: false, port: 0 });
    running.push(r);
    address[name] = r.services[0]!.address;
  }
  if (address['teacher-cache']) {
    const clients = createTgsageClients({ teacherCache: address['teacher-cache'] });
    await clients.teacherCache.createTeacher(
      (async function* (): AsyncGenerator<CreateTeacherRequest> {
        yield { message: { $case: 'header', value: { id: 'tiny', description: 'controller tests', numStimuli: TINY_STIMULI, stimulusIds: [], rdmMethod: 0, storeGram: false, repetitions: false, missingRepetitions: false, ceilingSplits: 0, ceilingSeed: 0, tgLayers: [] } } };
        for (const [i, a] of teacherLayers.entries()) {
          yield { message: { $case: 'chunk', value: { layer: `L${i}`, dtype: DType.DTYPE_FLOAT32, shape: [TINY_STIMULI, a.length / TINY_STIMULI], data: Buffer.from(a.buffer) } } };
        }
      })(),
    );
    clients.close();
  }
  return {
    dir,
    address,
    async close() {
      for (const r of running.reverse()) await r.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface StartedController {
  readonly address: string;
  readonly port: number;
  /** Its data dir (the study store is controller.sqlite there). */
  readonly dataDir: string;
  close(): Promise<void>;
}

/** A search controller as `tgsage serve search-controller` starts it (the registry), on 127.0.0.1:0, in a temp dir. */
export async function startController(a: { trainers: readonly string[]; scorer: string; teacherCache: string }): Promise<StartedController> {
  const dir = await mkdtemp(join(tmpdir(), 'tgsage-ctl-'));
  const config = resolveConfig({
    dataDir: dir,
    logLevel: 'silent',
    drainTimeoutMs: 2000,
    trainerAddress: a.trainers.join(','),
    scorerAddress: a.scorer,
    teacherCacheAddress: a.teacherCache,
  });
  const running = await runServices(['search-controller'], config, { logger: createLogger({ service: 'test', level: 'silent' }), signals: false, port: 0 });
  const { address, port } = running.services[0]!;
  return {
    address,
    port,
    dataDir: dir,
    async close() {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
