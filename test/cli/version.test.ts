// `tgsage --version` prints package.json's version, also when not run through npm (no npm_package_version).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

test('tgsage --version is package.json version', () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const env = { ...process.env };
  delete env['npm_package_version'];
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'clients/cli/main.ts', '--version'], { env, encoding: 'utf8' });
  assert.equal(out.trim(), version);
});
