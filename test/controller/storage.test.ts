// Storage contract: the same tests for the in-memory and the SQLite implementation, plus SQLite durability and export.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Genome, SearchSpace } from '../../gen/tgsage/v1/genome.ts';
import { StudyConfig, StudyState, TrialState, type Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { normalizeStudyConfig } from '../../services/controller/config.ts';
import { CSV_COLUMNS, studyToCsv, studyToJson } from '../../services/controller/export.ts';
import { newTrial } from '../../services/controller/runner.ts';
import { sqliteStorage } from '../../services/controller/sqlite-storage.ts';
import { memoryStorage, toStudy, type StudyRecord, type StudyStorage } from '../../services/controller/storage.ts';

const config = normalizeStudyConfig(
  StudyConfig.fromPartial({ space: SearchSpace.SEARCH_SPACE_CONVNET, stepsPerTrial: 5, numTrials: 3 }),
);
const record = (id: string, t = 0): StudyRecord => ({
  id,
  config,
  state: StudyState.STUDY_STATE_CREATED,
  createdAt: new Date(1_700_000_000_000 + t),
  error: '',
  driver: '',
});
const genome = Genome.fromPartial({ space: { $case: 'convnet' as const, value: { layers: [{ filters: 16, kernelSize: 3, downsample: 0, batchNorm: false, activation: 0 }], head: 0 } } });

function contract(name: string, make: () => { storage: StudyStorage; cleanup(): void }): void {
  describe(`${name} storage`, () => {
    it('creates, lists newest first, and rejects a duplicate id', () => {
      const { storage, cleanup } = make();
      storage.createStudy(record('a', 0));
      storage.createStudy(record('b', 10));
      assert.deepEqual(storage.listStudies().map((s) => s.id), ['b', 'a']);
      assert.throws(() => storage.createStudy(record('a')), { name: 'AlreadyExistsError' });
      assert.throws(() => storage.getStudy('zz'), { name: 'NotFoundError' });
      // compared as proto JSON: a decoded message may hold unset optional fields as explicit undefined
      assert.deepEqual(StudyConfig.toJSON(storage.getStudy('a').config!), StudyConfig.toJSON(config));
      storage.close();
      cleanup();
    });
    it('updates state, error and driver', () => {
      const { storage, cleanup } = make();
      storage.createStudy(record('a'));
      storage.updateStudy('a', { state: StudyState.STUDY_STATE_RUNNING, driver: 'runner' });
      storage.updateStudy('a', { error: 'boom' });
      const s = storage.getStudy('a');
      assert.equal(s.state, StudyState.STUDY_STATE_RUNNING);
      assert.equal(s.driver, 'runner');
      assert.equal(s.error, 'boom');
      storage.close();
      cleanup();
    });
    it('stores trials in number order, replaces them, and keeps strategy state', () => {
      const { storage, cleanup } = make();
      storage.createStudy(record('a'));
      const t1 = newTrial('a', 1, genome, 0, 5, '');
      const t0 = newTrial('a', 0, genome, 0, 5, 'c');
      storage.putTrials('a', [t1, t0], '{"x":1}');
      assert.deepEqual(storage.listTrials('a').map((t) => t.number), [0, 1]);
      const done: Trial = { ...t1, state: TrialState.TRIAL_STATE_COMPLETED, p: 0.5, tg: 0.25, score: 0.375 };
      storage.putTrials('a', [done], '{"x":2}');
      const got = storage.getTrial('a', t1.id);
      assert.equal(got.state, TrialState.TRIAL_STATE_COMPLETED);
      assert.equal(got.p, 0.5);
      assert.equal(got.tg, 0.25);
      assert.deepEqual(got.genome, genome);
      assert.equal(storage.getStrategyState('a'), '{"x":2}');
      storage.putTrials('a', [t0]);
      assert.equal(storage.getStrategyState('a'), '{"x":2}', 'state untouched without one');
      assert.throws(() => storage.getTrial('a', 'nope'), { name: 'NotFoundError' });
      assert.throws(() => storage.putTrials('zz', [t0]), { name: 'NotFoundError' });
      storage.close();
      cleanup();
    });
  });
}

contract('memory', () => ({ storage: memoryStorage(), cleanup() {} }));
contract('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tgsage-ctl-'));
  return { storage: sqliteStorage(join(dir, 'controller.sqlite')), cleanup: () => rmSync(dir, { recursive: true }) };
});

describe('sqlite storage durability', () => {
  it('keeps everything across a reopen, with WAL, synchronous=FULL and a schema version', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tgsage-ctl-'));
    const file = join(dir, 'sub', 'controller.sqlite');
    const a = sqliteStorage(file);
    a.createStudy(record('s'));
    const t = { ...newTrial('s', 0, genome, 0, 5, ''), state: TrialState.TRIAL_STATE_COMPLETED, p: 0.75 };
    a.putTrials('s', [t], 'st');
    a.close();
    const b = sqliteStorage(file);
    assert.equal(b.getTrial('s', t.id).p, 0.75);
    assert.equal(b.getStrategyState('s'), 'st');
    b.close();
    const db = new Database(file);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => sqliteStorage(file), /schema version 99/);
    rmSync(dir, { recursive: true });
  });
});

describe('export', () => {
  it('writes JSON and one CSV row per trial with every column', () => {
    const storage = memoryStorage();
    storage.createStudy(record('s'));
    const done = { ...newTrial('s', 0, genome, 0, 5, ''), state: TrialState.TRIAL_STATE_COMPLETED, p: 0.5, tg: 0.25, score: 0.375, trainer: 't:1', parameterCount: 123, wallSeconds: 1.5, queueSeconds: 0.25, trainSeconds: 1, trainingSeed: 7 };
    const failed = { ...newTrial('s', 1, genome, 0, 5, ''), state: TrialState.TRIAL_STATE_FAILED, error: 'x, "y"' };
    storage.putTrials('s', [done, failed]);
    const study = toStudy(storage.getStudy('s'), storage.listTrials('s'), true);
    const csv = studyToCsv(study).trimEnd().split('\n');
    assert.equal(csv[0], CSV_COLUMNS.join(','));
    assert.equal(csv.length, 3);
    assert.ok(csv[1]!.startsWith('0,s-t0,completed,0.5,0.25,0.375,5,0,123,1.5,0.25,1,7,t:1,"{'), csv[1]);
    assert.ok(csv[2]!.startsWith('1,s-t1,failed,,,,5,0,0,0,0,0,,,'), csv[2]);
    const json = JSON.parse(studyToJson(study));
    assert.equal(json.trials.length, 2);
    assert.equal(json.trials[0].p, 0.5);
  });
});
