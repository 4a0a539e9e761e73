// Heatmap pictures for the report: a viridis-like colour map and a minimal PNG encoder (8-bit RGB, no filtering,
// zlib from node:zlib), so a matrix becomes an inline `data:image/png;base64,...` URI with nothing to fetch.

import { deflateSync } from 'node:zlib';

/** Viridis anchor colours (matplotlib's, at 0, 1/8, ..., 1), interpolated linearly. */
export const VIRIDIS: ReadonlyArray<readonly [number, number, number]> = [
  [0x44, 0x01, 0x54],
  [0x48, 0x28, 0x78],
  [0x3e, 0x49, 0x89],
  [0x31, 0x68, 0x8e],
  [0x26, 0x82, 0x8e],
  [0x1f, 0x9e, 0x89],
  [0x35, 0xb7, 0x79],
  [0x6e, 0xce, 0x58],
  [0xfd, 0xe7, 0x25],
];

/** Colour of t in [0, 1] (clamped; NaN -> mid grey). */
export function viridis(t: number): [number, number, number] {
  if (Number.isNaN(t)) return [128, 128, 128];
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f)) as [number, number, number];
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** PNG bytes of a width x height RGB image (row-major, 3 bytes per pixel). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3) throw new RangeError(`encodePng: ${rgb.length} bytes for ${width}x${height}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter method variants, no interlace
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (width * 3 + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

export interface Heatmap {
  /** data:image/png;base64 URI. */
  uri: string;
  /** Value range the colours span (off-diagonal min and max). */
  min: number;
  max: number;
}

/**
 * A size x size matrix as a viridis PNG, scaled to its own off-diagonal range (RDM comparators work on ranks, so
 * per-map scaling shows the structure best); the zero diagonal is drawn at the low end.
 */
export function heatmapPng(values: ArrayLike<number>, size: number): Heatmap {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = values[i * size + j]!;
      if (i !== j && Number.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
  }
  if (!Number.isFinite(min)) [min, max] = [0, 1];
  const span = max > min ? max - min : 1;
  const rgb = new Uint8Array(size * size * 3);
  for (let k = 0; k < size * size; k++) rgb.set(viridis((values[k]! - min) / span), k * 3);
  return { uri: `data:image/png;base64,${encodePng(size, size, rgb).toString('base64')}`, min, max };
}

/** Decodes a proto RdmPreview's row-major float32 little-endian bytes, or undefined when the length is wrong. */
export function decodePreview(data: Uint8Array, size: number): Float32Array | undefined {
  if (size <= 0 || data.length !== size * size * 4) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return Float32Array.from({ length: size * size }, (_, k) => view.getFloat32(k * 4, true));
}
