// The Python client against real teacher-cache and scorer servers on 127.0.0.1:0, with Debian's /usr/bin/python3:
// the example (checked against the same data scored through the TS path) and the Python unittest suite.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runServices, type RunningServices } from '../../services/registry.ts';
import { resolveConfig } from '../../services/config.ts';
import { createTgsageClients, type TgsageClients } from '../../clients/ts/index.ts';
import { layerChunks, openLayers } from '../../clients/cli/layers.ts';
import { silentProgress } from '../../clients/cli/progress.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { keepaliveChannelOptions } from '../../services/common/keepalive.ts';

const PY = '/usr/bin/python3';
const run = promisify(execFile);

describe('Python client (tgsage_client)', () => {
  let dir: string;
  let running: RunningServices;
  let clients: TgsageClients;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tgsage-py-'));
    running = await runServices(['teacher-cache', 'scorer'], resolveConfig({ dataDir: join(dir, 'data'), logLevel: 'silent' }), {
      port: 0,
      signals: false,
    });
    const addr = (name: string) => running.services.find((s) => s.name === name)!.address;
    env = { ...process.env, TGSAGE_TEACHER_CACHE_ADDR: addr('teacher-cache'), TGSAGE_SCORER_ADDR: addr('scorer'), PYTHONDONTWRITEBYTECODE: '1' };
    clients = createTgsageClients({ teacherCache: addr('teacher-cache'), scorer: addr('scorer') });
  });

  after(async () => {
    clients?.close();
    await running?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the example uploads and scores; the TS path on the same files gives the same numbers', async () => {
    const save = join(dir, 'example');
    const { stdout } = await run(PY, ['clients/python/examples/upload_and_score.py', '--json', '--keep', '--save-dir', save, '--stimuli', '240', '--teacher-id', 'py-example'], { cwd: REPO_ROOT, env });
    const py = JSON.parse(stdout) as { tg: number; matrix: number[][]; candidateLayers: string[]; teacherLayers: string[]; best: { candidateLayer: string }[] };
    assert.deepEqual(py.candidateLayers, ['conv1', 'conv2', 'fc']);
    assert.deepEqual(py.teacherLayers, ['V4', 'IT']);
    assert.ok(py.tg > 0.2 && py.tg <= 1, `TG ${py.tg}`);
    assert.ok(py.matrix[0]!.every((v) => Math.abs(v) < 0.2), 'the noise layer matches nothing');

    // Upload the same teacher from the saved .npy files through TS, and score the same candidate through TS.
    const teacherLayers = await openLayers(['V4', 'IT'].map((name) => ({ name, path: join(save, `teacher_${name}.npy`) })));
    const candidateLayers = await openLayers(['conv1', 'conv2', 'fc'].map((name) => ({ name, path: join(save, `${name}.npy`) })));
    await clients.teacherCache.createTeacher(
      (async function* () {
        yield { message: { $case: 'header' as const, value: { id: 'ts-copy', description: '', numStimuli: 240, stimulusIds: [], rdmMethod: 0, storeGram: false } } };
        for await (const chunk of layerChunks(teacherLayers, silentProgress)) yield { message: { $case: 'chunk' as const, value: chunk } };
      })(),
    );
    for (const teacherId of ['py-example', 'ts-copy']) {
      const ts = await clients.scorer.scoreActivations(
        (async function* () {
          yield { message: { $case: 'header' as const, value: { teacherId, rdmMethod: 0, comparator: 0, teacherLayers: [] } } };
          for await (const chunk of layerChunks(candidateLayers, silentProgress)) yield { message: { $case: 'chunk' as const, value: chunk } };
        })(),
      );
      assert.ok(Math.abs(ts.tg - py.tg) < 1e-6, `${teacherId}: TS TG ${ts.tg} vs Python ${py.tg}`);
      ts.similarity.forEach((v, k) => assert.ok(Math.abs(v - py.matrix[Math.floor(k / 2)]![k % 2]!) < 1e-6, `${teacherId}: cell ${k}`));
      assert.deepEqual(ts.best.map((b) => b.candidateLayer), py.best.map((b) => b.candidateLayer));
    }
  });

  it('the Python unittest suite passes against the live services', async () => {
    try {
      await run(PY, ['-m', 'unittest', 'discover', '-s', 'clients/python/tests', '-v'], { cwd: REPO_ROOT, env });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      assert.fail(`python unittest failed:\n${e.stderr ?? ''}\n${e.stdout ?? ''}`);
    }
  });

  it('Python channels keep alive as TS channels do (same options), and options given replace the defaults', async () => {
    const script = [
      'import json, sys',
      "sys.path.insert(0, 'clients/python')",
      'from tgsage_client.security import channel, channel_options',
      "print(json.dumps([dict(channel_options()), dict(channel_options([('grpc.keepalive_time_ms', 5000)], 'tgsage.local'))]))",
      "channel('127.0.0.1:1').close()",
    ].join('\n');
    const { stdout } = await run(PY, ['-c', script], { cwd: REPO_ROOT, env });
    const [defaults, given] = JSON.parse(stdout) as Record<string, unknown>[];
    assert.deepEqual(defaults, keepaliveChannelOptions());
    assert.deepEqual(given, { ...keepaliveChannelOptions(), 'grpc.keepalive_time_ms': 5000, 'grpc.ssl_target_name_override': 'tgsage.local' });
  });
});
