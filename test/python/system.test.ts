// The Python clients (trainer, controller, search spaces, Optuna) against all four real services on 127.0.0.1:0 in
// this process, with Debian's /usr/bin/python3 and python3-optuna: clients/python/tests_system (a tiny Optuna study
// with TPE included). The teacher is the controller tests' tiny uploaded one.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startRealServices, TINY_STIMULI, type RealServices } from '../controller/real-services.ts';
import { REPO_ROOT } from '../support/cli.ts';

const PY = '/usr/bin/python3';
const run = promisify(execFile);

describe('Python clients against the whole system', () => {
  let services: RealServices;
  before(async () => {
    services = await startRealServices(['teacher-cache', 'scorer', 'trainer', 'search-controller']);
  });
  after(async () => {
    await services?.close();
  });

  it('trainer, controller, spaces and an Optuna study from Python', async () => {
    const a = services.address;
    const env = {
      ...process.env,
      TGSAGE_TEACHER_CACHE_ADDR: a['teacher-cache'],
      TGSAGE_SCORER_ADDR: a.scorer,
      TGSAGE_TRAINER_ADDR: a.trainer,
      TGSAGE_CONTROLLER_ADDR: a['search-controller'],
      TGSAGE_TEST_TEACHER: 'tiny',
      TGSAGE_TEST_STIMULI: String(TINY_STIMULI),
      PYTHONDONTWRITEBYTECODE: '1',
    };
    try {
      const { stderr } = await run(PY, ['-m', 'unittest', 'discover', '-s', 'clients/python/tests_system', '-v'], { cwd: REPO_ROOT, env, maxBuffer: 16 << 20 });
      assert.match(stderr, /\nOK\b/);
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string };
      assert.fail(`python unittest failed:\n${e.stderr ?? ''}\n${e.stdout ?? ''}`);
    }
  });
});
