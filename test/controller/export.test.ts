// ExportStudy's pieces: any text, cut so that every piece fits a gRPC message and no character is split.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXPORT_PIECE_CHARS, textPieces } from '../../services/controller/export.ts';

describe('export pieces', () => {
  it('concatenate to the text, never split a surrogate pair, and stay within 1 MiB of UTF-8', () => {
    const texts = [
      '',
      'a',
      'ab'.repeat(10),
      // astral characters (surrogate pairs) at every offset against a small piece size
      '𝔸x😀y'.repeat(50),
      '😀'.repeat(101),
      'é€𝄞'.repeat(77),
    ];
    for (const text of texts) {
      for (const max of [2, 3, 4, 7, 64]) {
        const pieces = [...textPieces(text, max)];
        assert.equal(pieces.join(''), text);
        assert.ok(pieces.length >= 1);
        for (const p of pieces) {
          assert.ok(p.length <= max, `${p.length} > ${max}`);
          // a lone surrogate would not survive UTF-8: the round trip shows it
          assert.equal(Buffer.from(p, 'utf8').toString('utf8'), p, JSON.stringify(p));
          if (text.length > 0) assert.ok(p.length > 0, 'no empty piece in a non-empty text');
        }
      }
    }
    assert.deepEqual([...textPieces('')], ['']);
    assert.throws(() => [...textPieces('abc', 1)], RangeError);
    // the default size: at most 1 MiB of UTF-8 even in the worst case (3-byte characters)
    const worst = '€'.repeat(EXPORT_PIECE_CHARS * 2 + 5);
    const pieces = [...textPieces(worst)];
    assert.equal(pieces.length, 3);
    for (const p of pieces) assert.ok(Buffer.byteLength(p, 'utf8') <= 1024 * 1024);
    const astral = '😀'.repeat(EXPORT_PIECE_CHARS);
    for (const p of textPieces(astral)) assert.ok(Buffer.byteLength(p, 'utf8') <= 1024 * 1024);
  });
});
