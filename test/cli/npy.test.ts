import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { encodeNpy, openNpy, parseNpyHeader, readNpy, readNpyHeader, writeNpy, NpyError } from '../../clients/cli/npy.ts';

const PY = '/usr/bin/python3';

function filled(n: number, Ctor: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array) {
  const a = new Ctor(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.37) * 10 + i / 7;
  return a;
}

describe('npy', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tgsage-npy-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips float32 and float64 through encode/read, with header aligned to 64 bytes', async () => {
    for (const Ctor of [Float32Array, Float64Array]) {
      const data = filled(3 * 5 * 2, Ctor);
      const path = join(dir, `rt-${Ctor.name}.npy`);
      await writeNpy(path, data, [3, 5, 2]);
      const bytes = await readFile(path);
      const header = await readNpyHeader(path);
      assert.equal(header.dataOffset % 64, 0);
      assert.equal(bytes[header.dataOffset - 1], 0x0a, 'header ends with a newline');
      assert.deepEqual(header.shape, [3, 5, 2]);
      assert.deepEqual(header.version, [1, 0]);
      const back = await readNpy(path);
      assert.equal(back.header.dtype, Ctor === Float32Array ? 'float32' : 'float64');
      assert.deepEqual(Array.from(back.data), Array.from(data));
    }
  });

  it('reads format 2.0 and 3.0 headers and old 16-byte padding', async () => {
    const data = filled(12);
    for (const [version, align] of [[2, 64], [3, 64], [1, 16]] as const) {
      const path = join(dir, `v${version}-${align}.npy`);
      await writeNpy(path, data, [4, 3], { version, align });
      const back = await readNpy(path);
      assert.deepEqual(back.header.version, [version, 0]);
      assert.equal(back.header.dataOffset % align, 0);
      assert.deepEqual(Array.from(back.data), Array.from(data));
    }
  });

  it('streams in chunks of whole elements no larger than asked', async () => {
    const data = filled(1001, Float64Array);
    const path = join(dir, 'chunks.npy');
    await writeNpy(path, data, [7, 143]);
    const { header, chunks } = await openNpy(path);
    const sizes: number[] = [];
    const parts: Buffer[] = [];
    for await (const c of chunks({ chunkBytes: 1000 })) {
      sizes.push(c.length);
      parts.push(c);
    }
    assert.ok(sizes.every((s) => s <= 1000 && s % 8 === 0));
    assert.equal(sizes.reduce((a, b) => a + b, 0), header.byteLength);
    const joined = Buffer.concat(parts);
    assert.deepEqual(Array.from(new Float64Array(joined.buffer, joined.byteOffset, 1001)), Array.from(data));
  });

  it('reads what NumPy writes (v1, v2, float16) and NumPy reads what we write', async () => {
    const script = `
import numpy as np, sys
from numpy.lib import format as f
d = sys.argv[1]
a = (np.arange(24, dtype=np.float64).reshape(2, 3, 4) * 0.5 - 3)
np.save(d + '/np1.npy', a.astype('<f4'))
with open(d + '/np2.npy', 'wb') as fh:
    f.write_array(fh, a, version=(2, 0))
np.save(d + '/np16.npy', a.astype('<f2'))
np.save(d + '/fortran.npy', np.asfortranarray(a))
np.save(d + '/big.npy', a.astype('>f4'))
np.save(d + '/int.npy', a.astype('<i4'))
b = np.load(d + '/ours.npy')
assert b.dtype == np.float32 and b.shape == (5, 2), (b.dtype, b.shape)
assert np.array_equal(b, (np.arange(10, dtype=np.float32) / 3).reshape(5, 2))
c = np.load(d + '/ours2.npy')
assert c.dtype == np.float64 and c.shape == (10,)
print('ok')
`;
    const ours = new Float32Array(10).map((_, i) => i / 3);
    await writeNpy(join(dir, 'ours.npy'), ours, [5, 2]);
    await writeNpy(join(dir, 'ours2.npy'), new Float64Array(10).map((_, i) => i), [10], { version: 2 });
    assert.equal(execFileSync(PY, ['-c', script, dir]).toString().trim(), 'ok');

    const expected = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
    const v1 = await readNpy(join(dir, 'np1.npy'));
    assert.equal(v1.header.dtype, 'float32');
    assert.deepEqual(v1.header.shape, [2, 3, 4]);
    assert.deepEqual(Array.from(v1.data), expected);
    const v2 = await readNpy(join(dir, 'np2.npy'));
    assert.deepEqual(v2.header.version, [2, 0]);
    assert.equal(v2.header.dtype, 'float64');
    assert.deepEqual(Array.from(v2.data), expected);
    const h = await readNpy(join(dir, 'np16.npy'));
    assert.equal(h.header.dtype, 'float16');
    assert.equal(h.data.length, 24);
    assert.equal(h.data[0], 0xc200); // -3.0 in binary16

    await assert.rejects(readNpyHeader(join(dir, 'fortran.npy')), (e: unknown) => {
      assert.ok(e instanceof NpyError);
      assert.match(e.message, /Fortran order/);
      return true;
    });
    await assert.rejects(readNpyHeader(join(dir, 'big.npy')), /unsupported dtype '>f4'/);
    await assert.rejects(readNpyHeader(join(dir, 'int.npy')), /unsupported dtype '<i4'/);
  });

  it('rejects bad magic, unknown versions, truncated files and trailing bytes', async () => {
    const good = encodeNpy(filled(6), [2, 3]);
    await writeFile(join(dir, 'trunc.npy'), good.subarray(0, good.length - 4));
    await assert.rejects(readNpyHeader(join(dir, 'trunc.npy')), /truncated/);
    await writeFile(join(dir, 'trail.npy'), Buffer.concat([good, Buffer.alloc(3)]));
    await assert.rejects(readNpyHeader(join(dir, 'trail.npy')), /trailing/);
    await writeFile(join(dir, 'magic.npy'), Buffer.from('hello world, not numpy'));
    await assert.rejects(readNpyHeader(join(dir, 'magic.npy')), /bad magic/);
    const v9 = Buffer.from(good);
    v9[6] = 9;
    assert.throws(() => parseNpyHeader(v9), /version 9\.0/);
    assert.equal(parseNpyHeader(good.subarray(0, 20)), undefined, 'a short prefix asks for more bytes');
    assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /6 elements/);
  });
});
