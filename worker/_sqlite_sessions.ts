/**
 * Which processes have `SqliteHistoryStore`'s database open, and whether each is still alive.
 *
 * Every store that opens the database is a session: a row of `sessions` (its pid, host, start,
 * heartbeat and the task queues its workers poll) and a lock file, `<database>-sessions/<id>`, a
 * tiny SQLite database on which the session holds an exclusive lock (`BEGIN EXCLUSIVE`, never
 * committed) for as long as it is open. The operating system releases that lock the moment the
 * process dies, however it dies (`SIGKILL`, out of memory, a container stopped), so another
 * process tells a dead session from a live one at once by trying the lock, without waiting for
 * a heartbeat to go stale and without looking at process ids: a restarted worker with the same pid
 * (pid 1 in a container) or a new container on the same host and volume sees its predecessor dead
 * and takes over its work when it opens the database.
 *
 * Locks are a property of one host's kernel, as WAL's shared memory is: the database is on one
 * host anyway. A session whose lock file is missing (deleted by hand) is judged by its heartbeat
 * alone: dead once the heartbeat is older than the lease timeout.
 * @module
 */

import * as fs from "node:fs";
import { basename, dirname, join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import type { SqliteModule } from "../loader/runtime.ts";
import { sqliteFailure } from "./_sqlite_errors.ts";

/** The folder of the session lock files of the database at `path`. */
export function sessionFolder(path: string): string {
  return join(dirname(path), `${basename(path)}-sessions`);
}

/** The lock this process holds for its session while the store is open. */
export class SessionLock {
  readonly path: string;
  readonly #db: DatabaseSync;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  /** Creates the session's lock file in `folder` and takes its lock. */
  static take(sqlite: SqliteModule, folder: string, sessionId: string): SessionLock {
    fs.mkdirSync(folder, { recursive: true });
    const path = join(folder, sessionId);
    const db = new sqlite.DatabaseSync(path);
    try {
      db.exec("PRAGMA busy_timeout = 0");
      // Held until the connection closes, or the process dies: the lock is the session's life.
      db.exec("BEGIN EXCLUSIVE");
    } catch (error) {
      db.close();
      throw error;
    }
    return new SessionLock(path, db);
  }

  /** Releases the lock and removes the file. */
  release(): void {
    try {
      this.#db.close();
    } catch {
      // Closed already.
    }
    removeSessionFile(this.path);
    try {
      fs.rmdirSync(dirname(this.path)); // the last session out removes the folder
    } catch {
      // Another session's file is there, or it is gone already.
    }
  }
}

/**
 * Whether the session `sessionId` still holds its lock: `true` alive, `false` dead (its process
 * is gone), `undefined` when its lock file does not exist (judge it by its heartbeat).
 */
export function sessionAlive(sqlite: SqliteModule, folder: string, sessionId: string): boolean | undefined {
  const path = join(folder, sessionId);
  if (!fs.existsSync(path)) return undefined;
  let db: DatabaseSync;
  try {
    db = new sqlite.DatabaseSync(path);
  } catch {
    return undefined;
  }
  try {
    db.exec("PRAGMA busy_timeout = 0");
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
    return false;
  } catch (error) {
    return sqliteFailure(error) === "busy" ? true : undefined;
  } finally {
    try {
      db.close();
    } catch {
      // Closed already.
    }
  }
}

/** Whether any session of the database at `path` but `own` is alive now (another process has it open). */
export function anySessionAlive(sqlite: SqliteModule, path: string, own: string): boolean {
  const folder = sessionFolder(path);
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return false;
  }
  return names.some((name) => name !== own && !name.endsWith("-journal") && sessionAlive(sqlite, folder, name) === true);
}

/** Removes a session's lock file (and the journal SQLite may leave beside it). */
export function removeSessionFile(path: string): void {
  for (const file of [path, `${path}-journal`]) {
    try {
      fs.unlinkSync(file);
    } catch {
      // Gone already.
    }
  }
}
