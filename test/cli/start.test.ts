// `tgsage start`: each service in its own child process, health-checked, reported, and stopped by SIGTERM.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJson, runCli, REPO_ROOT } from '../support/cli.ts';

const MAIN = fileURLToPath(new URL('../../clients/cli/main.ts', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('tgsage start', () => {
  let dir: string;
  let parent: ChildProcess | undefined;
  let flags: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tgsage-start-'));
    // every address on a free port, so services a developer runs on the default ports do not answer `info`
    flags = ['--teacher-cache', `127.0.0.1:${await freePort()}`, '--scorer', `127.0.0.1:${await freePort()}`];
    flags.push('--trainer', `127.0.0.1:${await freePort()}`, '--controller', `127.0.0.1:${await freePort()}`);
  });
  after(async () => {
    if (parent && parent.exitCode === null) parent.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('starts teacher-cache and scorer as separate processes, reports them and a child that dies, stops on SIGTERM', async () => {
    parent = spawn(process.execPath, ['--import', 'tsx', MAIN, ...flags, '--json', 'start', '--services', 'teacher-cache,scorer', '--data-dir', join(dir, 'data'), '--log-level', 'warn'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    parent.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => parent!.on('exit', (code) => resolve(code)));
    const table = await new Promise<{ services: { service: string; address: string; pid: number; backend: string }[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in time; stderr: ${stderr}`)), 60_000);
      parent!.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        try {
          const value = JSON.parse(stdout);
          clearTimeout(timer);
          resolve(value);
        } catch {
          // not complete yet
        }
      });
      void exited.then((code) => reject(new Error(`start exited early (${code}); stderr: ${stderr}`)));
    });
    assert.deepEqual(table.services.map((s) => s.service), ['teacher-cache', 'scorer']);
    const pids = table.services.map((s) => s.pid);
    assert.equal(new Set([...pids, parent.pid]).size, 3, 'each service runs in its own process');
    assert.ok(table.services[1]!.backend !== '-' && table.services[1]!.backend !== '', 'the scorer reports its compute backend');

    const info = parseJson(await runCli([...flags, '--json', 'info']));
    const up = info.services.filter((s: { up: boolean }) => s.up).map((s: { service: string; pid: number }) => [s.service, s.pid]);
    assert.deepEqual(up, [['teacher-cache', pids[0]], ['scorer', pids[1]]]);

    // A child that dies is reported; the others keep serving until the supervisor is told to stop.
    process.kill(pids[1]!, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (!stderr.includes(`scorer (pid ${pids[1]}) exited on SIGKILL`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(stderr, new RegExp(`scorer \\(pid ${pids[1]}\\) exited on SIGKILL`));
    assert.equal((await runCli([...flags, 'teacher', 'list'])).code, 0, 'the teacher cache still serves');

    parent.kill('SIGTERM');
    assert.equal(await exited, 1, 'exit status 1 after a child failed');
    assert.ok(pids.every((pid) => !alive(pid)), 'children have exited');
  });
});
