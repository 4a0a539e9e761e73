// Pagination of listings (ListTeachers, ListStudies, ListTrials): a response never grows with the number of stored
// items. The page token is opaque to clients: the key of the last item returned, so items added or removed between
// pages neither repeat nor shift the rest.
import { InvalidArgumentError } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/**
 * The largest response a listing (or a study's snapshot) sends: gRPC's default receive limit in every language, so
 * a client that changed no channel option can read it. Items are packed below it with room for the other fields.
 */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const ITEM_BYTES = MAX_RESPONSE_BYTES - 16 * 1024;

/** Bytes an encoded message of `bytes` takes as an element of a repeated field (tag and length prefix, at most). */
export function repeatedFieldBytes(bytes: number): number {
  return bytes + 6;
}

/**
 * Splits items into runs whose sizes (as `size` gives them) add up to at most `maxBytes`, the first run to at most
 * `maxBytes - firstTaken` (it shares its message with other fields); an item too large for that is a run of its
 * own. Order is kept. There is always a first run; only it may be empty (no items, or its first item does not fit
 * beside the other fields).
 */
export function packBySize<T>(
  items: readonly T[],
  size: (item: T) => number,
  maxBytes = ITEM_BYTES,
  firstTaken = 0,
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = firstTaken;
  for (const item of items) {
    const b = size(item);
    const closable = run.length > 0 || (runs.length === 0 && firstTaken > 0);
    if (closable && bytes + b > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(item);
    bytes += b;
  }
  if (run.length > 0 || runs.length === 0) runs.push(run);
  return runs;
}

export interface Page<T> {
  readonly items: T[];
  /** Empty when this is the last page. */
  readonly nextPageToken: string;
}

function encodeToken(key: string): string {
  return Buffer.from(JSON.stringify({ after: key })).toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError('page_token', 'is not a token from a previous response of this listing');
}

/**
 * One page of `items` (already in listing order; `key` unique per item). The page after a token starts after the
 * item with that key, or, when that item is gone, after the position it had (keys compared in listing order by
 * `before`). With `sizeOf` (an item's encoded bytes), the page also ends before the item that would take it past
 * MAX_RESPONSE_BYTES (it holds at least one item).
 */
export function paginate<T>(
  items: readonly T[],
  key: (item: T) => string,
  request: { pageSize?: number; pageToken?: string },
  before: (a: string, b: string) => boolean = (a, b) => a < b,
  sizeOf?: (item: T) => number,
  maxBytes = ITEM_BYTES,
): Page<T> {
  const pageSize = request.pageSize || DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new InvalidArgumentError('page_size', `must be from 1 to ${MAX_PAGE_SIZE} (0 = ${DEFAULT_PAGE_SIZE}); got ${pageSize}`);
  }
  let start = 0;
  if (request.pageToken) {
    const after = decodeToken(request.pageToken);
    const at = items.findIndex((item) => key(item) === after);
    start = at >= 0 ? at + 1 : items.findIndex((item) => before(after, key(item)));
    if (start < 0) start = items.length;
  }
  let page = items.slice(start, start + pageSize);
  if (sizeOf) {
    // sizes are measured one by one until the page is full, never for the whole listing
    let bytes = 0;
    const end = page.findIndex((item, i) => (bytes += sizeOf(item)) > maxBytes && i > 0);
    if (end >= 0) page = page.slice(0, end);
  }
  const more = start + page.length < items.length;
  return { items: page, nextPageToken: more ? encodeToken(key(page.at(-1)!)) : '' };
}

/** Every item of a paginated listing, following next_page_token. */
export async function allPages<T>(
  fetch: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
  maxPages = 100_000,
): Promise<T[]> {
  const out: T[] = [];
  let token = '';
  for (let i = 0; i < maxPages; i++) {
    const page = await fetch(token);
    out.push(...page.items);
    if (!page.nextPageToken) return out;
    token = page.nextPageToken;
  }
  throw new Error('listing did not end');
}
