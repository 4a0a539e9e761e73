// Plain-text output: aligned tables, byte sizes, and the similarity matrix with each column's best cell marked.

export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (align?.[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export interface MatrixView {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  /** Row-major values, rows x columns. */
  readonly values: readonly number[];
  /** For each column, the index of the marked row (or -1). */
  readonly marked: readonly number[];
}

/** Candidate layers down, teacher layers across; the best candidate for each teacher layer marked with `*`. */
export function matrixTable(m: MatrixView, corner = 'candidate \\ teacher'): string {
  const rows = m.rows.map((name, r) => [
    name,
    ...m.columns.map((_, c) => {
      const v = m.values[r * m.columns.length + c]!;
      return `${Number.isFinite(v) ? v.toFixed(4) : String(v)}${m.marked[c] === r ? '*' : ' '}`;
    }),
  ]);
  return table([corner, ...m.columns.map((c) => `${c} `)], rows, ['l', ...m.columns.map(() => 'r' as const)]);
}
