// Turns a callback-driven job (progress events, then a final value) into an async stream: the job's events are
// queued and yielded in order, then the final value; the job's error is thrown from the stream.

export async function* eventStream<E, R>(
  job: (emit: (event: E) => void) => Promise<R>,
  toFinal: (result: R) => E,
): AsyncGenerator<E> {
  const queue: E[] = [];
  let wake: (() => void) | undefined;
  let settled: { ok: true; value: R } | { ok: false; error: unknown } | undefined;
  job((event) => {
    queue.push(event);
    wake?.();
  }).then(
    (value) => {
      settled = { ok: true, value };
      wake?.();
    },
    (error: unknown) => {
      settled = { ok: false, error };
      wake?.();
    },
  );
  for (;;) {
    while (queue.length > 0) yield queue.shift()!;
    if (settled) break;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
  while (queue.length > 0) yield queue.shift()!;
  if (!settled.ok) throw settled.error;
  yield toFinal(settled.value);
}
