// Runs test/neural/reference.py (numpy / scipy float64) with Debian's python3.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/cli.ts';

export function pythonReference<T>(request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', [join(REPO_ROOT, 'test', 'neural', 'reference.py')], { maxBuffer: 1 << 28 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`reference.py failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as T);
    });
    child.stdin!.end(JSON.stringify(request, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v)));
  });
}

/** [R][N][D] nested arrays of a repetition-major layer (NaN kept). */
export function nested(data: Float32Array, R: number, n: number, d: number): number[][][] {
  return Array.from({ length: R }, (_, r) =>
    Array.from({ length: n }, (_, i) => Array.from(data.subarray((r * n + i) * d, (r * n + i + 1) * d))),
  );
}
