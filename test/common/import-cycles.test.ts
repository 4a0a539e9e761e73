// Dependencies point one way: no import cycle among services/ or clients/ (type-only and dynamic imports included).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { importCycles } from '../../scripts/import-cycles.ts';

test('services/ and clients/ have no import cycle', () => {
  assert.deepEqual(importCycles(['services']), []);
  assert.deepEqual(importCycles(['clients']), []);
});

test('the check finds a cycle through a type-only and a dynamic import', async () => {
  const root = await mkdtemp(join(tmpdir(), 'tgsage-cycles-'));
  try {
    await mkdir(join(root, 'pkg', 'a'), { recursive: true });
    await writeFile(join(root, 'pkg', 'registry.ts'), "export const f = () => import('./a/main.ts');\n");
    await writeFile(join(root, 'pkg', 'a', 'main.ts'), "import type { X } from '../registry.ts';\nexport type Y = X;\n");
    await writeFile(join(root, 'pkg', 'leaf.ts'), "import { f } from './registry.ts';\nexport const g = f;\n");
    assert.deepEqual(importCycles(['pkg'], root), [['pkg/a/main.ts', 'pkg/registry.ts']]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
