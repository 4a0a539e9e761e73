// SQLite study storage (better-sqlite3): `<data-dir>/controller.sqlite`, WAL journal, synchronous=FULL so a committed
// transaction (a completed trial) survives a kill -9 or power loss. Trials and configs are stored as their protobuf
// encoding, so every field the contract has is kept without a column per field. Schema versioned by user_version.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StudyConfig, Trial } from '../../gen/tgsage/v1/search_controller.ts';
import { AlreadyExistsError, NotFoundError } from '../common/errors.ts';
import type { StudyDriver, StudyRecord, StudyStorage } from './storage.ts';

const SCHEMA_VERSION = 1;

const MIGRATIONS: Record<number, string> = {
  1: `
    CREATE TABLE studies (
      id TEXT PRIMARY KEY,
      created_at INTEGER NOT NULL,
      state INTEGER NOT NULL,
      error TEXT NOT NULL DEFAULT '',
      config BLOB NOT NULL,
      driver TEXT NOT NULL DEFAULT '',
      strategy_state TEXT
    );
    CREATE TABLE trials (
      id TEXT PRIMARY KEY,
      study_id TEXT NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
      number INTEGER NOT NULL,
      state INTEGER NOT NULL,
      data BLOB NOT NULL,
      UNIQUE (study_id, number)
    );
  `,
};

interface StudyRow {
  id: string;
  created_at: number;
  state: number;
  error: string;
  config: Buffer;
  driver: string;
}

export function sqliteStorage(file: string): StudyStorage {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrate(db);

  const insertStudy = db.prepare(
    'INSERT INTO studies (id, created_at, state, error, config, driver) ' +
      'VALUES (@id, @created_at, @state, @error, @config, @driver)',
  );
  const selectStudy = db.prepare<[string], StudyRow>('SELECT * FROM studies WHERE id = ?');
  const selectStudies = db.prepare<[], StudyRow>('SELECT * FROM studies ORDER BY created_at DESC, id DESC');
  const updateStudy = db.prepare(
    'UPDATE studies SET state = coalesce(@state, state), error = coalesce(@error, error), ' +
      'driver = coalesce(@driver, driver) WHERE id = @id',
  );
  const selectTrials = db.prepare<[string], { data: Buffer }>(
    'SELECT data FROM trials WHERE study_id = ? ORDER BY number',
  );
  const selectTrial = db.prepare<[string, string], { data: Buffer }>(
    'SELECT data FROM trials WHERE study_id = ? AND id = ?',
  );
  const upsertTrial = db.prepare(
    `INSERT INTO trials (id, study_id, number, state, data) VALUES (@id, @study_id, @number, @state, @data)
     ON CONFLICT (id) DO UPDATE SET state = excluded.state, data = excluded.data`,
  );
  const updateStrategy = db.prepare('UPDATE studies SET strategy_state = ? WHERE id = ?');
  const selectStrategy = db.prepare<[string], { strategy_state: string | null }>(
    'SELECT strategy_state FROM studies WHERE id = ?',
  );

  const fromRow = (r: StudyRow): StudyRecord => ({
    id: r.id,
    createdAt: new Date(r.created_at),
    state: r.state,
    error: r.error,
    config: StudyConfig.decode(r.config),
    driver: r.driver as StudyDriver,
  });
  const must = (id: string): StudyRow => {
    const r = selectStudy.get(id);
    if (!r) throw new NotFoundError(`study ${JSON.stringify(id)} not found`);
    return r;
  };
  const put = db.transaction((studyId: string, trials: readonly Trial[], strategyState?: string) => {
    must(studyId);
    for (const t of trials) {
      upsertTrial.run({
        id: t.id,
        study_id: studyId,
        number: t.number,
        state: t.state,
        data: Buffer.from(Trial.encode(t).finish()),
      });
    }
    if (strategyState !== undefined) updateStrategy.run(strategyState, studyId);
  });

  return {
    createStudy(record) {
      try {
        insertStudy.run({
          id: record.id,
          created_at: record.createdAt.getTime(),
          state: record.state,
          error: record.error,
          config: Buffer.from(StudyConfig.encode(record.config).finish()),
          driver: record.driver,
        });
      } catch (e) {
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new AlreadyExistsError(`study ${JSON.stringify(record.id)} already exists`);
        }
        throw e;
      }
    },
    getStudy: (id) => fromRow(must(id)),
    listStudies: () => selectStudies.all().map(fromRow),
    updateStudy(id, patch) {
      must(id);
      updateStudy.run({ id, state: patch.state ?? null, error: patch.error ?? null, driver: patch.driver ?? null });
    },
    listTrials(studyId) {
      must(studyId);
      return selectTrials.all(studyId).map((r) => Trial.decode(r.data));
    },
    getTrial(studyId, trialId) {
      must(studyId);
      const r = selectTrial.get(studyId, trialId);
      if (!r) throw new NotFoundError(`trial ${JSON.stringify(trialId)} not found in study ${studyId}`);
      return Trial.decode(r.data);
    },
    putTrials(studyId, trials, strategyState) {
      put(studyId, trials, strategyState);
    },
    getStrategyState(studyId) {
      must(studyId);
      return selectStrategy.get(studyId)?.strategy_state ?? undefined;
    },
    close() {
      if (db.open) db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`controller.sqlite has schema version ${current}, newer than this build's ${SCHEMA_VERSION}`);
  }
  for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v}`);
    })();
  }
}
