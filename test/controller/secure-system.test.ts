// The whole search with mutual TLS and tokens on every hop: teacher cache, scorer, trainer and search controller,
// each its own server on 127.0.0.1:0 with its own certificate (made at test time) and a token table; every call
// between them carries a certificate and the services' write token. The controller finds the trainer through a
// dns:/// name whose certificate names only that DNS name, not the address it resolves to (as a pod behind a
// headless Service). A client with the write token runs a 2-trial study; a read-only client may watch it, not stop it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ClientError, Status } from 'nice-grpc';
import { createTgsageClients, type TgsageClients } from '../../clients/ts/index.ts';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { ScoreKind, StudyConfig, StudyState, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import type { CreateTeacherRequest } from '../../gen/tgsage/v1/teacher_cache.ts';
import { DType } from '../../gen/tgsage/v1/tensor.ts';
import { createLogger } from '../../services/common/log.ts';
import type { Security } from '../../services/common/security.ts';
import { resolveConfig, type ServiceName } from '../../services/config.ts';
import { TRAINER_POOL_OVERRIDES } from '../../services/controller/main.ts';
import { sharedState } from '../../services/common/shared-state.ts';
import { runServices, type RunningServices } from '../../services/registry.ts';
import { makeCa, makeLeaf, type Pem } from '../support/certs.ts';
import { activations, SMALL_GENOMES_SEED, TINY_STIMULI } from './real-services.ts';

const READ = 'read-token-0123456789abcdef';
const WRITE = 'write-token-0123456789abcdef';
const logger = createLogger({ service: 'test', level: 'silent' });

let dir: string;
let ca: Pem;
const running: RunningServices[] = [];
let controller: { port: number };
const open: TgsageClients[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tgsage-secure-'));
  ca = makeCa(dir, 'ca');
  const authFile = join(dir, 'tokens');
  writeFileSync(authFile, `read ${READ}\nwrite ${WRITE}\n`);
  const serviceToken = join(dir, 'service-token');
  writeFileSync(serviceToken, `${WRITE}\n`);
  const security = (leaf: Pem): Security => ({
    tls: { cert: leaf.cert, key: leaf.key, ca: ca.cert, clientAuth: true },
    authFile,
    tokenFile: serviceToken,
  });
  const address: Partial<Record<ServiceName, string>> = {};
  for (const name of ['teacher-cache', 'scorer', 'trainer'] as const) {
    // the trainer's certificate names only the DNS name the controller resolves, as a pod's would
    const leaf = name === 'trainer' ? makeLeaf(dir, name, ca, ['tgsage-trainer'], false) : makeLeaf(dir, name, ca);
    const config = resolveConfig({
      dataDir: join(dir, 'data'),
      logLevel: 'silent',
      drainTimeoutMs: 2000,
      teacherCacheAddress: address['teacher-cache'],
      scorerAddress: address.scorer,
      security: security(leaf),
    });
    const r = await runServices([name], config, { logger, signals: false, port: 0 });
    running.push(r);
    address[name] = r.services[0]!.address;
  }
  const trainerPort = Number(address.trainer!.split(':')[1]);
  const ctl = makeLeaf(dir, 'controller', ca);
  // the production start path, with the DNS answer injected
  const shared = sharedState();
  shared.set(TRAINER_POOL_OVERRIDES, { resolve: async (host: string) => (host === 'tgsage-trainer' ? ['127.0.0.1'] : []), healthIntervalMs: 500 });
  const ctlRun = await runServices(
    ['search-controller'],
    resolveConfig({
      dataDir: join(dir, 'controller-data'),
      logLevel: 'silent',
      drainTimeoutMs: 2000,
      trainerAddress: `dns:///tgsage-trainer:${trainerPort}`,
      scorerAddress: address.scorer!,
      teacherCacheAddress: address['teacher-cache']!,
      security: security(ctl),
    }),
    { logger, signals: false, port: 0, shared },
  );
  running.push(ctlRun);
  controller = { port: ctlRun.services[0]!.port };
  const user = makeLeaf(dir, 'user', ca);
  const writer = createTgsageClients(
    { teacherCache: address['teacher-cache'], controller: `127.0.0.1:${controller.port}` },
    { security: { tls: { ca: ca.cert, cert: user.cert, key: user.key }, tokenFile: serviceToken } },
  );
  open.push(writer);
  await writer.teacherCache.createTeacher(
    (async function* (): AsyncGenerator<CreateTeacherRequest> {
      const a = activations(1, TINY_STIMULI, 12);
      yield { message: { $case: 'header', value: { id: 'tiny', description: '', numStimuli: TINY_STIMULI, stimulusIds: [], rdmMethod: 0, storeGram: false, repetitions: false, missingRepetitions: false, ceilingSplits: 0, ceilingSeed: 0, tgLayers: [] } } };
      yield { message: { $case: 'chunk', value: { layer: 'L0', dtype: DType.DTYPE_FLOAT32, shape: [TINY_STIMULI, 12], data: Buffer.from(a.buffer) } } };
    })(),
  );
});

after(async () => {
  for (const c of open) c.close();
  for (const r of running.reverse()) await r.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('whole system with mutual TLS and tokens', () => {
  it('runs a search end to end; a read-only client watches it and may not stop it', async () => {
    const user = makeLeaf(dir, 'user2', ca);
    const tls = { ca: ca.cert, cert: user.cert, key: user.key };
    const readFile = join(dir, 'read-token');
    writeFileSync(readFile, READ);
    const writeFile = join(dir, 'write-token');
    writeFileSync(writeFile, WRITE);
    const ctlAddress = `127.0.0.1:${controller.port}`;
    const writer = createTgsageClients({ controller: ctlAddress }, { security: { tls, tokenFile: writeFile } });
    const reader = createTgsageClients({ controller: ctlAddress }, { security: { tls, tokenFile: readFile }, retryMaxAttempts: 1 });
    open.push(writer, reader);
    const study = await writer.controller.createStudy({
      config: StudyConfig.fromPartial({
        space: SearchSpace.SEARCH_SPACE_CONVNET,
        strategy: { strategy: { $case: 'random', value: {} } },
        score: ScoreKind.SCORE_KIND_P_TG,
        alpha: 0.5,
        stepsPerTrial: 2,
        numTrials: 2,
        teacherId: 'tiny',
        seed: SMALL_GENOMES_SEED,
        dataset: { name: 'mnist', numValidation: 50 },
        training: { batchSize: 8 },
      }),
    });
    await assert.rejects(reader.controller.stopStudy({ studyId: study.id }), (e: unknown) => e instanceof ClientError && e.code === Status.PERMISSION_DENIED);
    const run = (async () => {
      for await (const _ of writer.controller.runStudy({ studyId: study.id }));
    })();
    const kinds: string[] = [];
    for await (const e of reader.controller.watchStudy({ studyId: study.id })) kinds.push(e.event?.$case ?? '');
    await run;
    assert.equal(kinds[0], 'snapshot');
    assert.equal(kinds.at(-1), 'studyFinished');
    const done = await reader.controller.getStudy({ studyId: study.id });
    assert.equal(done.state, StudyState.STUDY_STATE_FINISHED, done.error);
    assert.equal(done.trials.length, 2);
    for (const t of done.trials) {
      assert.equal(t.state, TrialState.TRIAL_STATE_COMPLETED, t.error);
      assert.equal(t.trainer, `127.0.0.1:${running[2]!.services[0]!.port}`);
      assert.ok(t.tg! >= -1 && t.tg! <= 1 && t.p! >= 0 && t.p! <= 1);
      assert.equal(t.attempts, 1);
    }
  });
});
