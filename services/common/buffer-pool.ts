// Reuses large Float32Arrays between uploads. A fresh 64 MB layer costs more to fault in page by page than to fill
// (measured: copying 1 MiB chunks into fresh memory ~1.4 GB/s, into reused memory 3-12 GB/s), so the scorer hands
// each layer's buffer back once it has computed from it, and the next layer of the same size takes it. Buffers are
// not cleared: a taker must overwrite every element it reads (the layer assembler does; it yields only complete
// layers). After `idleReleaseMs` without a take or give the pool lets go of everything, so a burst of load does not
// leave the process holding its buffers.

export interface Float32Pool {
  /** A Float32Array of exactly `length` elements: a returned one if there is one, else a new (zeroed) one. */
  take(length: number): Float32Array;
  /** Hands `array` back; it must not be used afterwards. Kept only while the pool is under its byte limit. */
  give(array: Float32Array): void;
  /** Bytes held for reuse. */
  readonly retainedBytes: number;
  /** Lets go of every buffer held. */
  clear(): void;
}

export function createFloat32Pool(options: { maxRetainedBytes?: number; idleReleaseMs?: number } = {}): Float32Pool {
  const maxRetained = options.maxRetainedBytes ?? 256 * 1024 * 1024;
  const idleMs = options.idleReleaseMs ?? 0;
  // Most recently returned last; whole backing buffers only (views into something larger are never pooled).
  const free: Float32Array[] = [];
  let retained = 0;
  let timer: NodeJS.Timeout | undefined;
  const clear = () => {
    free.length = 0;
    retained = 0;
    clearTimeout(timer);
    timer = undefined;
  };
  const touched = () => {
    if (!(idleMs > 0)) return;
    clearTimeout(timer);
    timer = retained > 0 ? setTimeout(clear, idleMs).unref() : undefined;
  };
  return {
    take(length) {
      touched();
      for (let i = free.length - 1; i >= 0; i--) {
        if (free[i]!.length === length) {
          const [array] = free.splice(i, 1);
          retained -= array!.byteLength;
          return array!;
        }
      }
      return new Float32Array(length);
    },
    give(array) {
      if (array.byteOffset !== 0 || array.byteLength !== array.buffer.byteLength) return;
      if (array.byteLength > maxRetained || free.includes(array)) return;
      free.push(array);
      retained += array.byteLength;
      while (retained > maxRetained) retained -= free.shift()!.byteLength;
      touched();
    },
    clear,
    get retainedBytes() {
      return retained;
    },
  };
}
