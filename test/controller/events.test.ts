import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Study, StudyEvent } from '../../gen/tgsage/v1/search_controller.ts';
import { eventHub } from '../../services/controller/events.ts';

const study = (n: number): Study => ({ id: 's', state: 2, trials: [], completedTrials: n, bestTrialId: '', error: '', trialCount: n });
const progress = (step: number): StudyEvent => ({
  studyId: 's',
  event: { $case: 'trialProgress', value: { trialId: 't', progress: { phase: 'training', step, totalSteps: 9, loss: 0, imagesPerSecond: 0, elapsedSeconds: 0 } } },
});
const finished: StudyEvent = { studyId: 's', event: { $case: 'studyFinished', value: study(2) } };

async function collect(it: AsyncIterable<StudyEvent>): Promise<StudyEvent[]> {
  const out: StudyEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('event hub', () => {
  it('gives every watcher a snapshot then live events; a late one starts from its snapshot', async () => {
    const hub = eventHub('s');
    let completed = 0;
    const early = collect(hub.watch(() => study(completed)));
    await new Promise((r) => setImmediate(r));
    hub.publish(progress(1));
    completed = 1;
    const late = collect(hub.watch(() => study(completed)));
    await new Promise((r) => setImmediate(r));
    hub.publish(progress(2));
    hub.close(finished);
    const a = await early;
    const b = await late;
    assert.deepEqual(a.map((e) => e.event?.$case), ['snapshot', 'trialProgress', 'trialProgress', 'studyFinished']);
    assert.deepEqual(b.map((e) => e.event?.$case), ['snapshot', 'trialProgress', 'studyFinished']);
    assert.equal((b[0]!.event!.value as Study).completedTrials, 1);
    const after = await collect(hub.watch(() => study(2)));
    assert.deepEqual(after.map((e) => e.event?.$case), ['snapshot', 'studyFinished']);
    assert.equal(hub.watchers, 0);
  });

  it('drops only the oldest progress events of a slow watcher', async () => {
    const hub = eventHub('s', 4);
    const it = hub.watch(() => study(0))[Symbol.asyncIterator]();
    assert.equal((await it.next()).value.event.$case, 'snapshot');
    const proposed: StudyEvent = { studyId: 's', event: { $case: 'trialProposed', value: { id: 'x' } as never } };
    hub.publish(proposed);
    for (let i = 1; i <= 10; i++) hub.publish(progress(i));
    hub.close(finished);
    const rest: StudyEvent[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    assert.equal(rest[0]!.event?.$case, 'trialProposed');
    const steps = rest.filter((e) => e.event?.$case === 'trialProgress').map((e) => (e.event!.value as { progress: { step: number } }).progress.step);
    assert.deepEqual(steps, [8, 9, 10]);
    assert.equal(rest.at(-1)!.event?.$case, 'studyFinished');
  });

  it('ends a watcher when its signal aborts', async () => {
    const hub = eventHub('s');
    const ac = new AbortController();
    const p = collect(hub.watch(() => study(0), ac.signal));
    await new Promise((r) => setImmediate(r));
    ac.abort();
    assert.equal((await p).length, 1);
    assert.equal(hub.watchers, 0);
  });
});
