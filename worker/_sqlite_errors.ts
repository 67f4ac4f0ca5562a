/**
 * SQLite's errors as `HistoryStoreError`s: a locked database is `WFS_STORE_LOCKED`, a damaged one
 * `WFS_STORE_CORRUPT`, a failed read or write `WFS_STORE_IO`, each naming the database and the
 * fix. node:sqlite puts SQLite's result code on `errcode` (Node); Deno 2.9 often leaves it out, so
 * the message (SQLite's own `sqlite3_errstr`) decides there.
 * @module
 */

import { codedError } from "../sandbox/coded_error.ts";
import { HistoryStoreError } from "./history_store.ts";

/** What kind of failure a SQLite error is. */
export type SqliteFailure = "busy" | "corrupt" | "full" | "read-only" | "cannot-open" | "io" | "other";

// Primary result codes, https://www.sqlite.org/rescode.html
const BY_CODE: Readonly<Record<number, SqliteFailure>> = {
  3: "read-only", // SQLITE_PERM
  5: "busy", // SQLITE_BUSY
  6: "busy", // SQLITE_LOCKED
  8: "read-only", // SQLITE_READONLY
  10: "io", // SQLITE_IOERR
  11: "corrupt", // SQLITE_CORRUPT
  13: "full", // SQLITE_FULL
  14: "cannot-open", // SQLITE_CANTOPEN
  26: "corrupt", // SQLITE_NOTADB
};

const BY_MESSAGE: readonly [RegExp, SqliteFailure][] = [
  [/database (?:table |schema )?is locked/i, "busy"],
  [/malformed|file is not a database/i, "corrupt"],
  [/database or disk is full/i, "full"],
  [/readonly database|access permission denied/i, "read-only"],
  [/unable to open database file/i, "cannot-open"],
  [/disk I\/O error/i, "io"],
];

/** Classifies an error thrown by node:sqlite. */
export function sqliteFailure(error: unknown): SqliteFailure {
  const code = (error as { errcode?: unknown })?.errcode;
  if (typeof code === "number" && BY_CODE[code & 0xff] !== undefined) return BY_CODE[code & 0xff]!;
  const message = String((error as Error)?.message ?? error);
  for (const [pattern, failure] of BY_MESSAGE) if (pattern.test(message)) return failure;
  return "other";
}

/** Where an error happened, for its message and its fields. */
export interface SqliteErrorContext {
  /** What was being done: "Cannot open history store", "Cannot append to workflow 'w' run 'r'". */
  readonly action: string;
  /** The database file. */
  readonly path: string;
  /** The busy timeout in ms, for a locked database. */
  readonly busyTimeoutMs?: number;
  /** The workflow the call was about, when it was about one. */
  readonly workflowId?: string;
  readonly runId?: string;
}

/**
 * Wraps an error thrown by node:sqlite (a `HistoryStoreError` passes through), naming the
 * database, what failed and the fix for its cause.
 */
export function sqliteError(context: SqliteErrorContext, error: unknown): HistoryStoreError {
  if (error instanceof HistoryStoreError) return error;
  const reason = String((error as Error)?.message ?? error);
  const where = `${context.action} (database '${context.path}')`;
  const fields = context.workflowId === undefined ? {} : { workflowId: context.workflowId, ...(context.runId === undefined ? {} : { runId: context.runId }) };
  switch (sqliteFailure(error)) {
    case "busy":
      return codedError(HistoryStoreError, {
        code: "WFS_STORE_LOCKED",
        message: `${where}: another connection kept the database locked for longer than the busy timeout` +
          `${context.busyTimeoutMs === undefined ? "" : ` of ${context.busyTimeoutMs} ms`} (${reason})`,
        hint: "End the long transaction of the other process (a script, an sqlite3 shell, a backup tool), then retry; " +
          "a longer 'busyTimeout' waits longer, blocking the event loop meanwhile",
        cause: error,
      }, fields);
    case "corrupt":
      return codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `${where}: the database file is damaged (${reason})`,
        hint: "Restore the database from a backup (docs/deploying.md, 'Restoring a backup')",
        cause: error,
      }, fields);
    case "full":
      return codedError(HistoryStoreError, {
        code: "WFS_STORE_IO",
        message: `${where}: the disk is full (${reason})`,
        hint: `Free space on the disk of '${context.path}', then retry`,
        cause: error,
      }, fields);
    case "read-only":
      return codedError(HistoryStoreError, {
        code: "WFS_STORE_IO",
        message: `${where}: the database or its folder is read-only or not writable by this process (${reason})`,
        hint: `Give the worker write access to '${context.path}' and its folder (SQLite creates '-wal' and '-shm' files beside it)`,
        cause: error,
      }, fields);
    case "cannot-open":
      return codedError(HistoryStoreError, {
        code: "WFS_STORE_IO",
        message: `${where}: the database file cannot be opened (${reason})`,
        hint: "Check that 'path' names a file in an existing folder on a local disk, which this process can read and write",
        cause: error,
      }, fields);
    default:
      return codedError(HistoryStoreError, {
        code: "WFS_STORE_IO",
        message: `${where}: ${reason}`,
        hint: `Check that '${context.path}' is on a local disk (not a network file system) and readable; if it persists, report it with this message`,
        cause: error,
      }, fields);
  }
}
