// Trainer discovery: `--trainers` parsing and resolution (pure), and the pool following a changing set of trainers
// during a study — FAKE trainers (the Trainer protocol over real gRPC) on 127.0.0.2-127.0.0.4, all on one port as
// behind a headless Service, with an injected resolver whose answer the test changes: scale up, scale down, and a
// trainer killed mid-trial. Every trial ends COMPLETED exactly once: none lost, none trained to completion twice.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { StudyConfig, StudyState, TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import { createController } from '../../services/controller/controller.ts';
import { discoverTrainers, parseTrainerTargets, resolveTargets, type TrainerEndpoint } from '../../services/controller/discovery.ts';
import { trainerPool } from '../../services/controller/pool.ts';
import { memoryStorage } from '../../services/controller/storage.ts';
import { strategyProposers } from '../../services/controller/strategy-proposer.ts';
import { startFakeTrainer, type FakeTrainer, type FakeTrainerOptions } from './fake-trainer.ts';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

const HOSTS = ['127.0.0.2', '127.0.0.3', '127.0.0.4'] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

/** Three fake trainers on one port, one per loopback address (as the pods behind one headless Service). */
async function trainersOnOnePort(o: (host: string) => FakeTrainerOptions = () => ({})): Promise<{ port: number; t: FakeTrainer[] }> {
  for (let tries = 0; ; tries++) {
    const first = await startFakeTrainer(o(HOSTS[0]), 0, HOSTS[0]);
    const port = Number(first.address.split(':')[1]);
    try {
      const rest = await Promise.all(HOSTS.slice(1).map((h) => startFakeTrainer(o(h), port, h)));
      const t = [first, ...rest];
      cleanups.push(() => Promise.all(t.map((x) => x.close())).then(() => undefined));
      return { port, t };
    } catch (e) {
      await first.close();
      if (tries > 5) throw e;
    }
  }
}

function setup(port: number, answer: { ips: string[] }) {
  const storage = memoryStorage();
  let resolutions = 0;
  const pool = trainerPool({
    targets: [`dns:///trainers.test:${port}`],
    resolve: async (host) => {
      assert.equal(host, 'trainers.test');
      resolutions++;
      return [...answer.ips];
    },
    resolveIntervalMs: 50,
    healthIntervalMs: 0,
    retryBackoffMs: 10,
  });
  const controller = createController({ storage, pool, proposers: strategyProposers() });
  cleanups.push(async () => {
    await controller.close();
    pool.close();
  });
  return { storage, pool, controller, resolutions: () => resolutions };
}

const config = (over: Partial<StudyConfig> = {}) =>
  StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 20, numTrials: 12, parallelism: 3, seed: 11, ...over });

/** Every trial COMPLETED, each trained to a result exactly once across all trainers (+ `retried` more attempts). */
function assertNothingLostOrRepeated(controller: ReturnType<typeof createController>, id: string, t: FakeTrainer[], n: number) {
  const s = controller.getStudy(id);
  assert.equal(s.state, StudyState.STUDY_STATE_FINISHED);
  assert.equal(s.trials.length, n);
  for (const trial of s.trials) assert.equal(trial.state, TrialState.TRIAL_STATE_COMPLETED, `${trial.id}: ${trial.error}`);
  const results = t.flatMap((x) => x.results.map((r) => r.trialId));
  assert.deepEqual([...results].sort(), s.trials.map((x) => x.id).sort(), 'one result per trial');
  return s;
}

describe('trainer targets (pure)', () => {
  it('parses host:port and dns:/// targets, and names a bad entry', () => {
    assert.deepEqual(parseTrainerTargets(['10.0.0.1:50053', 'dns:///trainer:7', 'dns:t.x:8', '[::1]:9']), [
      { kind: 'fixed', address: '10.0.0.1:50053' },
      { kind: 'dns', host: 'trainer', port: 7 },
      { kind: 'dns', host: 't.x', port: 8 },
      { kind: 'fixed', address: '[::1]:9' },
    ]);
    for (const bad of ['trainer', 'dns:///trainer', 'dns:///t:0', 'dns:///t:70000', 'a:b']) {
      assert.throws(() => parseTrainerTargets([bad]), new RegExp(`--trainers: .*${JSON.stringify(bad).replace(/[[\]/]/g, '\\$&')}`));
    }
    assert.throws(() => parseTrainerTargets([]), /no trainer address/);
  });

  it('expands a name to one endpoint per address (IPv6 bracketed, duplicates merged) and reports failures', async () => {
    const signal = new AbortController().signal;
    const r = await resolveTargets(
      parseTrainerTargets(['dns:///a:1', 'dns:///bad:2', '127.0.0.9:3', 'dns:///a:1']),
      async (h) => {
        if (h === 'bad') throw new Error('ENOTFOUND bad');
        return ['10.1.0.2', 'fd00::5', '10.1.0.2'];
      },
      signal,
    );
    assert.deepEqual(r.endpoints, [
      { address: '10.1.0.2:1', serverName: 'a' },
      { address: '[fd00::5]:1', serverName: 'a' },
      { address: '127.0.0.9:3' },
    ]);
    assert.deepEqual(r.errors, ['bad: ENOTFOUND bad']);
  });

  it('keeps the last good answer when a re-resolution fails', async () => {
    let fail = false;
    const seen: TrainerEndpoint[][] = [];
    const errors: string[] = [];
    const d = discoverTrainers({
      targets: parseTrainerTargets(['dns:///a:1']),
      resolve: async () => {
        if (fail) throw new Error('SERVFAIL');
        return ['127.0.0.2'];
      },
      intervalMs: 1_000_000,
      onEndpoints: (e) => seen.push(e),
      onError: (m) => errors.push(m),
    });
    cleanups.push(() => d.stop());
    await d.refresh();
    fail = true;
    await d.refresh();
    assert.deepEqual(seen.at(-1), [{ address: '127.0.0.2:1', serverName: 'a' }]);
    assert.match(errors[0]!, /SERVFAIL.*keeping the last answer/);
  });
});

