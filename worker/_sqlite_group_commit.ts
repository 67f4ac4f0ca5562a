/**
 * Group commit: every write issued during one turn of the event loop goes into one transaction,
 * committed at the end of the turn (`setImmediate`), so a commit (measured 20-24 µs with
 * `synchronous=NORMAL`, 168-192 µs with `FULL`) is paid once per turn instead of once per write.
 *
 * The writes of a turn are queued, not applied at once: at the end of the turn the group opens
 * its transaction with `BEGIN IMMEDIATE`, applies the writes one after the other, and commits. A
 * write that fails (a conflict, a bad batch) must be undone alone and its promise reject, which a
 * savepoint per write does; but a SAVEPOINT and a RELEASE were 8 of the 33 statements of a short
 * workflow (issue 16), and writes rarely fail. So a group first applies its writes without
 * savepoints; if one throws, the whole transaction is rolled back (nothing of it was committed or
 * seen: promises settle only after COMMIT) and the same writes are applied again at once, each in
 * a savepoint, as one transaction. Applying a write twice is safe because a write is a function of
 * the database alone: what it changes in memory follows the transaction through the observer,
 * which is told the first transaction was rolled back. The database's
 * write lock is therefore held only while the group is applied and committed (tens of µs to a
 * ms), never across the event-loop turn, so the other processes on the database wait little.
 *
 * Waiting for the lock never blocks the event loop: the writing connection has no busy timeout,
 * so `BEGIN IMMEDIATE` fails at once with SQLITE_BUSY while another process writes, and the group
 * tries again 1 to 10 ms later (writes issued meanwhile join it), until `busyTimeoutMs` has passed
 * since the first try, when every write of the group rejects with `WFS_STORE_LOCKED`. (Under WAL,
 * `BEGIN IMMEDIATE` is what makes the wait possible at all: a deferred transaction that reads and
 * then writes cannot wait for the lock.)
 *
 * A write's promise resolves only after COMMIT returns, so a caller never sees a write that is not
 * durable; if COMMIT fails, every write of the group rejects and none is in the database. Reads go
 * through another connection, which sees only committed transactions.
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from "node:timers";
import { sqliteFailure } from "./_sqlite_errors.ts";
import type { HistoryStoreError } from "./history_store.ts";

/** A write waiting for its group. */
interface Queued {
  apply(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** Called once the write is durable, before the promises resolve (crash injection). */
  durable?: (value: unknown) => void;
}

/** Options of {@linkcode GroupCommit}. */
export interface GroupCommitOptions {
  /** The connection that writes; its busy timeout must be 0. */
  readonly db: DatabaseSync;
  /** Whether writes of one turn share a transaction; otherwise each commits at once. */
  readonly grouped: boolean;
  /** How long a group waits for the write lock before it fails. */
  readonly busyTimeoutMs: number;
  /** Turns a SQLite error into the store's error. */
  readonly toError: (error: unknown) => HistoryStoreError;
  /**
   * Told how each transaction goes, so that what the writes changed in memory (the store's cache
   * of verified runs, ./_sqlite_run_cache.ts) follows what the database kept.
   * @default none
   */
  readonly observer?: TransactionObserver;
}

/** What {@linkcode GroupCommit} tells about each transaction, in order. */
export interface TransactionObserver {
  /** A transaction began (`BEGIN IMMEDIATE` returned): the writes are applied next. */
  began(): void;
  /** A write of the transaction is about to be applied. */
  writeStarts(): void;
  /** The write just applied was undone (it threw, or its savepoint could not be released); the transaction goes on. */
  writeUndone(): void;
  /**
   * The transaction ended: committed, rolled back (nothing of it is in the database), or
   * `"unknown"` when COMMIT failed or SQLite rolled the transaction back itself; `writes` is how
   * many writes it committed.
   */
  ended(outcome: "committed" | "rolled-back" | "unknown", writes: number): void;
}

/** Retry delays while another process holds the write lock, in ms (the last repeats). */
const RETRY_DELAYS_MS = [1, 1, 2, 2, 4, 4, 8, 10];

/** The write transactions of one store. */
export class GroupCommit {
  readonly #db: DatabaseSync;
  readonly #grouped: boolean;
  readonly #busyTimeoutMs: number;
  readonly #toError: (error: unknown) => HistoryStoreError;
  readonly #observer: TransactionObserver | undefined;
  #queue: Queued[] = [];
  #scheduled: ReturnType<typeof setImmediate> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** When the current group first found the lock taken, and how many times since. */
  #busySince: number | undefined;
  #busyTries = 0;
  #idle: (() => void)[] = [];
  /** Whether the next group applies each write in a savepoint (a write of its first try threw). */
  #careful = false;
  /** The transaction statements, prepared once (db.exec parses its SQL on every call). */
  readonly #statements = new Map<string, StatementSync>();
  /** Transactions committed, and writes in them, for measurements. */
  commits = 0;
  writes = 0;
  /** Times a group found the write lock held by another connection. */
  busyWaits = 0;

  constructor(options: GroupCommitOptions) {
    this.#db = options.db;
    this.#grouped = options.grouped;
    this.#busyTimeoutMs = options.busyTimeoutMs;
    this.#toError = options.toError;
    this.#observer = options.observer;
  }

