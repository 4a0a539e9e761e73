// Bounds on text that leaves a process: gRPC status messages, quoted client values, log fields. A status message
// travels in an HTTP/2 header; past ~100 kB the call never completes and the whole connection stalls, so no status
// message may exceed STATUS_MESSAGE_MAX_BYTES (enforced in one place, the error middleware). Values a client sent are
// quoted as a short, escaped prefix.

/** Largest status message (UTF-8 bytes) a tgsage server sends. */
export const STATUS_MESSAGE_MAX_BYTES = 1024;
/** Longest quoted client value (characters before escaping). */
export const QUOTE_MAX_CHARS = 64;
/** Longest string written in a log field. */
export const LOG_STRING_MAX_CHARS = 4096;

/** `text` cut to at most `maxBytes` UTF-8 bytes (on a character boundary), with a note of how much was cut. */
export function boundBytes(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3 || Buffer.byteLength(text) <= maxBytes) return text;
  const note = (n: number) => ` … (${n} more bytes)`;
  const total = Buffer.byteLength(text);
  const budget = Math.max(0, maxBytes - Buffer.byteLength(note(total)));
  const bytes = Buffer.from(text);
  let end = budget;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return bytes.subarray(0, end).toString('utf8') + note(total - end);
}

/** A status message safe to send: control characters escaped, at most STATUS_MESSAGE_MAX_BYTES. */
export function boundStatusMessage(text: string): string {
  // eslint-disable-next-line no-control-regex
  return boundBytes(text.slice(0, 4 * STATUS_MESSAGE_MAX_BYTES).replace(/[\u0000-\u001f\u007f]/g, escapeChar), STATUS_MESSAGE_MAX_BYTES);
}

function escapeChar(c: string): string {
  return c === '\n' ? '\\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** A client value for an error message: JSON-escaped, at most `max` characters of it, and its length when cut. */
export function quote(value: string, max = QUOTE_MAX_CHARS): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}

/** `value` with every string longer than `max` cut (recursively through arrays and plain objects, depth-bounded). */
export function boundStrings(value: unknown, max = LOG_STRING_MAX_CHARS, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = value.slice(0, 100).map((v) => boundStrings(v, max, depth + 1));
    if (value.length > 100) out.push(`… (${value.length} items)`);
    return out;
  }
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = boundStrings(v, max, depth + 1);
  return out;
}
