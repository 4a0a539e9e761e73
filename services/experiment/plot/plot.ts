// One description of a chart panel, drawn two ways: as inline SVG for the HTML report (hover titles, crisp at any
// size) and as pixels for a PNG (services/controller/report/png.ts's encoder) that can be committed, attached and
// viewed anywhere. Panels: lines with shaded interval bands (correlation against budget; best accuracy against
// steps), and point clouds (early score against final accuracy). Optional log-scaled x axis, horizontal reference
// lines (e.g. the noise floor of "final").

import { encodePng } from '../../controller/report/png.ts';
import { escapeXml, niceTicks } from '../../controller/report/svg.ts';
import { GLYPH_H, GLYPH_W, glyph } from './font.ts';

export interface PlotPoint {
  x: number;
  y: number;
  /** Hover text (SVG). */
  label?: string;
}

export interface PlotSeries {
  name: string;
  /** #rrggbb */
  color: string;
  kind: 'line' | 'points';
  points: PlotPoint[];
  /** Shaded interval around a line: lo/hi at each x (x increasing). */
  band?: { x: number; lo: number; hi: number }[];
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  logX?: boolean;
  series: PlotSeries[];
  /** Horizontal reference lines. */
  hlines?: { y: number; label: string; color: string }[];
  yRange?: [number, number];
}

interface Frame {
  /** Legend entries' positions (relative to the panel), wrapped to the panel's width. */
  legend: { x: number; y: number; name: string; color: string }[];
  W: number;
  H: number;
  m: { l: number; r: number; t: number; b: number };
  sx: (x: number) => number;
  sy: (y: number) => number;
  xTicks: number[];
  yTicks: number[];
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : String(Number(v.toPrecision(3))));

