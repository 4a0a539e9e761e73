// Per-study event hub. Several watchers; each gets a snapshot first (taken in the same tick as it subscribes, so no
// event is missed or repeated), then live events. A slow watcher never blocks the runner: its buffer is bounded and,
// when full, the oldest *progress* event is dropped (results, proposals and the final event are always delivered).
// A snapshot whose trials would not fit in one response is sent as a snapshot with the first of them, then
// snapshot_trials events with the rest (snapshotEvents).
import { Study, type StudyEvent, Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { packBySize, repeatedFieldBytes } from '../common/pages.ts';

export interface EventHub {
  /** Sends an event to every watcher. Never blocks. */
  publish(event: StudyEvent): void;
  /**
   * Watches: yields `snapshot()` (as snapshotEvents) then live events, until the final `studyFinished` event (or
   * `close()`, or the signal aborts). If the hub is already finished, yields the snapshot and the final event.
   */
  watch(snapshot: () => Study, signal?: AbortSignal): AsyncIterable<StudyEvent>;
  /** Ends every watcher after what it has buffered; later watchers get the snapshot and the last final event. */
  close(final?: StudyEvent): void;
  readonly watchers: number;
}

interface Watcher {
  queue: StudyEvent[];
  wake?: () => void;
  done: boolean;
}

export function eventHub(studyId: string, maxBuffered = 256): EventHub {
  const watchers = new Set<Watcher>();
  let finalEvent: StudyEvent | undefined;
  let closed = false;

  const push = (w: Watcher, e: StudyEvent): void => {
    w.queue.push(e);
    if (w.queue.length > maxBuffered) {
      // progress is dropped for a slow watcher; curve points are not (they are the trial's measurements)
      const i = w.queue.findIndex((x) => x.event?.$case === 'trialProgress' && !x.event.value.curvePoint);
      if (i >= 0) w.queue.splice(i, 1);
    }
    w.wake?.();
  };

  return {
    get watchers() {
      return watchers.size;
    },
    publish(e) {
      if (closed) return;
      for (const w of watchers) push(w, e);
    },
    close(final) {
      if (closed) return;
      closed = true;
      finalEvent = final;
      for (const w of watchers) {
        if (final) w.queue.push(final);
        w.done = true;
        w.wake?.();
      }
    },
    watch(snapshot, signal) {
      return {
        [Symbol.asyncIterator]: () => {
          const w: Watcher = { queue: snapshotEvents(studyId, snapshot()), done: false };
          if (closed) {
            if (finalEvent) w.queue.push(finalEvent);
            w.done = true;
          } else {
            watchers.add(w);
          }
          const onAbort = (): void => {
            w.done = true;
            w.queue.length = 0;
            w.wake?.();
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          const finish = (): IteratorResult<StudyEvent> => {
            watchers.delete(w);
            signal?.removeEventListener('abort', onAbort);
            return { done: true, value: undefined };
          };
          return {
            async next(): Promise<IteratorResult<StudyEvent>> {
              for (;;) {
                if (signal?.aborted) return finish();
                const e = w.queue.shift();
                if (e) {
                  if (e.event?.$case === 'studyFinished') w.done = true;
                  return { done: false, value: e };
                }
                if (w.done) return finish();
                await new Promise<void>((resolve) => (w.wake = resolve));
                w.wake = undefined;
              }
            },
            async return(): Promise<IteratorResult<StudyEvent>> {
              return finish();
            },
          };
        },
      };
    },
  };
}

/** An encoded trial's bytes as an element of a message's repeated field. */
export function trialBytes(trial: Trial): number {
  return repeatedFieldBytes(Trial.encode(trial).finish().length);
}

/**
 * A study's snapshot as events no larger than MAX_RESPONSE_BYTES: the snapshot with the trials that fit, then
 * snapshot_trials events with the rest, in number order (a study of a few dozen trials is one snapshot event).
 */
export function snapshotEvents(studyId: string, study: Study): StudyEvent[] {
  const others = Study.encode({ ...study, trials: [] }).finish().length + 1024; // + the event's own fields
  const [first = [], ...rest] = packBySize(study.trials, trialBytes, undefined, others);
  return [
    { studyId, event: { $case: 'snapshot', value: { ...study, trials: first } } },
    ...rest.map((trials): StudyEvent => ({ studyId, event: { $case: 'snapshotTrials', value: { trials } } })),
  ];
}
