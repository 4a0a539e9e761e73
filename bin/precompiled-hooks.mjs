// Module hooks (registered by bin/tgsage.mjs when dist/js/manifest.json exists): a .ts module of this checkout whose
// SHA-1 matches the manifest scripts/precompile.mjs wrote is served as that script's JavaScript, under its own URL
// (import.meta.url and relative paths stay those of the .ts file); any other module goes on to tsx.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

let root = '';
let dist = '';
/** @type {Record<string, string>} */
let files = {};

export async function initialize(data) {
  root = data.root;
  dist = data.dist;
  files = JSON.parse(await readFile(new URL('manifest.json', dist), 'utf8')).files;
}

export async function load(url, context, nextLoad) {
  if (url.startsWith(root) && url.endsWith('.ts')) {
    const rel = decodeURIComponent(url.slice(root.length));
    const hash = files[rel];
    if (hash !== undefined) {
      const source = await readFile(new URL(url));
      if (createHash('sha1').update(source).digest('hex') === hash) {
        return { format: 'module', source: await readFile(new URL(`${rel.slice(0, -3)}.js`, dist)), shortCircuit: true };
      }
    }
  }
  return nextLoad(url, context);
}
