// Structured logs: one JSON object per line (time, level, service, msg, fields). A logger is made per process or
// per test and handed down; there is no global logger. Long strings in fields are cut (services/common/bounded-text.ts).
import { boundStrings } from './bounded-text.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogFields = Record<string, unknown>;

export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function isLogLevel(s: string): s is LogLevel {
  return Object.hasOwn(rank, s);
}

export interface LoggerOptions {
  /** Service name written on every line. */
  service: string;
  /** Lowest level written (default info). */
  level?: LogLevel;
  /** Where lines go (default stderr). */
  write?: (line: string) => void;
  /** Extra fields on every line. */
  fields?: LogFields;
}

/** Errors become { name, message, stack, code } so that they survive JSON.stringify. */
function plain(value: unknown, depth = 0): unknown {
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: boundStrings(value.message), stack: boundStrings(value.stack) };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out['code'] = boundStrings(code);
    if (value.cause !== undefined && depth < 4) out['cause'] = plain(value.cause, depth + 1);
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  return boundStrings(value);
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? 'info';
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const base = { service: options.service, ...options.fields };
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields) => {
    if (rank[lvl] < rank[level]) return;
    const record: LogFields = { time: new Date().toISOString(), level: lvl, ...base, msg: boundStrings(msg) };
    if (fields) for (const [k, v] of Object.entries(fields)) record[k] = plain(v);
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch {
      line = JSON.stringify({ time: record['time'], level: lvl, ...base, msg, note: 'fields not serialisable' });
    }
    write(line + '\n');
  };
  return {
    level,
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (fields) => createLogger({ ...options, fields: { ...options.fields, ...fields } }),
  };
}

/** A logger that writes nothing (tests, embedding). */
export function silentLogger(service = 'test'): Logger {
  return createLogger({ service, level: 'silent' });
}
