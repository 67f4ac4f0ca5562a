/**
 * Online backups of `SqliteHistoryStore`'s database, taken while the store runs. The copy is one
 * consistent snapshot of what was committed (never a half-written group), read through a
 * connection of its own:
 *
 * - with `node:sqlite`'s `backup()` where the runtime has it (Node 22.16+, Deno 2.9; asked of
 *   loader/runtime.ts), copying every page in one step, so writes in between cannot make it
 *   start over;
 * - else with `VACUUM INTO` (Node 22.15), which blocks the event loop while it copies.
 *
 * The copy is then sealed: marked as cleanly closed (it has no WAL to lose), switched to a rollback
 * journal so it is one self-contained file, checked with `quick_check`, flushed, and published
 * under its name only when complete (./_sqlite_files.ts).
 * @module
 */

import * as fs from "node:fs";
import type { SqliteModule } from "../loader/runtime.ts";
import { codedError } from "../sandbox/coded_error.ts";
import { flushFile, publish, removeQuietly, temporaryName } from "./_sqlite_files.ts";
import { HistoryStoreError } from "./history_store.ts";

/** How a backup was made and what it holds. */
export interface BackupFacts {
  /** The backup file, absolute. */
  readonly path: string;
  /** `"backup"` (node:sqlite's `backup()`) or `"vacuum-into"` (`VACUUM INTO`, where the runtime has no `backup()`). */
  readonly method: "backup" | "vacuum-into";
  /** Its size in bytes. */
  readonly bytes: number;
  /** Runs and events in it. */
  readonly runs: number;
  readonly events: number;
  /** How long it took, in ms. */
  readonly durationMs: number;
}

/** Copies the database at `source` to the new file `destination`. */
export async function backupDatabase(sqlite: SqliteModule, source: string, destination: string): Promise<BackupFacts> {
  const started = performance.now();
  if (fs.existsSync(destination)) {
    throw codedError(HistoryStoreError, {
      code: "WFS_STORE_INVALID",
      message: `Cannot back up history store '${source}' to '${destination}': the file exists`,
      hint: "Choose a new file name (a backup never replaces a file), or move the old one away first",
    });
  }
  const temp = temporaryName(destination, "backup");
  try {
    // Read-only: this connection never checkpoints or writes the store's files.
    const reader = new sqlite.DatabaseSync(source, { readOnly: true });
    let method: BackupFacts["method"];
    try {
      if (sqlite.backup !== undefined) {
        method = "backup";
        await sqlite.backup(reader, temp, { rate: 2 ** 31 - 1 });
      } else {
        method = "vacuum-into";
        reader.prepare("VACUUM INTO ?").run(temp);
      }
    } finally {
      reader.close();
    }
    const { runs, events } = seal(sqlite, temp, destination);
    flushFile(temp);
    if (!publish(temp, destination)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `Cannot back up history store '${source}' to '${destination}': the file appeared while the backup was written`,
        hint: "Choose a new file name: another process writes there",
      });
    }
    return { path: destination, method, bytes: fs.statSync(destination).size, runs, events, durationMs: performance.now() - started };
  } finally {
    removeQuietly(temp);
  }
}

/** Marks the copy as cleanly closed, makes it one file, checks it; returns what it holds. */
function seal(sqlite: SqliteModule, path: string, destination: string): { runs: number; events: number } {
  const db = new sqlite.DatabaseSync(path);
  try {
    db.exec("PRAGMA synchronous = FULL");
    db.exec("PRAGMA journal_mode = DELETE");
    db.exec("UPDATE meta SET value = 'closed' WHERE key = 'state'");
    const check = db.prepare("PRAGMA quick_check(5)").all().map((row) => String(Object.values(row)[0]));
    if (check.length !== 1 || check[0] !== "ok") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot back up to '${destination}': the copy fails SQLite's quick_check (${check.join("; ")})`,
        hint: "The store's database is damaged: restore it from an older backup (docs/deploying.md, 'Restoring a backup')",
      });
    }
    const count = (table: string) => Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
    return { runs: count("runs"), events: count("events") };
  } finally {
    db.close();
  }
}
