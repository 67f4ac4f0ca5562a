/**
 * Group commit: every write issued during one turn of the event loop goes into one transaction,
 * committed at the end of the turn (`setImmediate`), so a commit (measured 20-24 µs with
 * `synchronous=NORMAL`, 168-192 µs with `FULL`) is paid once per turn instead of once per write.
 *
 * The first write of a turn opens the transaction with `BEGIN IMMEDIATE`: under WAL a deferred
 * transaction that reads first and then writes cannot wait for the lock (SQLite returns
 * SQLITE_BUSY at once instead of calling the busy handler), an immediate one waits up to the busy
 * timeout. Each write then runs in a savepoint, so a write that fails (a conflict, a bad batch)
 * is undone alone; its promise rejects at once. The others resolve only after COMMIT returns,
 * so a caller never sees a write that is not durable; if COMMIT fails, all of them reject and
 * none is in the database.
 *
 * Reads go through another connection, which sees only committed transactions.
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { clearImmediate, setImmediate } from "node:timers";
import type { HistoryStoreError } from "./history_store.ts";

/** A write waiting for its transaction to commit. */
interface Waiting {
  resolve(): void;
  reject(error: unknown): void;
  /** Called once the write is durable, before the promises resolve (crash injection). */
  durable?: () => void;
}

/** Options of {@linkcode GroupCommit}. */
export interface GroupCommitOptions {
  /** The connection that writes. */
  readonly db: DatabaseSync;
  /** Whether writes of one turn share a transaction; otherwise each commits at once. */
  readonly grouped: boolean;
  /** Turns a SQLite error into the store's error. */
  readonly toError: (error: unknown) => HistoryStoreError;
}

/** The write transactions of one store. */
export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #grouped: boolean;
  readonly #toError: (error: unknown) => HistoryStoreError;
  #open = false;
  #waiting: Waiting[] = [];
  #scheduled: ReturnType<typeof setImmediate> | undefined;
  /** Transactions committed, and writes in them, for measurements. */
  commits = 0;
  writes = 0;

  constructor(options: GroupCommitOptions) {
    this.#db = options.db;
    this.#grouped = options.grouped;
    this.#toError = options.toError;
  }

  /**
   * Runs `apply` in the current transaction; resolves with its result once that transaction
   * commits, or rejects with what `apply` threw (its changes undone) or with the commit's failure.
   * `durable` runs after the commit, before any promise of the group resolves.
   */
  run<T>(apply: () => T, durable?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      try {
        this.#begin();
      } catch (error) {
        reject(this.#toError(error));
        return;
      }
      let value: T;
      try {
        this.#db.exec("SAVEPOINT write");
      } catch (error) {
        this.#abort(error);
        reject(this.#toError(error));
        return;
      }
      try {
        value = apply();
        this.#db.exec("RELEASE write");
      } catch (error) {
        try {
          this.#db.exec("ROLLBACK TO write");
          this.#db.exec("RELEASE write");
        } catch {
          // SQLite rolls back the whole transaction itself after some failures (SQLITE_FULL,
          // SQLITE_IOERR, SQLITE_BUSY, https://www.sqlite.org/lang_transaction.html), so the
          // savepoint is gone: the other writes of the group are gone with it.
          this.#abort(error);
        }
        reject(this.#toError(error));
        return;
      }
      this.writes++;
      this.#waiting.push({ resolve: () => resolve(value), reject, durable: durable && (() => durable(value)) });
      if (!this.#grouped) this.flush();
    });
  }

  /** Commits the open transaction now (before a backup, on close). */
  flush(): void {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    if (!this.#open) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#open = false;
    try {
      this.#db.exec("COMMIT");
    } catch (error) {
      rollback(this.#db);
      const failure = this.#toError(error);
      for (const write of waiting) write.reject(failure);
      return;
    }
    this.commits++;
    for (const write of waiting) write.durable?.();
    for (const write of waiting) write.resolve();
  }

  #begin(): void {
    if (this.#open) return;
    this.#db.exec("BEGIN IMMEDIATE");
    this.#open = true;
    if (this.#grouped) this.#scheduled = setImmediate(() => this.flush());
  }

  /** Ends a transaction SQLite rolled back, rejecting the writes that were in it. */
  #abort(error: unknown): void {
    rollback(this.#db);
    this.#open = false;
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    const waiting = this.#waiting;
    this.#waiting = [];
    const failure = this.#toError(error);
    for (const write of waiting) write.reject(failure);
  }
}

function rollback(db: DatabaseSync): void {
  try {
    db.exec("ROLLBACK");
  } catch {
    // No transaction is open any more: SQLite rolled it back.
  }
}
