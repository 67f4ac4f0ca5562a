/**
 * How `SqliteHistoryStore`'s database files come into being: whole or not at all. A new database
 * (or a backup) is written under a temporary name, flushed, then published with `link()`, which
 * fails rather than replace a file that appeared meanwhile, and its folder is flushed. So a file at
 * the store's path is always a complete database, and a file found empty there was cut short
 * (truncated) after it was written: the store refuses it instead of starting afresh over it.
 * @module
 */

import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SqliteModule } from "../loader/runtime.ts";
import { migrate } from "./_sqlite_schema.ts";

/** A temporary name beside `path`, unique to this call. */
export function temporaryName(path: string, purpose: string): string {
  return join(dirname(path), `.${basename(path)}.${purpose}-${process.pid}-${randomBytes(4).toString("hex")}`);
}

/**
 * Creates the store's database at `path` (which must not exist): schema written and flushed
 * under a temporary name, then published. Returns `false` when another process published one
 * first, which is then used as it is.
 */
export function createDatabase(sqlite: SqliteModule, path: string): boolean {
  const temp = temporaryName(path, "new");
  try {
    const db = new sqlite.DatabaseSync(temp);
    try {
      db.exec("PRAGMA synchronous = FULL");
      migrate(db, 0);
      // Recorded in the file's header: every later connection opens it in WAL mode.
      db.exec("PRAGMA journal_mode = WAL");
    } finally {
      // Closing the last connection checkpoints the WAL into the file and deletes it.
      db.close();
    }
    flushFile(temp);
    return publish(temp, path);
  } finally {
    removeQuietly(temp);
  }
}

/**
 * Gives the complete file `temp` the name `path` unless a file has it already (`false` then), and
 * flushes the folder so the name survives a power loss.
 */
export function publish(temp: string, path: string): boolean {
  try {
    fs.linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  fs.unlinkSync(temp);
  flushFolder(dirname(path));
  return true;
}

/** Flushes a file's content to disk. */
export function flushFile(path: string): void {
  const fd = fs.openSync(path, "r+");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Flushes a folder's entries (a created, renamed or removed file) to disk. */
export function flushFolder(folder: string): void {
  // Windows cannot open a folder as a file, and NTFS journals its entries itself.
  if (process.platform === "win32") return;
  const fd = fs.openSync(folder, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes `path` and the `-wal`, `-shm` and `-journal` files SQLite may have left beside it. */
export function removeQuietly(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      fs.unlinkSync(file);
    } catch {
      // Not there, which is the point.
    }
  }
}

/** The size of the file at `path`, or `undefined` when there is none. */
export function fileSize(path: string): number | undefined {
  try {
    return fs.statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
