// clients/python/examples/torch_teacher.py against a live teacher cache: exports the stimulus set with the CLI,
// trains a small PyTorch CNN, uploads its activations as a teacher. Skipped when Debian's python3 lacks torch.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/cli.ts';
import { startServices, tempDir, type TestServices } from '../support/services.ts';

const PY = '/usr/bin/python3';
const hasTorch = spawnSync(PY, ['-c', 'import torch, grpc, numpy'], { stdio: 'ignore' }).status === 0;

let dir: Awaited<ReturnType<typeof tempDir>>;
let services: TestServices;
before(async () => {
  dir = await tempDir('tgsage-torch-teacher-');
  services = await startServices(['teacher-cache'], { dataDir: join(dir.path, 'data') });
});
after(async () => {
  await services?.close();
  await dir?.remove();
});

test('torch_teacher.py uploads a PyTorch CNN teacher on the stimulus set', { skip: hasTorch ? false : 'no torch in /usr/bin/python3' }, async () => {
  // Asynchronous: the teacher cache runs in this process and must keep answering while the script runs.
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(
      PY,
      ['clients/python/examples/torch_teacher.py', '--id', 'torch-cnn', '--steps', '30', '--stimuli', '200', '--json', '--teacher-cache', services.address('teacher-cache')],
      { cwd: REPO_ROOT, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (status) => (clearTimeout(timer), resolve({ status, stdout, stderr })));
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { id: string; numStimuli: number; layers: { name: string; shape: number[] }[] };
  assert.equal(out.numStimuli, 200);
  assert.deepEqual(out.layers.map((l) => l.name), ['conv1', 'conv2', 'fc1']);
  const t = await services.clients.teacherCache.getTeacher({ id: 'torch-cnn' });
  assert.deepEqual(t.layers[0]!.shape, [200, 14, 14, 16]);
});
