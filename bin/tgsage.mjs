#!/usr/bin/env node
// Launcher for the `tgsage` command: registers tsx's ESM loader in this process and runs the TypeScript CLI. Where
// the sources were precompiled (scripts/precompile.mjs: the container image does it at build time, into dist/js;
// TGSAGE_PRECOMPILED_DIR names another directory), that JavaScript is served for them first
// (bin/precompiled-hooks.mjs), so a start transpiles nothing; tsx handles any source not there or changed since.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
const dir = process.env.TGSAGE_PRECOMPILED_DIR;
const dist = dir ? pathToFileURL(`${dir.replace(/\/$/, '')}/`) : new URL('../dist/js/', import.meta.url);
if (existsSync(new URL('manifest.json', dist))) {
  register('./precompiled-hooks.mjs', import.meta.url, { data: { root: new URL('../', import.meta.url).href, dist: dist.href } });
}
const { main } = await import('../clients/cli/main.ts');
process.exitCode = await main(process.argv);
