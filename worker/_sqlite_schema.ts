/**
 * The schema of `SqliteHistoryStore`'s database and its migrations. The database's
 * `application_id` marks it as a workflow-sandbox store and its `user_version` is the schema
 * version: a store opens a database of its own version or older (migrating it forward, all or
 * nothing, in one transaction per step) and refuses a newer one.
 *
 * Tables (version 1):
 *
 * | table | one row per | checked by |
 * |---|---|---|
 * | `meta` | store fact (`state`: `open` while a store has it open, `closed` after a clean close) | its use |
 * | `runs` | run; `id` orders the runs of a workflow id (the highest is the latest) | `checksum` over every column; `head` is the last event's checksum |
 * | `events` | history event, `body` its JSON | `checksum` chained per run (./_sqlite_checksum.ts) |
 * | `timers` | pending durable timer of a running run | `checksum` |
 * | `activities` | pending activity task of a running run | `checksum` |
 *
 * Version 2 adds request ids and what several processes on one database share:
 *
 * | table | one row per | checked by |
 * |---|---|---|
 * | `requests` | request id applied to a run (start, signal, cancel), deleted with the run | `checksum` |
 * | `sessions` | store open in a process: its pid, host, heartbeat, lease timeout and the task queues its workers poll | heartbeat and lock file (./_sqlite_sessions.ts) |
 * | `run_owners` | running run whose workflow tasks, timers and queries one session holds | the session's liveness |
 * | `activity_claims` | activity attempt a session runs | the session's liveness |
 * | `queries` | query posted by a client, until it is answered or given up | its use |
 *
 * Coordination rows carry no checksum: a damaged one can only misroute work, which leases and
 * `expectedLastEventId` recover from, never change a history.
 * @module
 */

import type { DatabaseSync } from "node:sqlite";

/** `PRAGMA application_id` of every store database: "wfs1". */
export const APPLICATION_ID = 0x77667331;

/** The schema version this code writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION = 2;

/**
 * The migrations: entry `n` takes a database from version `n` to `n + 1`. Adding a version means
 * adding an entry (never changing one that shipped) and raising {@linkcode SCHEMA_VERSION}.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;
  INSERT INTO meta (key, value) VALUES ('state', 'closed');

  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    workflow_type TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    status TEXT NOT NULL,
    start_time REAL NOT NULL,
    close_time REAL,
    last_event_id INTEGER NOT NULL,
    task_pending INTEGER NOT NULL,
    task_failure TEXT,
    retry_at REAL,
    next_run_id TEXT,
    head BLOB NOT NULL,
    checksum BLOB NOT NULL,
    UNIQUE (workflow_id, run_id)
  ) STRICT;
  CREATE INDEX runs_by_start ON runs (start_time, workflow_id, run_id);
  CREATE INDEX runs_by_status ON runs (status, start_time);
  CREATE INDEX runs_by_type ON runs (workflow_type, start_time);
  CREATE INDEX runs_by_close ON runs (close_time) WHERE close_time IS NOT NULL;
  CREATE INDEX runs_with_task ON runs (task_queue) WHERE task_pending = 1;

  CREATE TABLE events (
    run INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    checksum BLOB NOT NULL,
    PRIMARY KEY (run, event_id)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE timers (
    run INTEGER NOT NULL,
    timer_id TEXT NOT NULL,
    fires_at REAL NOT NULL,
    body TEXT NOT NULL,
    checksum BLOB NOT NULL,
    PRIMARY KEY (run, timer_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX timers_by_due ON timers (fires_at);

  CREATE TABLE activities (
    run INTEGER NOT NULL,
    activity_id TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    ready_at REAL NOT NULL,
    body TEXT NOT NULL,
    checksum BLOB NOT NULL,
    PRIMARY KEY (run, activity_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX activities_by_ready ON activities (task_queue, ready_at);
  `,
  `
  CREATE TABLE requests (
    workflow_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    run INTEGER NOT NULL,
    checksum BLOB NOT NULL,
    PRIMARY KEY (workflow_id, request_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX requests_by_run ON requests (run);

  CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    lease_ms REAL NOT NULL,
    task_queues TEXT NOT NULL
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE run_owners (
    run INTEGER PRIMARY KEY,
    session TEXT NOT NULL
  ) STRICT;
  CREATE INDEX run_owners_by_session ON run_owners (session);

  CREATE TABLE activity_claims (
    run INTEGER NOT NULL,
    activity_id TEXT NOT NULL,
    session TEXT NOT NULL,
    PRIMARY KEY (run, activity_id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX activity_claims_by_session ON activity_claims (session);

  CREATE TABLE queries (
    id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    task_queue TEXT NOT NULL,
    target TEXT,
    taken_by TEXT,
    name TEXT NOT NULL,
    args TEXT NOT NULL,
    posted_at REAL NOT NULL,
    answer TEXT
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX queries_open ON queries (task_queue) WHERE answer IS NULL;
  `,
];

/** What a database file is, as far as the store is concerned. */
export type DatabaseIdentity =
  | { kind: "store"; version: number }
  | { kind: "empty" }
  | { kind: "foreign"; applicationId: number; tables: number };

/** Reads the identity of the database open on `db`. */
export function identify(db: DatabaseSync): DatabaseIdentity {
  const applicationId = Number((db.prepare("PRAGMA application_id").get() as { application_id: number }).application_id);
  const version = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  if (applicationId === APPLICATION_ID) return { kind: "store", version };
  const tables = Number((db.prepare("SELECT count(*) AS n FROM sqlite_schema").get() as { n: number }).n);
  if (applicationId === 0 && version === 0 && tables === 0) return { kind: "empty" };
  return { kind: "foreign", applicationId, tables };
}

/**
 * Brings the database open on `db` (with no transaction open) from `from` to
 * {@linkcode SCHEMA_VERSION}, one transaction per migration.
 */
export function migrate(db: DatabaseSync, from: number): void {
  for (let version = from; version < SCHEMA_VERSION; version++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      // Another process may have migrated since this one read the version: read it again under the lock.
      const current = Number((db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
      if (current > version) {
        db.exec("COMMIT");
        continue;
      }
      db.exec(MIGRATIONS[version]!);
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // SQLite rolled back already.
      }
      throw error;
    }
  }
}
