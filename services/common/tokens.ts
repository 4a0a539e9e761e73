// Bearer tokens. A server reads its token table from a file (`--auth-file`): one `ROLE TOKEN` per line, ROLE `read`
// or `write`, `#` comments; a client presents the one token of its `--token-file`. Both files are read again when
// they change (a Kubernetes Secret is updated in place). Tokens are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export const ROLES = ['read', 'write'] as const;
export type Role = (typeof ROLES)[number];

/** Shortest token accepted in a token table: guessing must be hopeless. */
export const MIN_TOKEN_LENGTH = 16;

export interface TokenEntry {
  role: Role;
  digest: Buffer;
}

/** Parses a token table; throws naming the line at fault. */
export function parseTokenTable(text: string, source = 'auth file'): TokenEntry[] {
  const entries: TokenEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const [role, token, ...rest] = line.split(/\s+/);
    if (!ROLES.includes(role as Role) || !token || rest.length > 0) {
      throw new Error(`${source}:${i + 1}: expected "read TOKEN" or "write TOKEN"`);
    }
    if (token.length < MIN_TOKEN_LENGTH) throw new Error(`${source}:${i + 1}: token shorter than ${MIN_TOKEN_LENGTH} characters`);
    entries.push({ role: role as Role, digest: digest(token) });
  });
  if (entries.length === 0) throw new Error(`${source}: no tokens`);
  return entries;
}

const digest = (token: string): Buffer => createHash('sha256').update(token).digest();

/** The role of a presented token, comparing it with every entry in constant time; undefined if none matches. */
export function roleOf(entries: readonly TokenEntry[], token: string): Role | undefined {
  const d = digest(token);
  let role: Role | undefined;
  for (const e of entries) if (timingSafeEqual(d, e.digest) && (role === undefined || e.role === 'write')) role = e.role;
  return role;
}

/**
 * A value read from a file and parsed, read again when the file's mtime or size changes (looked at most once per
 * `checkMs`). A file that becomes unreadable or invalid keeps the last good value and reports through `onError`.
 */
export function watchedFile<T>(
  path: string,
  parse: (text: string) => T,
  o: { checkMs?: number; onError?: (message: string) => void } = {},
): () => T {
  const checkMs = o.checkMs ?? 1000;
  let value = parse(readFileSync(path, 'utf8')); // the first read fails loudly: a bad file is a start-up error
  let stamp = fileStamp(path);
  let checkedAt = Date.now();
  return () => {
    if (Date.now() - checkedAt < checkMs) return value;
    checkedAt = Date.now();
    try {
      const now = fileStamp(path);
      if (now !== stamp) {
        value = parse(readFileSync(path, 'utf8'));
        stamp = now;
      }
    } catch (e) {
      o.onError?.(`${path}: ${(e as Error).message} (keeping the last good version)`);
    }
    return value;
  };
}

function fileStamp(path: string): string {
  const s = statSync(path);
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}

/** A client's token file: its first non-comment line. */
export function parseClientToken(text: string, source = 'token file'): string {
  const line = text.split('\n').map((l) => l.replace(/#.*/, '').trim()).find(Boolean);
  if (!line) throw new Error(`${source}: no token`);
  if (/\s/.test(line)) throw new Error(`${source}: the token file holds just the token (no role)`);
  return line;
}
