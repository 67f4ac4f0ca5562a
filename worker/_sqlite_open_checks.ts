/**
 * What `SqliteHistoryStore.open()` checks before SQLite writes anything: the database file is
 * whole (a header, whole pages; a new one is created complete, ./_sqlite_files.ts), its WAL is not
 * damaged before its last transaction (./_sqlite_wal.ts), and, on a read-only connection (which
 * never checkpoints nor deletes a file, so a refused store is left as found for whoever recovers
 * it): `quick_check` or `integrity_check`, that it is a workflow-sandbox database of a known
 * schema version, and that its WAL is there if it was not closed cleanly (a store marks the
 * database `open` in the file itself, by a checkpoint, once it has written to the WAL, and
 * `closed` on a clean close).
 * @module
 */

import * as fs from "node:fs";
import type { SqliteModule } from "../loader/runtime.ts";
import { codedError } from "../sandbox/coded_error.ts";
import { createDatabase, fileSize } from "./_sqlite_files.ts";
import { identify, SCHEMA_VERSION } from "./_sqlite_schema.ts";
import { databasePageSize, inspectWal, type WalInspection } from "./_sqlite_wal.ts";
import { HistoryStoreError } from "./history_store.ts";

/** What the checks need from the store's options. */
export interface OpenCheckOptions {
  readonly create: boolean;
  readonly check: "quick" | "full";
  readonly acceptWalLoss: boolean;
  readonly warn: (message: string) => void;
  /**
   * Whether another process has the database open now (a live session: ./_sqlite_sessions.ts).
   * Its WAL is then live: that process writes to it while it is read, and SQLite will not recover
   * it (only the first connection to open a database does), so it is not inspected.
   */
  readonly othersOpen?: boolean;
}

/**
 * Creates the database at `path` if missing (unless `create` is false), then checks it; throws
 * `WFS_STORE_CORRUPT` (or `WFS_STORE_IO`) naming what is wrong and the recovery, warns about what
 * it accepts. Returns the database's schema version and state.
 */
export function checkBeforeOpen(sqlite: SqliteModule, path: string, options: OpenCheckOptions): DatabaseFacts {
  const size = fileSize(path);
  if (size === undefined) {
    if (!options.create) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_IO",
        message: `Cannot open history store '${path}': the database file does not exist, and 'create' is false`,
        hint: "Correct 'path', restore the database from a backup, or open with create: true to start an empty one",
      });
    }
    createDatabase(sqlite, path);
  } else {
    // SQLite writes whole pages, and a store publishes its database only once complete: a
    // file without a header, or with part of a page, was cut short after it was written.
    const pageSize = databasePageSize(path);
    const problem = size === 0
      ? "is empty (0 bytes)"
      : pageSize === undefined
      ? `has no SQLite header (${size} bytes)`
      : size % pageSize !== 0
      ? `is not a whole number of its ${pageSize}-byte pages (${size} bytes)`
      : undefined;
    if (problem !== undefined) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${path}': the database file ${problem}, so it was cut short or overwritten`,
        hint: "Restore the database from a backup (docs/deploying.md, 'Restoring a backup')",
      });
    }
  }
  const pageSize = databasePageSize(path);
  if (options.othersOpen) return checkDatabase(sqlite, path, options.check);
  const wal = inspectWal(`${path}-wal`, pageSize);
  if (wal.verdict === "damaged" && !options.acceptWalLoss) throw walDamaged(path, wal);
  const found = checkDatabase(sqlite, path, options.check);
  // Once a store has written to the WAL it never shrinks below a frame until a clean close
  // truncates it, whatever SQLite restarts or checkpoints meanwhile.
  const walLost = found.state === "open" && wal.size < 32 + 24 + (pageSize ?? 512);
  if (walLost && !options.acceptWalLoss) {
    // The read-only check may have created an empty WAL beside the database: leave the files as found.
    if (!wal.exists && fileSize(`${path}-wal`) === 0) fs.rmSync(`${path}-wal`, { force: true });
    throw walMissing(path, wal);
  }
  if (walLost) options.warn(`Opened history store '${path}' without its WAL (acceptWalLoss): the commits made since its last checkpoint are lost`);
  if (wal.verdict === "damaged") {
    options.warn(`Opened history store '${path}' with its WAL damaged at frame ${wal.firstDroppedFrame} (acceptWalLoss): ` +
      `the ${wal.droppedFrames} frames from there on, with the commits in them, are lost`);
  }
  if (wal.verdict === "torn-last-commit") {
    options.warn(`History store '${path}': SQLite dropped the last transaction of the WAL (${wal.droppedFrames} frames from frame ` +
      `${wal.firstDroppedFrame}), which fails its checksum: a commit torn by a crash or a power loss, or damaged since; ` +
      `the store is as if the process had stopped before that commit`);
  }
  return found;
}

