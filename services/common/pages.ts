// Pagination of listings (ListTeachers, ListStudies): a response never grows with the number of stored items. The
// page token is opaque to clients: the key of the last item returned, so items added or removed between pages
// neither repeat nor shift the rest.
import { InvalidArgumentError } from './errors.ts';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

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
 * `before`).
 */
export function paginate<T>(
  items: readonly T[],
  key: (item: T) => string,
  request: { pageSize?: number; pageToken?: string },
  before: (a: string, b: string) => boolean = (a, b) => a < b,
): Page<T> {
  const size = request.pageSize || DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new InvalidArgumentError('page_size', `must be from 1 to ${MAX_PAGE_SIZE} (0 = ${DEFAULT_PAGE_SIZE}); got ${size}`);
  }
  let start = 0;
  if (request.pageToken) {
    const after = decodeToken(request.pageToken);
    const at = items.findIndex((item) => key(item) === after);
    start = at >= 0 ? at + 1 : items.findIndex((item) => before(after, key(item)));
    if (start < 0) start = items.length;
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
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
