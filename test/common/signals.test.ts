// A whole tgsage process: SIGTERM drains an in-flight upload, the process exits 0 and logs its shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTgsageClients, createTeacherRequests } from '../../clients/ts/index.ts';
import { randomMatrix } from '../support/reference.ts';
import { tempDir } from '../support/services.ts';

test('SIGTERM drains an in-flight upload, then the process exits 0', async () => {
  const dir = await tempDir();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../support/serve-fixture.ts', import.meta.url)), dir.path, 'teacher-cache', 'scorer'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', () => reject(new Error(`server exited early: ${stderr.join('\n')}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const [teacherCache, scorer] = JSON.parse(line) as string[];
  const clients = createTgsageClients({ teacherCache, scorer });
  try {
    assert.equal((await clients.health('scorer').check({ service: 'tgsage.v1.Scorer' })).status, 1);
    await clients.teacherCache.listTeachers({}); // connected
    // an upload that is still streaming when SIGTERM arrives completes
    let signalled!: () => void;
    const sent = new Promise<void>((r) => (signalled = r));
    async function* slowUpload() {
      const n = 10;
      for await (const m of createTeacherRequests({ id: 'late', numStimuli: n }, [{ name: 'a', shape: [n, 4], data: randomMatrix(n, 4, 1) }], { maxChunkBytes: 40 })) {
        yield m;
        if (m.message?.$case === 'header') {
          signalled();
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    }
    const upload = clients.teacherCache.createTeacher(slowUpload());
    await sent;
    await new Promise((r) => setTimeout(r, 100)); // the call has reached the server
    child.kill('SIGTERM');
    assert.equal((await upload).id, 'late');
    assert.equal(await exited, 0);
  } finally {
    clients.close();
    child.kill('SIGKILL');
    await dir.remove();
  }
  const logs = stderr.map((l) => JSON.parse(l) as { msg: string; service: string; compute?: string });
  assert.ok(logs.some((l) => l.msg === 'signal received'));
  assert.equal(logs.filter((l) => l.msg === 'stopped').length, 2);
  const listening = logs.filter((l) => l.msg === 'listening');
  assert.deepEqual(listening.map((l) => l.service), ['teacher-cache', 'scorer']);
  assert.ok(listening.every((l) => l.compute?.startsWith('cpu')));
});
