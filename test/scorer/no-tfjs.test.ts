// `tgsage serve scorer` as a child process, with every module it loads logged (test/support/import-log.mjs): a scorer
// computing on BLAS loads no tfjs at all, and no scorer loads the trainer or the teacher cache's wiring.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { tempDir } from '../support/services.ts';

test('a scorer process loads neither tfjs (on BLAS) nor the trainer nor the teacher cache wiring', async () => {
  const dir = await tempDir('tgsage-no-tfjs-');
  const log = join(dir.path, 'imports.log');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--import', './test/support/import-log.mjs', 'clients/cli/main.ts', 'serve', 'scorer', '--port', '0', '--data-dir', dir.path],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TGSAGE_IMPORT_LOG: log } },
  );
  try {
    let compute = '';
    for await (const line of createInterface({ input: child.stderr! })) {
      const rec = (() => {
        try {
          return JSON.parse(line) as { msg?: string; compute?: string };
        } catch {
          return {};
        }
      })();
      if (rec.msg === 'listening') {
        compute = rec.compute ?? '';
        break;
      }
    }
    assert.ok(compute, 'the scorer listened');
    const loaded = (await readFile(log, 'utf8')).split('\n');
    assert.ok(loaded.some((u) => u.includes('services/scorer/main.ts')), 'the log works');
    const offending = (re: RegExp) => [...new Set(loaded.filter((u) => re.test(u)))];
    // trainer/types.ts holds only types and the training defaults (the CLI's experiment flags show them): no code
    assert.deepEqual(offending(/services\/trainer\/(?!previews|types\.ts)|teacher-cache\/(main|compute-teacher)\.ts|tfjs-layers/), []);
    if (compute.startsWith('blas')) assert.deepEqual(offending(/@tensorflow/), []);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await dir.remove();
  }
});
