// Backend selection: auto prefers the native addon, explicit names that cannot run fail cleanly with the reason.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { createBlasCompute } from '../../services/compute/blas.ts';
import { BackendUnavailableError, createCompute } from '../../services/compute/index.ts';
import type { BackendName } from '../../services/compute/types.ts';
import { BLAS_BUILT } from './backends.ts';

describe('backend selection', () => {
  it(`auto picks ${BLAS_BUILT ? 'blas (the addon is built)' : 'wasm (no addon)'} and reports details`, async () => {
    const lines: string[] = [];
    const c = await createCompute({ backend: 'auto', log: (l) => lines.push(l) });
    assert.equal(c.backend, BLAS_BUILT ? 'blas' : 'wasm');
    assert.ok(c.details.length > 0);
    if (BLAS_BUILT) assert.match(c.details, /OpenBLAS/);
    await c.dispose();
  });

  it('explicit blas with a missing addon fails with a clear message', () => {
    assert.throws(
      () => createBlasCompute({ addonPath: '/nonexistent/tgsage_blas.node' }),
      (err: unknown) => err instanceof BackendUnavailableError && /blas.*not built.*build:native/.test(err.message),
    );
  });

  for (const name of ['webgpu', 'tensorflow'] as const) {
    it(`${name} reports unavailability cleanly (no GPU / package here) or runs`, async () => {
      try {
        const c = await createCompute({ backend: name });
        assert.equal(c.backend, name); // a machine where it works
        await c.dispose();
      } catch (err) {
        assert.ok(err instanceof BackendUnavailableError, `expected BackendUnavailableError, got ${String(err)}`);
        assert.match(err.message, new RegExp(`backend '${name}' unavailable: .+`));
      }
    });
  }

  it('an unknown backend name is refused', async () => {
    await assert.rejects(createCompute({ backend: 'tpu' as BackendName }), /unknown compute backend 'tpu'/);
  });

  it('wasm runs multithreaded in Node (threads forced on) and reports SIMD and threads', async () => {
    const c = await createCompute({ backend: 'wasm' });
    assert.equal(c.backend, 'wasm');
    const m = /simd on; threads (\d+)/.exec(c.details);
    assert.ok(m, c.details);
    if (availableParallelism() > 1) assert.ok(Number(m[1]) >= 2, `expected >= 2 threads: ${c.details}`);
    // the pool's workers must not keep the process alive: this test file has to end on its own
    const n = 64;
    const x = new Float32Array(n * 300).map((_, i) => Math.sin(i * 0.37) + (i % 7));
    const r = await c.rdm({ data: x, n, d: 300 }, 'correlation');
    assert.equal(r.length, n * n);
  });
});