function logTicks(lo: number, hi: number, xs: number[]): number[] {
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  if (distinct.length > 0 && distinct.length <= 9) return distinct;
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

const LEGEND_CHAR = 6.5;

function frame(p: Panel, W: number, H: number): Frame {
  const m = { l: 56, r: 14, t: 44, b: 42 };
  const legend: Frame['legend'] = [];
  let lx = m.l;
  let ly = 26;
  for (const s of p.series) {
    const w = 24 + s.name.length * LEGEND_CHAR;
    if (lx > m.l && lx + w > W - m.r) {
      lx = m.l;
      ly += 14;
    }
    legend.push({ x: lx, y: ly, name: s.name, color: s.color });
    lx += w;
  }
  m.t = ly + 18;
  const xs = p.series.flatMap((s) => [...s.points.map((q) => q.x), ...(s.band ?? []).map((b) => b.x)]).filter(Number.isFinite);
  const ys = p.series
    .flatMap((s) => [...s.points.map((q) => q.y), ...(s.band ?? []).flatMap((b) => [b.lo, b.hi])])
    .concat((p.hlines ?? []).map((h) => h.y))
    .filter(Number.isFinite);
  const logX = p.logX === true && xs.every((x) => x > 0);
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (x1 <= x0) [x0, x1] = logX ? [x0 / 2, x1 * 2] : [x0 - 0.5, x1 + 0.5];
  const tx = (x: number) => (logX ? Math.log(x) : x);
  const padX = (tx(x1) - tx(x0)) * 0.03;
  const X0 = tx(x0) - padX;
  const X1 = tx(x1) + padX;
  let [y0, y1] = p.yRange ?? (ys.length ? [Math.min(...ys), Math.max(...ys)] : [0, 1]);
  if (!p.yRange) {
    if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
    const pad = (y1 - y0) * 0.05;
    [y0, y1] = [y0 - pad, y1 + pad];
  }
  const sx = (x: number) => m.l + ((tx(x) - X0) / (X1 - X0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const xTicks = logX ? logTicks(x0, x1, xs) : niceTicks(x0, x1, 6).filter((t) => t >= x0 - 1e-9 && t <= x1 + 1e-9);
  const yTicks = niceTicks(y0, y1, 5).filter((t) => t >= y0 - 1e-9 && t <= y1 + 1e-9);
  return { legend, W, H, m, sx, sy, xTicks, yTicks };
}

/** The panel as an inline SVG element. */
export function panelSvg(p: Panel, W = 560, H = 320): string {
  const f = frame(p, W, H);
  const { m, sx, sy } = f;
  const o: string[] = [];
  o.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(p.title)}">`);
  o.push(`<text x="${m.l}" y="16" class="ctitle">${escapeXml(p.title)}</text>`);
  for (const t of f.yTicks) {
    o.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}"/>`);
    o.push(`<text class="tick" x="${m.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of f.xTicks) {
    o.push(`<line class="axis" x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${H - m.b}" y2="${H - m.b + 4}"/>`);
    o.push(`<text class="tick" x="${sx(t).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  o.push(`<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}"/>`);
  o.push(`<line class="axis" x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}"/>`);
  o.push(`<text class="alabel" x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">${escapeXml(p.xLabel)}</text>`);
  o.push(`<text class="alabel" transform="translate(13 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(p.yLabel)}</text>`);
  for (const h of p.hlines ?? []) {
    o.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${sy(h.y).toFixed(1)}" y2="${sy(h.y).toFixed(1)}" stroke="${h.color}" stroke-dasharray="2 3"/>`);
    o.push(`<text class="tick" x="${W - m.r - 2}" y="${(sy(h.y) - 3).toFixed(1)}" text-anchor="end">${escapeXml(h.label)}</text>`);
  }
  for (const e of f.legend) {
    o.push(`<g class="legend"><rect x="${e.x}" y="${e.y}" width="10" height="10" fill="${e.color}"/><text x="${e.x + 14}" y="${e.y + 9}">${escapeXml(e.name)}</text></g>`);
  }
  for (const s of p.series) {
    const band = (s.band ?? []).filter((b) => Number.isFinite(b.lo) && Number.isFinite(b.hi));
    if (band.length > 1) {
      const up = band.map((b) => `${sx(b.x).toFixed(1)},${sy(b.hi).toFixed(1)}`);
      const down = [...band].reverse().map((b) => `${sx(b.x).toFixed(1)},${sy(b.lo).toFixed(1)}`);
      o.push(`<polygon class="band" points="${[...up, ...down].join(' ')}" fill="${s.color}" fill-opacity="0.18" stroke="none"/>`);
    }
    const pts = s.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y));
    if (s.kind === 'line' && pts.length > 1) {
      o.push(
        `<polyline class="line" points="${pts.map((q) => `${sx(q.x).toFixed(1)},${sy(q.y).toFixed(1)}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    const r = s.kind === 'points' ? 3 : 2.5;
    for (const q of pts) {
      o.push(`<circle class="pt" cx="${sx(q.x).toFixed(1)}" cy="${sy(q.y).toFixed(1)}" r="${r}" fill="${s.color}" fill-opacity="${s.kind === 'points' ? 0.7 : 1}">${q.label ? `<title>${escapeXml(q.label)}</title>` : ''}</circle>`);
    }
  }
  o.push('</svg>');
  return o.join('\n');
}

// ---- raster ----

type RGB = [number, number, number];

function hex(c: string): RGB {
  const v = /^#?([0-9a-f]{6})$/i.exec(c)?.[1] ?? '808080';
  return [parseInt(v.slice(0, 2), 16), parseInt(v.slice(2, 4), 16), parseInt(v.slice(4, 6), 16)];
}

/** An RGB canvas with the few primitives the plots need. */
export class Canvas {
  readonly rgb: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rgb = new Uint8Array(width * height * 3).fill(255);
  }
  blend(x: number, y: number, c: RGB, a = 1): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const k = (y * this.width + x) * 3;
    for (let i = 0; i < 3; i++) this.rgb[k + i] = Math.round(this.rgb[k + i]! * (1 - a) + c[i]! * a);
  }
  rect(x0: number, y0: number, w: number, h: number, c: RGB, a = 1): void {
    for (let y = Math.round(y0); y < Math.round(y0 + h); y++) for (let x = Math.round(x0); x < Math.round(x0 + w); x++) this.blend(x, y, c, a);
  }
  disc(cx: number, cy: number, r: number, c: RGB, a = 1): void {
    for (let y = Math.floor(cy - r); y <= Math.ceil(cy + r); y++) {
      for (let x = Math.floor(cx - r); x <= Math.ceil(cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) this.blend(x, y, c, a);
    }
  }
  /** A line of width ~2 px (dashed: on 6, off 4). */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB, width = 2, dashed = false): void {
    const len = Math.hypot(x1 - x0, y1 - y0);
    const n = Math.max(1, Math.ceil(len * 2));
    for (let i = 0; i <= n; i++) {
      const t = i / n;
      if (dashed && (t * len) % 10 > 6) continue;
      const x = x0 + (x1 - x0) * t;
      const y = y0 + (y1 - y0) * t;
      if (width <= 1) this.blend(x, y, c);
      else this.rect(x - width / 2, y - width / 2, width, width, c);
    }
  }
  /** Fills between two curves given at increasing pixel x (lo/hi are pixel y). */
  band(pts: { x: number; lo: number; hi: number }[], c: RGB, a: number): void {
    for (let k = 0; k + 1 < pts.length; k++) {
      const p = pts[k]!;
      const q = pts[k + 1]!;
      for (let x = Math.round(p.x); x < Math.round(q.x); x++) {
        const t = (x - p.x) / (q.x - p.x || 1);
        const lo = p.lo + (q.lo - p.lo) * t;
        const hi = p.hi + (q.hi - p.hi) * t;
        for (let y = Math.round(Math.min(lo, hi)); y <= Math.round(Math.max(lo, hi)); y++) this.blend(x, y, c, a);
      }
    }
  }
  /** Text at (x, y) = top-left (align left), centre or right; `vertical` draws bottom-to-top. */
  text(x: number, y: number, s: string, c: RGB, o: { scale?: number; align?: 'left' | 'center' | 'right'; vertical?: boolean } = {}): void {
    const k = o.scale ?? 1;
    const w = s.length * (GLYPH_W + 1) * k - k;
    const start = o.align === 'center' ? -w / 2 : o.align === 'right' ? -w : 0;
    [...s].forEach((ch, i) => {
      const ink = glyph(ch);
      for (let row = 0; row < GLYPH_H; row++) {
        for (let col = 0; col < GLYPH_W; col++) {
          if (!ink(col, row)) continue;
          const u = start + (i * (GLYPH_W + 1) + col) * k;
          const v = row * k;
          if (o.vertical) this.rect(x + v, y - u - k, k, k, c);
          else this.rect(x + u, y + v, k, k, c);
        }
      }
    });
  }
}

const INK: RGB = [40, 40, 40];
const GRID: RGB = [225, 225, 225];

/** Draws a panel into the canvas region (ox, oy, W, H). */
export function drawPanel(cv: Canvas, p: Panel, ox: number, oy: number, W: number, H: number): void {
  const f = frame(p, W, H);
  const { m } = f;
  const sx = (x: number) => ox + f.sx(x);
  const sy = (y: number) => oy + f.sy(y);
  cv.text(ox + m.l, oy + 6, p.title, INK, { scale: 2 });
  for (const t of f.yTicks) {
    cv.line(ox + m.l, sy(t), ox + W - m.r, sy(t), GRID, 1);
    cv.text(ox + m.l - 5, sy(t) - 3, fmt(t), INK, { align: 'right' });
  }
  for (const t of f.xTicks) {
    cv.line(sx(t), oy + H - m.b, sx(t), oy + H - m.b + 4, INK, 1);
    cv.text(sx(t), oy + H - m.b + 8, fmt(t), INK, { align: 'center' });
  }
  cv.line(ox + m.l, oy + H - m.b, ox + W - m.r, oy + H - m.b, INK, 1);
  cv.line(ox + m.l, oy + m.t, ox + m.l, oy + H - m.b, INK, 1);
  cv.text(ox + (m.l + W - m.r) / 2, oy + H - 14, p.xLabel, INK, { align: 'center' });
  cv.text(ox + 6, oy + (m.t + H - m.b) / 2, p.yLabel, INK, { align: 'center', vertical: true });
  for (const h of p.hlines ?? []) {
    cv.line(ox + m.l, sy(h.y), ox + W - m.r, sy(h.y), hex(h.color), 1, true);
    cv.text(ox + W - m.r - 2, sy(h.y) - 9, h.label, hex(h.color), { align: 'right' });
  }
  for (const e of f.legend) {
    cv.rect(ox + e.x, oy + e.y, 9, 9, hex(e.color));
    cv.text(ox + e.x + 13, oy + e.y + 1, e.name, INK);
  }
  for (const s of p.series) {
    const c = hex(s.color);
    const band = (s.band ?? []).filter((b) => Number.isFinite(b.lo) && Number.isFinite(b.hi));
    if (band.length > 1) cv.band(band.map((b) => ({ x: sx(b.x), lo: sy(b.lo), hi: sy(b.hi) })), c, 0.18);
  }
  for (const s of p.series) {
    const c = hex(s.color);
    const pts = s.points.filter((q) => Number.isFinite(q.x) && Number.isFinite(q.y));
    if (s.kind === 'line') {
      for (let k = 0; k + 1 < pts.length; k++) cv.line(sx(pts[k]!.x), sy(pts[k]!.y), sx(pts[k + 1]!.x), sy(pts[k + 1]!.y), c, 2, s.dashed);
      for (const q of pts) cv.disc(sx(q.x), sy(q.y), 2.5, c);
    } else {
      for (const q of pts) cv.disc(sx(q.x), sy(q.y), 3, c, 0.7);
    }
  }
}

/** Panels side by side (cols per row) as PNG bytes. */
export function panelsPng(panels: Panel[], o: { cols?: number; width?: number; height?: number } = {}): Buffer {
  const cols = Math.max(1, Math.min(o.cols ?? panels.length, panels.length));
  const W = o.width ?? 560;
  const H = o.height ?? 340;
  const rows = Math.ceil(panels.length / cols);
  const cv = new Canvas(W * cols, H * rows);
  panels.forEach((p, i) => drawPanel(cv, p, (i % cols) * W, Math.floor(i / cols) * H, W, H));
  return encodePng(cv.width, cv.height, cv.rgb);
}