describe('the pool follows the trainers', () => {
  it('scale up mid-study: new trainers are used within one re-resolution', async () => {
    const { port, t } = await trainersOnOnePort(() => ({ msPerStep: 5 }));
    const answer = { ips: [HOSTS[0]] as string[] };
    const { controller, pool, resolutions } = setup(port, answer);
    await until('first resolution', () => pool.status().length === 1);
    const id = await controller.runStudy('', config());
    await until('a first trial done', () => t[0]!.results.length >= 1, 10_000);
    assert.equal(t[1]!.requests.length + t[2]!.requests.length, 0, 'not yet known');
    answer.ips = [...HOSTS];
    const r0 = resolutions();
    await until('three members', () => pool.status().length === 3);
    assert.ok(resolutions() - r0 <= 2, 'seen within one re-resolution');
    for await (const _ of controller.watch(id));
    const s = assertNothingLostOrRepeated(controller, id, t, 12);
    assert.ok(t[1]!.results.length > 0 && t[2]!.results.length > 0, 'the new trainers trained');
    assert.ok(s.trials.every((x) => x.attempts === 1));
    assert.deepEqual(new Set(s.trials.map((x) => x.trainer)), new Set(HOSTS.map((h) => `${h}:${port}`)));
  });

  it('scale down mid-study: a trainer that left finishes its trial, takes no new one, and leaves the pool', async () => {
    const { port, t } = await trainersOnOnePort(() => ({ msPerStep: 5 }));
    const answer = { ips: [...HOSTS] as string[] };
    const { controller, pool } = setup(port, answer);
    await until('three members', () => pool.status().length === 3);
    const id = await controller.runStudy('', config());
    await until('the third trainer busy', () => t[2]!.requests.length >= 1 && t[2]!.results.length === 0, 10_000);
    answer.ips = [HOSTS[0], HOSTS[1]];
    await until('the third marked leaving', () => pool.status().some((m) => m.leaving), 2000);
    const gone = `${HOSTS[2]}:${port}`;
    const taken = t[2]!.requests.length;
    await until('it finished its trial and left', () => !pool.status().some((m) => m.address === gone), 10_000);
    for await (const _ of controller.watch(id));
    assertNothingLostOrRepeated(controller, id, t, 12);
    assert.equal(t[2]!.requests.length, taken, 'no trial after it left discovery');
    assert.equal(t[2]!.results.length, taken, 'and the one it had, it finished');
    assert.deepEqual(pool.status().map((m) => m.address).sort(), [`${HOSTS[0]}:${port}`, `${HOSTS[1]}:${port}`]);
  });

  it('a trainer killed mid-trial: its trial is retried on a different trainer, nothing lost or repeated', async () => {
    let victim: FakeTrainer | undefined;
    const { port, t } = await trainersOnOnePort((host) => ({
      msPerStep: 5,
      // the first trial on 127.0.0.3 hangs until the trainer is killed
      hook: (_req, n) => (host === HOSTS[1] && n === 1 ? 'hang' : undefined),
    }));
    victim = t[1]!;
    const answer = { ips: [...HOSTS] as string[] };
    const { controller, pool } = setup(port, answer);
    await until('three members', () => pool.status().length === 3);
    const id = await controller.runStudy('', config());
    await until('the victim has a trial', () => victim!.requests.length === 1, 10_000);
    const killedTrial = victim.requests[0]!.trialId;
    await victim.close(); // like a pod killed: connections reset, then DNS forgets it
    answer.ips = [HOSTS[0], HOSTS[2]];
    for await (const _ of controller.watch(id));
    const s = assertNothingLostOrRepeated(controller, id, t, 12);
    const trial = s.trials.find((x) => x.id === killedTrial)!;
    assert.equal(trial.attempts, 2);
    assert.notEqual(trial.trainer, `${HOSTS[1]}:${port}`, 'retried on a different trainer');
    assert.equal(victim.results.length, 0);
    await until('the killed trainer left the pool', () => pool.status().length === 2);
  });
});
