import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx, readIdxFile, IdxFormatError } from '../../services/data/idx.ts';
import { loadIdxDirectory } from '../../services/data/sources.ts';
import { FailedPreconditionError } from '../../services/common/errors.ts';

/** Hand-written IDX bytes (independent of encodeIdx): magic 0x00000803, dims big-endian. */
function handIdx3(count: number, rows: number, cols: number, fill: (i: number) => number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(rows, 8);
  header.writeUInt32BE(cols, 12);
  const data = Buffer.alloc(count * rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = fill(i);
  return Buffer.concat([header, data]);
}

function handIdx1(labels: number[]): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(labels.length, 4);
  return Buffer.concat([header, Buffer.from(labels)]);
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'tgsage-idx-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('parses IDX images and labels, gzipped or not', async () => {
  await withDir(async (dir) => {
    const images = handIdx3(3, 2, 4, (i) => (i * 7) % 256);
    await writeFile(join(dir, 'a-idx3-ubyte'), images);
    await writeFile(join(dir, 'b-idx3-ubyte.gz'), gzipSync(images));
    for (const name of ['a-idx3-ubyte', 'b-idx3-ubyte.gz']) {
      const arr = await readIdxFile(join(dir, name));
      assert.deepEqual(arr.dims, [3, 2, 4]);
      assert.equal(arr.data.length, 24);
      assert.equal(arr.data[5], 35);
      assert.equal(arr.data[23], (23 * 7) % 256);
    }
    const labels = parseIdx(handIdx1([1, 0, 9]), 'labels');
    assert.deepEqual(labels.dims, [3]);
    assert.deepEqual([...labels.data], [1, 0, 9]);
    assert.deepEqual(Buffer.from(encodeIdx([3, 2, 4], images.subarray(16))), images);
  });
});

test('rejects bad magic, unsupported types and wrong sizes, naming the file', () => {
  const good = handIdx3(2, 2, 2, () => 1);
  const badMagic = Buffer.from(good);
  badMagic[0] = 0x12;
  assert.throws(() => parseIdx(badMagic, 'x.idx'), (e: unknown) => e instanceof IdxFormatError && /^x.idx: bad IDX magic number 0x12000803/.test(e.message));
  const floats = Buffer.from(good);
  floats[2] = 0x0d;
  assert.throws(() => parseIdx(floats, 'f'), /f: IDX type 0x0d \(float32\) is not supported/);
  assert.throws(() => parseIdx(good.subarray(0, good.length - 1), 't'), /t: IDX dimensions 2x2x2 need 8 data bytes but the file has 7 \(truncated\?\)/);
  assert.throws(() => parseIdx(Buffer.concat([good, Buffer.from([0])]), 'l'), /need 8 data bytes but the file has 9$/);
  assert.throws(() => parseIdx(good.subarray(0, 10), 'h'), /h: truncated IDX header/);
  assert.throws(() => parseIdx(Buffer.from([0, 0]), 's'), /too short/);
});

test('loads an IDX directory; missing files and mismatches are FailedPrecondition with a hint', async () => {
  await withDir(async (dir) => {
    const how = 'install it somehow';
    await assert.rejects(loadIdxDirectory(join(dir, 'nope'), 'idx', how), (e: unknown) => {
      assert.ok(e instanceof FailedPreconditionError);
      assert.match(e.message, /dataset idx: directory .*nope not found; install it somehow/);
      return true;
    });
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(handIdx3(4, 3, 3, (i) => i)));
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), handIdx1([0, 1, 2, 1]));
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), handIdx3(2, 3, 3, () => 255));
    await assert.rejects(loadIdxDirectory(dir, 'idx', how), /has no t10k-labels-idx1-ubyte\[.gz\]; install it somehow/);
    await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(handIdx1([2, 0, 1])));
    await assert.rejects(loadIdxDirectory(dir, 'idx', how), (e: unknown) => {
      assert.ok(e instanceof FailedPreconditionError);
      assert.match(e.message, /t10k-labels-idx1-ubyte.gz: 3 labels for 2 images/);
      return true;
    });
    await writeFile(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(handIdx1([2, 0])));
    const source = await loadIdxDirectory(dir, 'idx', how);
    assert.equal(source.train.count, 4);
    assert.equal(source.train.height, 3);
    assert.deepEqual([...source.train.labels], [0, 1, 2, 1]);
    assert.equal(source.train.images[9], 9);
    assert.equal(source.test?.count, 2);
  });
});
