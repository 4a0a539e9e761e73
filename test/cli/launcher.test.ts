// bin/tgsage.mjs with precompiled sources (scripts/precompile.mjs, what the container image runs at build time): a
// source whose hash matches the manifest is served from the precompiled directory, under its own URL (relative
// paths of the .ts file keep working); a changed source goes through tsx.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../support/cli.ts';

const LAUNCHER = join(REPO_ROOT, 'bin', 'tgsage.mjs');
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('tgsage launcher with precompiled sources', () => {
  let dir: string;
  let js: string;
  const run = (args: string[]) =>
    execFileSync(process.execPath, [LAUNCHER, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TGSAGE_PRECOMPILED_DIR: js },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tgsage-precompiled-'));
    js = join(dir, 'js');
    execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'precompile.mjs'), js], { stdio: 'ignore' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles every source of clients/, services/ and gen/, with its hash', () => {
    const { files } = JSON.parse(readFileSync(join(js, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    for (const rel of ['clients/cli/main.ts', 'services/registry.ts', 'gen/tgsage/v1/scorer.ts']) {
      assert.match(files[rel] ?? '', /^[0-9a-f]{40}$/, rel);
      assert.ok(existsSync(join(js, rel.replace(/\.ts$/, '.js'))), rel);
    }
  });

  it('serves the precompiled JavaScript, and the real source once the source no longer matches', () => {
    // a marker only the precompiled copy has
    const compiled = join(js, 'services', 'common', 'version.js');
    const code = readFileSync(compiled, 'utf8');
    assert.match(code, /pkg\.version \?\? "0\.0\.0"/);
    writeFileSync(compiled, code.replace(/pkg\.version \?\? "0\.0\.0"/, '"from-precompiled"'));
    assert.equal(run(['--version']).trim(), 'from-precompiled');

    const manifestPath = join(js, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: Record<string, string> };
    manifest.files['services/common/version.ts'] = '0'.repeat(40);
    writeFileSync(manifestPath, JSON.stringify(manifest));
    assert.equal(run(['--version']).trim(), VERSION);
  });

  it('keeps paths relative to the .ts files (a dataset found through createRequire(import.meta.url))', () => {
    const out = join(dir, 'x.npy');
    run(['data', 'export', '--dataset', 'mnist', '--stimuli', '10', '--out', out]);
    assert.ok(readFileSync(out).length > 10 * 28 * 28);
  });
});
