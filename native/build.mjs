#!/usr/bin/env node
// Builds every native/src/*.c and native/src/*.cc into its own Node-API addon native/build/<name>.node with the
// system compiler (gcc / g++), against the plain Node-API C header. Nothing here is required: when the compiler, the
// Node headers or a library is missing, the addon is skipped with a one-line warning and the build exits 0, and the
// code falls back to the tfjs backends.
//
// Per-source options live in a comment line in the source itself:   // build: -lopenblas -pthread
// Libraries named there are checked before compiling (a header named `// needs: cblas.h` likewise).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, extname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, 'src');
const outDir = join(here, 'build');
const force = process.argv.includes('--force');

function warn(msg) {
  console.warn(`native: ${msg}`);
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function nodeIncludeDir() {
  const candidates = [
    process.env.NODE_API_INCLUDE,
    join(dirname(dirname(process.execPath)), 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'node_api.h'))) ?? null;
}

function headerExists(compiler, header, includes) {
  const probe = spawnSync(compiler, ['-x', compiler.endsWith('++') ? 'c++' : 'c', '-E', '-', ...includes], {
    input: `#include <${header}>\n`,
    encoding: 'utf8',
  });
  return probe.status === 0;
}

function libraryExists(compiler, lib) {
  const probe = spawnSync(compiler, ['-x', 'c', '-', '-o', '/dev/null', lib], {
    input: 'int main(void){return 0;}\n',
    encoding: 'utf8',
  });
  return probe.status === 0;
}

function directives(source, key) {
  const re = new RegExp(`^\\s*//\\s*${key}:(.*)$`, 'gm');
  return [...source.matchAll(re)].flatMap((m) => m[1].trim().split(/\s+/).filter(Boolean));
}

function main() {
  if (!existsSync(srcDir)) return;
  const sources = readdirSync(srcDir).filter((f) => ['.c', '.cc', '.cpp'].includes(extname(f))).sort();
  if (sources.length === 0) return;
  const include = nodeIncludeDir();
  if (!include) {
    warn('node_api.h not found (install nodejs headers); skipping native addons, using the tfjs backends');
    return;
  }
  mkdirSync(outDir, { recursive: true });
  for (const file of sources) {
    const name = basename(file, extname(file));
    const isCxx = extname(file) !== '.c';
    const compiler = which(isCxx ? (process.env.CXX ?? 'g++') : (process.env.CC ?? 'gcc'));
    if (!compiler) {
      warn(`${file}: no ${isCxx ? 'C++' : 'C'} compiler found; skipping`);
      continue;
    }
    const srcPath = join(srcDir, file);
    const outPath = join(outDir, `${name}.node`);
    if (!force && existsSync(outPath) && statSync(outPath).mtimeMs > statSync(srcPath).mtimeMs) continue;
    const source = readFileSync(srcPath, 'utf8');
    const flags = directives(source, 'build');
    const needs = directives(source, 'needs');
    const includes = [`-I${include}`, ...flags.filter((f) => f.startsWith('-I'))];
    const missingHeader = needs.find((h) => !headerExists(compiler, h, includes));
    if (missingHeader) {
      warn(`${file}: header <${missingHeader}> not found; skipping ${name}.node`);
      continue;
    }
    const missingLib = flags.filter((f) => f.startsWith('-l')).find((l) => !libraryExists(compiler, l));
    if (missingLib) {
      warn(`${file}: library ${missingLib} not found; skipping ${name}.node`);
      continue;
    }
    const args = [
      ...(isCxx ? ['-std=c++17'] : ['-std=c11']),
      '-O3',
      '-fPIC',
      '-shared',
      '-Wall',
      '-DNAPI_VERSION=8',
      `-I${include}`,
      srcPath,
      '-o',
      outPath,
      ...flags,
    ];
    const r = spawnSync(compiler, args, { encoding: 'utf8' });
    if (r.status !== 0) {
      warn(`${file}: compile failed; skipping ${name}.node\n${(r.stderr ?? '').split('\n').slice(0, 20).join('\n')}`);
      continue;
    }
    if (r.stderr) process.stderr.write(r.stderr);
    console.log(`native: built ${join('native', 'build', `${name}.node`)}`);
  }
}

try {
  main();
} catch (err) {
  warn(`build skipped: ${err instanceof Error ? err.message : String(err)}`);
}
process.exit(0);