/** What the read-only check at open found. */
export interface DatabaseFacts {
  /** The schema version (0 for an empty database). */
  version: number;
  /** `meta.state` as the database file and WAL say: `open` after a crash, `closed` after a clean close. */
  state: string | undefined;
}

/**
 * Checks the database on a read-only connection, which never checkpoints nor deletes the WAL, so
 * a refusal leaves every file as it was for whoever recovers it.
 */
function checkDatabase(sqlite: SqliteModule, path: string, check: "quick" | "full"): DatabaseFacts {
  const db = new sqlite.DatabaseSync(path, { readOnly: true });
  try {
    const identity = identify(db);
    if (identity.kind === "foreign") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${path}': it is a SQLite database of another application ` +
          `(application_id ${identity.applicationId}, ${identity.tables} tables), not a workflow-sandbox store`,
        hint: "Point 'path' at the store's database, or move this file away",
      });
    }
    if (identity.kind === "store" && identity.version === 0) {
      // A migration sets the application id and the version in one transaction: never one alone.
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${path}': its header marks it as a workflow-sandbox store of schema version 0, ` +
          `which no store writes, so the header is damaged`,
        hint: "Restore the database from a backup (docs/deploying.md, 'Restoring a backup')",
      });
    }
    if (identity.kind === "store" && identity.version > SCHEMA_VERSION) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${path}': its schema version is ${identity.version}, ` +
          `and this workflow-sandbox reads version ${SCHEMA_VERSION} and older`,
        hint: "Upgrade workflow-sandbox to the version that wrote it, or restore a backup written by this version",
      });
    }
    const pragma = check === "full" ? "integrity_check(20)" : "quick_check(20)";
    const lines = db.prepare(`PRAGMA ${pragma}`).all().map((row) => String(Object.values(row)[0]));
    if (lines.length !== 1 || lines[0] !== "ok") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${path}': the database file is damaged, SQLite's ${pragma.replace(/\(.*/, "")} says: ` +
          lines.slice(0, 5).join("; "),
        hint: "Restore the database from a backup (docs/deploying.md, 'Restoring a backup')",
      });
    }
    if (identity.kind === "empty") return { version: 0, state: undefined };
    const state = (db.prepare("SELECT value FROM meta WHERE key = 'state'").get() as { value?: string } | undefined)?.value;
    return { version: identity.version, state };
  } finally {
    closeQuietly(db);
  }
}

function walDamaged(path: string, wal: WalInspection): HistoryStoreError {
  return codedError(HistoryStoreError, {
    code: "WFS_STORE_CORRUPT",
    message: `Cannot open history store '${path}': its WAL '${path}-wal' is damaged at frame ${wal.firstDroppedFrame}, ` +
      `before its last transaction: SQLite would drop the ${wal.droppedFrames} frames from there on, with commits ` +
      `that were acknowledged`,
    hint: "Restore the database from a backup (docs/deploying.md, 'Restoring a backup'), keeping the damaged files aside; " +
      "or open it with acceptWalLoss: true to keep what precedes the damage",
  });
}

function walMissing(path: string, wal: WalInspection): HistoryStoreError {
  return codedError(HistoryStoreError, {
    code: "WFS_STORE_CORRUPT",
    message: `Cannot open history store '${path}': it was not closed cleanly, so its WAL '${path}-wal' holds commits, ` +
      `and the WAL is ${wal.exists ? `empty or cut short (${wal.size} bytes)` : "missing"}`,
    hint: "Put the WAL file back beside the database if it was moved, or restore the database from a backup " +
      "(docs/deploying.md, 'Restoring a backup'); or open it with acceptWalLoss: true to keep what the database file holds",
  });
}

function closeQuietly(db: { close(): void }): void {
  try {
    db.close();
  } catch {
    // Closed already.
  }
}
