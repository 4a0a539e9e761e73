// Pure pieces of the CLI: argument parsing, tables, the marked similarity matrix, progress output.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { collectLayer } from '../../clients/cli/layers.ts';
import { formatBytes, matrixTable, table } from '../../clients/cli/format.ts';
import { createProgress } from '../../clients/cli/progress.ts';
import { describeError } from '../../clients/cli/errors.ts';
import { ClientError, Status } from 'nice-grpc';

function sink(isTTY: boolean) {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY?: boolean; columns?: number; cursorTo?: unknown; clearLine?: unknown; moveCursor?: unknown };
  stream.isTTY = isTTY;
  stream.columns = 120;
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

describe('CLI formatting', () => {
  it('parses repeatable --layer NAME=FILE and rejects malformed ones', () => {
    assert.deepEqual(collectLayer('b=/x/y=z.npy', collectLayer('a=a.npy')), [
      { name: 'a', path: 'a.npy' },
      { name: 'b', path: '/x/y=z.npy' },
    ]);
    assert.throws(() => collectLayer('noequals'), /NAME=FILE\.npy/);
    assert.throws(() => collectLayer('=file.npy'), /NAME=FILE\.npy/);
    assert.throws(() => collectLayer('name='), /NAME=FILE\.npy/);
  });

  it('aligns tables and marks the best cell of each column', () => {
    assert.equal(table(['a', 'bb'], [['xxx', '1'], ['y', '22']], ['l', 'r']), 'a    bb\n---  --\nxxx   1\ny    22');
    const text = matrixTable({ rows: ['c1', 'c2'], columns: ['t1', 't2'], values: [0.1, 0.9, 0.5, -0.25], marked: [1, 0] });
    const lines = text.split('\n');
    assert.match(lines[2]!, /^c1\s+0\.1000\s+0\.9000\*$/);
    assert.match(lines[3]!, /^c2\s+0\.5000\*\s+-0\.2500$/);
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.50 KiB');
    assert.equal(formatBytes(64 * 1024 * 1024), '64.0 MiB');
  });

  it('progress: a bar on a terminal, one line per finished layer otherwise', () => {
    const tty = sink(true);
    const bar = createProgress(2048, tty.stream, 'upload');
    bar.start('conv1', 2048);
    bar.advance(1024);
    bar.advance(1024);
    bar.finish('sent conv1');
    bar.stop();
    assert.match(tty.text(), /upload conv1 \[.*\] 100% \| 2\.00 KiB\/2\.00 KiB/);
    const plain = sink(false);
    const lines = createProgress(2048, plain.stream, 'upload');
    lines.start('conv1', 2048);
    lines.advance(2048);
    lines.finish('sent conv1 10x51 float32 (2.00 KiB)');
    lines.stop();
    assert.equal(plain.text(), 'upload: sent conv1 10x51 float32 (2.00 KiB)\n');
  });

  it('describes gRPC errors as CODE: message', () => {
    assert.equal(describeError(new ClientError('/x.Y/Z', Status.NOT_FOUND, 'teacher "t" not found')), 'error: NOT_FOUND: teacher "t" not found');
    assert.equal(describeError(new TypeError('boom')), 'error: TypeError: boom');
  });
});
