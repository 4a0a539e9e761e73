#!/usr/bin/env node
// Transpiles the TypeScript the services and the CLI run (clients/, services/, gen/) to JavaScript once, into
// dist/js/<same path>.js, with a manifest of each source's SHA-1. bin/tgsage.mjs then serves those files for the
// .ts URLs (bin/precompiled-hooks.mjs) instead of transpiling every module at every start: the container image runs
// this at build time (its root filesystem is read-only and /tmp, where tsx caches, starts empty in each container).
// A source whose hash no longer matches its manifest entry goes through tsx as before, so a stale dist/ only costs time.
//
//   node scripts/precompile.mjs [outDir]      (default dist/js)
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = resolve(ROOT, process.argv[2] ?? 'dist/js');
const DIRS = ['clients', 'services', 'gen'];
const TSCONFIG = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));

// tsx's own esbuild (a runtime dependency's dependency), so that this also runs in a tree without dev dependencies
const require = createRequire(createRequire(import.meta.url).resolve('tsx'));
const { transformSync, version } = require('esbuild');

function* tsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== '__pycache__') yield* tsFiles(path);
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

const started = performance.now();
rmSync(OUT, { recursive: true, force: true });
const files = {};
for (const top of DIRS) {
  for (const path of tsFiles(join(ROOT, top))) {
    const source = readFileSync(path);
    const rel = relative(ROOT, path);
    const { code } = transformSync(source.toString('utf8'), {
      // what tsx does for a .ts module (its defaults), with the repository's compiler options
      loader: 'ts',
      format: 'esm',
      target: `node${process.versions.node}`,
      sourcefile: path,
      sourcemap: 'inline',
      keepNames: true,
      tsconfigRaw: { compilerOptions: TSCONFIG.compilerOptions },
    });
    const out = join(OUT, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, code);
    files[rel] = createHash('sha1').update(source).digest('hex');
  }
}
writeFileSync(join(OUT, 'manifest.json'), JSON.stringify({ esbuild: version, node: process.versions.node, files }));
const shown = relative(ROOT, OUT).startsWith('..') ? OUT : relative(ROOT, OUT);
console.error(`precompiled ${Object.keys(files).length} TypeScript files into ${shown} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
