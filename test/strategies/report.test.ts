import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { TrialState } from '../../gen/tgsage/v1/search_controller.ts';
import { renderReport } from '../../services/controller/report.ts';
import { describeGenome } from '../../services/controller/report/genome-text.ts';
import { crc32, decodePreview, encodePng, heatmapPng, viridis } from '../../services/controller/report/png.ts';
import { createRng } from '../../services/controller/strategies/rng.ts';
import { exampleStudy, syntheticRdm, TEACHER_LAYERS } from './report-fixture.ts';

const count = (html: string, re: RegExp) => (html.match(re) ?? []).length;

describe('report', () => {
  it('renders a self-contained page: SVG charts, one point per completed trial, no URLs, no scripts', () => {
    const { study, teacherRdms } = exampleStudy();
    const html = renderReport({ study, teacherRdms, generatedAt: new Date(Date.UTC(2026, 10, 28, 8)) });
    const completed = study.trials.filter((t) => t.state === TrialState.TRIAL_STATE_COMPLETED).length;
    assert.equal(completed, 37);
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(count(html, /<svg /g) >= 3);
    for (const cls of ['p', 'tg', 'ptg', 'best-p', 'best-ptg']) assert.equal(count(html, new RegExp(`class="pt ${cls}"`, 'g')), completed, cls);
    assert.doesNotMatch(html, /https?:/i);
    assert.doesNotMatch(html, /<script|<link|@import|url\((?!#)/i);
    // Heatmaps: one per teacher layer and one per matched candidate layer, as inline PNGs.
    assert.equal(count(html, /src="data:image\/png;base64,/g), TEACHER_LAYERS.length * 2);
    for (const l of TEACHER_LAYERS) assert.match(html, new RegExp(`teacher <b>${l}</b>`));
    // The best trial and the top table.
    const best = study.trials.find((t) => t.id === study.bestTrialId)!;
    assert.match(html, new RegExp(`Best trial</div><div class="big">#${best.number}<`));
    assert.equal(count(html, /<tr><td>\d+<\/td><td>#\d+<\/td>/g), 10);
    mkdirSync('docs', { recursive: true });
    writeFileSync('docs/example-report.html', html);
  });

  it('escapes study names and genome text', () => {
    const { study } = exampleStudy('<img src=x onerror=alert(1)> & "quotes"');
    const html = renderReport({ study, generatedAt: new Date(0) });
    assert.doesNotMatch(html, /<img src=x/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;quotes&quot;/);
    assert.ok(html.includes('→')); // genome descriptions present
  });

  it('renders an empty study without failing', () => {
    const { study } = exampleStudy();
    const html = renderReport({ study: { ...study, trials: [], bestTrialId: '' } });
    assert.match(html, /No completed trials/);
    assert.equal(count(html, /class="pt /g), 0);
  });

  it('describes genomes compactly', () => {
    const { study } = exampleStudy();
    const g = study.trials[0]!.genome!;
    const text = describeGenome(g);
    assert.ok(g.space?.$case === 'convnet');
    assert.equal(text.split(' → ').length, g.space.value.layers.length + 1);
    assert.match(text, /^\d+k\d/);
  });
});

describe('report heatmaps', () => {
  it('encodes a valid PNG (signature, CRCs, pixels round-trip through inflate)', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926); // the standard CRC-32 check value
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
    const png = encodePng(2, 2, rgb);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    let off = 8;
    const chunks: Record<string, Buffer> = {};
    while (off < png.length) {
      const len = png.readUInt32BE(off);
      const type = png.subarray(off + 4, off + 8).toString('latin1');
      const data = png.subarray(off + 8, off + 8 + len);
      assert.equal(png.readUInt32BE(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)), type);
      chunks[type] = data;
      off += 12 + len;
    }
    assert.deepEqual(Object.keys(chunks), ['IHDR', 'IDAT', 'IEND']);
    assert.equal(chunks['IHDR']!.readUInt32BE(0), 2);
    const raw = inflateSync(chunks['IDAT']!);
    assert.deepEqual([...raw], [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 9, 9, 9]);
  });

  it('maps values through a viridis-like scale and decodes previews', () => {
    assert.deepEqual(viridis(0), [0x44, 0x01, 0x54]);
    assert.deepEqual(viridis(1), [0xfd, 0xe7, 0x25]);
    assert.deepEqual(viridis(2), viridis(1));
    const p = syntheticRdm('x', 1, createRng(1), 8);
    const v = decodePreview(p.data, 8)!;
    assert.equal(v[0], 0);
    assert.equal(v[1], v[8]);
    assert.equal(decodePreview(p.data, 9), undefined);
    const h = heatmapPng(v, 8);
    assert.ok(h.min >= 0 && h.max <= 2 && h.min < h.max);
    assert.match(h.uri, /^data:image\/png;base64,/);
  });
});