  /**
   * Queues `apply` for the current group; resolves with its result once that group commits, or
   * rejects with what `apply` threw (its changes undone) or with the group's failure. `durable`
   * runs after the commit, before any promise of the group resolves.
   */
  run<T>(apply: () => T, durable?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        apply,
        resolve: resolve as (value: unknown) => void,
        reject,
        durable: durable as ((value: unknown) => void) | undefined,
      });
      if (!this.#grouped && this.#retry === undefined) this.#flush();
      else this.#schedule();
    });
  }

  /** Whether writes wait for their group. */
  get pending(): boolean {
    return this.#queue.length > 0;
  }

  /** Resolves once no write waits (the last group committed or failed): before a close. */
  drain(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    if (this.#retry === undefined) {
      if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
      this.#flush();
      if (this.#queue.length === 0) return Promise.resolve();
    }
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#scheduled !== undefined || this.#retry !== undefined) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = undefined;
      this.#flush();
    });
  }

  /** Runs a transaction statement, prepared once. */
  #exec(sql: string): void {
    let statement = this.#statements.get(sql);
    if (statement === undefined) this.#statements.set(sql, statement = this.#db.prepare(sql));
    statement.run();
  }

  /** Applies and commits the queued writes, or schedules a retry while the lock is taken. */
  #flush(): void {
    if (this.#queue.length === 0) return this.#settled();
    const db = { exec: (sql: string) => this.#exec(sql) };
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      if (sqliteFailure(error) === "busy") {
        const now = performance.now();
        this.#busySince ??= now;
        this.busyWaits++;
        if (now - this.#busySince < this.#busyTimeoutMs) {
          const delay = RETRY_DELAYS_MS[Math.min(this.#busyTries++, RETRY_DELAYS_MS.length - 1)]!;
          this.#retry = setTimeout(() => {
            this.#retry = undefined;
            this.#flush();
          }, delay);
          return;
        }
      }
      this.#busySince = undefined;
      this.#busyTries = 0;
      const failure = this.#toError(error);
      const queue = this.#queue;
      this.#queue = [];
      for (const write of queue) write.reject(failure);
      return this.#settled();
    }
    this.#busySince = undefined;
    this.#busyTries = 0;
    const queue = this.#queue;
    this.#queue = [];
    const done: { write: Queued; value: unknown }[] = [];
    const observer = this.#observer;
    observer?.began();
    const careful = this.#careful;
    this.#careful = false;
    if (queue.length === 1) {
      // One write: no savepoint, its failure rolls the transaction back.
      const write = queue[0]!;
      try {
        observer?.writeStarts();
        done.push({ write, value: write.apply() });
      } catch (error) {
        // A ROLLBACK that fails leaves the outcome to SQLite: unknown.
        observer?.ended(rollback(this.#db) ? "rolled-back" : "unknown", 0);
        write.reject(error);
        return this.#settled();
      }
    } else if (!careful) {
      for (const write of queue) {
        try {
          observer?.writeStarts();
          done.push({ write, value: write.apply() });
        } catch {
          // Undo the whole group (nothing of it is committed, no promise settled) and apply it
          // again at once with a savepoint per write, so that only the failing write fails. A
          // ROLLBACK that fails means SQLite rolled back itself: the outcome is unknown to the observer.
          observer?.ended(rollback(this.#db) ? "rolled-back" : "unknown", 0);
          this.#queue = [...queue, ...this.#queue];
          this.#careful = true;
          return this.#flush();
        }
      }
    } else for (let index = 0; index < queue.length; index++) {
      const write = queue[index]!;
      try {
        db.exec("SAVEPOINT write");
      } catch (error) {
        this.#abort(error, done, queue.slice(index));
        return;
      }
      try {
        observer?.writeStarts();
        const value = write.apply();
        db.exec("RELEASE write");
        done.push({ write, value });
      } catch (error) {
        try {
          db.exec("ROLLBACK TO write");
          db.exec("RELEASE write");
          observer?.writeUndone();
        } catch {
          // SQLite rolls back the whole transaction itself after some failures (SQLITE_FULL,
          // SQLITE_IOERR, SQLITE_BUSY, https://www.sqlite.org/lang_transaction.html), so the
          // savepoint is gone: the writes applied before it are gone with it.
          write.reject(error);
          this.#abort(error, done, queue.slice(index + 1));
          return;
        }
        write.reject(error);
      }
    }
    try {
      db.exec("COMMIT");
    } catch (error) {
      rollback(this.#db);
      observer?.ended("unknown", 0);
      const failure = this.#toError(error);
      for (const { write } of done) write.reject(failure);
      return this.#settled();
    }
    observer?.ended("committed", done.length);
    this.commits++;
    this.writes += done.length;
    for (const { write, value } of done) write.durable?.(value);
    for (const { write, value } of done) write.resolve(value);
    this.#settled();
  }

  /** Ends a transaction SQLite rolled back: the writes applied in it reject; `rest` wait for the next group. */
  #abort(error: unknown, done: { write: Queued }[], rest: Queued[]): void {
    rollback(this.#db);
    this.#observer?.ended("unknown", 0);
    const failure = this.#toError(error);
    for (const { write } of done) write.reject(failure);
    this.#queue = [...rest, ...this.#queue];
    if (this.#queue.length > 0) this.#schedule();
    else this.#settled();
  }

  #settled(): void {
    if (this.#queue.length > 0) {
      this.#schedule();
      return;
    }
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }
}

/** Rolls the open transaction back; `false` when there was none left (SQLite rolled it back itself). */
function rollback(db: DatabaseSync): boolean {
  try {
    db.exec("ROLLBACK");
    return true;
  } catch {
    // No transaction is open any more: SQLite rolled it back.
    return false;
  }
}
