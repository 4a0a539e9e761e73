// Small inline-SVG charts for the report (no scripts, no external references): a chart frame with nice ticks, point
// series and step-line series. Each point carries a <title> so hovering shows its trial.

export interface ChartPoint {
  x: number;
  y: number;
  /** Hover text. */
  label: string;
}

export interface ChartSeries {
  name: string;
  color: string;
  /** CSS class for the marks (also lets tests count them). */
  cls: string;
  /** 'hline': a dashed horizontal line across the plot at points[0].y (a reference level, e.g. a noise ceiling). */
  kind: 'points' | 'step' | 'hline';
  points: ChartPoint[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  width?: number;
  height?: number;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(Math.abs(v) < 0.1 ? 3 : 2));

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const raw = (hi - lo) / count || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function range(values: number[], pad: number, snap: number): [number, number] {
  if (values.length === 0) return [0, 1];
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-12) [lo, hi] = [lo - 0.5 * (snap || 1), hi + 0.5 * (snap || 1)];
  const p = (hi - lo) * pad;
  lo -= p;
  hi += p;
  return snap > 0 ? [Math.floor(lo / snap) * snap, Math.ceil(hi / snap) * snap] : [lo, hi];
}

export function chart(o: ChartOptions): string {
  const W = o.width ?? 640;
  const H = o.height ?? 300;
  const m = { l: 52, r: 14, t: 34, b: 40 };
  const all = o.series.flatMap((s) => s.points);
  const [x0, x1] = range(o.series.filter((s) => s.kind !== 'hline').flatMap((s) => s.points).map((p) => p.x), 0.02, 0);
  const [y0, y1] = range(all.map((p) => p.y), 0.05, 0.05);
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const out: string[] = [];
  out.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(o.title)}">`);
  out.push(`<text x="${m.l}" y="16" class="ctitle">${escapeXml(o.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line class="grid" x1="${m.l}" x2="${W - m.r}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}"/>`);
    out.push(`<text class="tick" x="${m.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(x0, x1, 8).filter((t) => Number.isInteger(t))) {
    out.push(`<line class="axis" x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${H - m.b}" y2="${H - m.b + 4}"/>`);
    out.push(`<text class="tick" x="${sx(t).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  out.push(`<line class="axis" x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}"/>`);
  out.push(`<line class="axis" x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}"/>`);
  out.push(`<text class="alabel" x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`);
  out.push(`<text class="alabel" transform="translate(13 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(o.yLabel)}</text>`);
  let lx = W - m.r;
  for (const s of [...o.series].reverse()) {
    const w = 18 + s.name.length * 7;
    lx -= w;
    const mark =
      s.kind === 'points'
        ? `<circle cx="${lx + 5}" cy="12" r="4" fill="${s.color}"/>`
        : s.kind === 'hline'
        ? `<line x1="${lx}" x2="${lx + 12}" y1="12" y2="12" stroke="${s.color}" stroke-width="2" stroke-dasharray="4 3"/>`
        : `<line x1="${lx}" x2="${lx + 12}" y1="12" y2="12" stroke="${s.color}" stroke-width="2.5"/>`;
    out.push(`<g class="legend">${mark}<text x="${lx + 15}" y="16">${escapeXml(s.name)}</text></g>`);
  }
  for (const s of o.series) {
    if (s.kind === 'hline') {
      for (const p of s.points.slice(0, 1)) {
        const y = sy(p.y).toFixed(1);
        out.push(
          `<line class="hline ${s.cls}" x1="${m.l}" x2="${W - m.r}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2" stroke-dasharray="6 4"><title>${escapeXml(p.label)}</title></line>`,
        );
      }
      continue;
    }
    if (s.kind === 'step' && s.points.length > 0) {
      const pts = [...s.points].sort((a, b) => a.x - b.x);
      let d = `M${sx(pts[0]!.x).toFixed(1)},${sy(pts[0]!.y).toFixed(1)}`;
      for (const p of pts.slice(1)) d += ` H${sx(p.x).toFixed(1)} V${sy(p.y).toFixed(1)}`;
      out.push(`<path class="line ${s.cls}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
    const r = s.kind === 'points' ? 3.5 : 2.5;
    for (const p of s.points) {
      out.push(
        `<circle class="pt ${s.cls}" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="${r}" fill="${s.color}"><title>${escapeXml(p.label)}</title></circle>`,
      );
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

/** A horizontal colour-bar legend from a list of colour stops. */
export function colorBar(stops: ReadonlyArray<readonly [number, number, number]>, low: string, high: string, id = 'cbar'): string {
  const grad = stops
    .map((c, i) => `<stop offset="${((i / (stops.length - 1)) * 100).toFixed(1)}%" stop-color="rgb(${c.join(',')})"/>`)
    .join('');
  return [
    `<svg class="colorbar" viewBox="0 0 260 34" width="260" height="34" role="img" aria-label="colour scale">`,
    `<defs><linearGradient id="${id}" x1="0" x2="1" y1="0" y2="0">${grad}</linearGradient></defs>`,
    `<rect x="0" y="0" width="260" height="14" fill="url(#${id})"/>`,
    `<text class="tick" x="0" y="30">${escapeXml(low)}</text>`,
    `<text class="tick" x="260" y="30" text-anchor="end">${escapeXml(high)}</text>`,
    `</svg>`,
  ].join('');
}
