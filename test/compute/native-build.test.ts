// native/build.mjs must never fail an install: without a compiler it warns in one line per addon and exits 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

describe('native build', () => {
  it('skips cleanly (exit 0, one-line warning) when the compiler is missing', () => {
    const r = spawnSync(process.execPath, ['native/build.mjs', '--force'], {
      encoding: 'utf8',
      env: { ...process.env, CC: 'tgsage-no-such-cc', CXX: 'tgsage-no-such-cxx' },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^native: tgsage_blas\.c: no C compiler found; skipping$/m);
  });

  it('is a no-op when the addons are up to date', () => {
    const r = spawnSync(process.execPath, ['native/build.mjs'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
