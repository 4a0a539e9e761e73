// tgsage's version: package.json's, read once (what Info reports and `tgsage --version` prints).
import { readFileSync } from 'node:fs';

let cachedVersion: string | undefined;

export function tgsageVersion(): string {
  if (cachedVersion === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = pkg.version ?? '0.0.0';
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return cachedVersion;
}
