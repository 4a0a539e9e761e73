// Upload progress on stderr: a cli-progress bar when stderr is a terminal, plain lines otherwise (logs, CI, pipes).

import cliProgress from 'cli-progress';
import { formatBytes } from './format.ts';

export interface Progress {
  /** A new item (layer) starts; `bytes` is its size. */
  start(item: string, bytes: number): void;
  /** `bytes` more of the current item were sent. */
  advance(bytes: number): void;
  /** The current item is complete; `detail` is printed in plain mode. */
  finish(detail: string): void;
  stop(): void;
}

export function createProgress(
  totalBytes: number,
  stream: NodeJS.WriteStream = process.stderr,
  label = 'upload',
): Progress {
  if (stream.isTTY !== true) return plainProgress(stream, label);
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${label} {item} [{bar}] {percentage}% | {sent}/{total_h} | {rate}`,
      hideCursor: true,
      clearOnComplete: false,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let sent = 0;
  let item = '';
  const payload = () => ({
    item,
    sent: formatBytes(sent),
    total_h: formatBytes(totalBytes),
    rate: `${formatBytes(sent / Math.max(1e-3, (Date.now() - started) / 1000))}/s`,
  });
  bar.start(Math.max(1, totalBytes), 0, payload());
  return {
    start: (name) => {
      item = name;
      bar.update(sent, payload());
    },
    advance: (bytes) => {
      sent += bytes;
      bar.update(sent, payload());
    },
    finish: () => bar.update(sent, payload()),
    stop: () => bar.stop(),
  };
}

function plainProgress(stream: NodeJS.WriteStream, label: string): Progress {
  return {
    start: () => {},
    advance: () => {},
    finish: (detail) => stream.write(`${label}: ${detail}\n`),
    stop: () => {},
  };
}

/** Progress that prints nothing (for --quiet and tests). */
export const silentProgress: Progress = { start() {}, advance() {}, finish() {}, stop() {} };
