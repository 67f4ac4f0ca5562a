/**
 * The durable history store on SQLite (`node:sqlite`, built into Node 22.13+ and Deno 2.9): one
 * database file in WAL mode, every write a transaction begun with `BEGIN IMMEDIATE`, the writes
 * of one event-loop turn committed together (group commit), every row checksummed and every
 * run's events chained, so damage on disk refuses the damaged workflow with `WFS_STORE_CORRUPT`
 * instead of returning a wrong history.
 *
 * Files, beside each other on a local disk (WAL mode needs shared memory: one host, never a
 * network file system):
 *
 * ```
 * .workflow-sandbox/histories.db       the database (schema: ./_sqlite_schema.ts)
 * .workflow-sandbox/histories.db-wal   the write-ahead log: recent commits, part of the data
 * .workflow-sandbox/histories.db-shm   the WAL's index, rebuilt from the log when lost
 * ```
 *
 * What it guarantees and what it does not, with the damage tests behind each line:
 * docs/deploying.md, "Threat model".
 *
 * Several processes of one host may open the same database (clients, workers): each store is a
 * session with a lock file and a heartbeat (./_sqlite_sessions.ts), workers take leases on runs
 * and activity attempts ({@linkcode StoreCoordination}), and a change feed polls
 * `PRAGMA data_version` so a commit of another process is noticed within `pollInterval`.
 *
 * `DatabaseSync` is synchronous: a commit (tens of µs with `synchronous=NORMAL`, a few hundred
 * with `FULL`), a read, `quick_check` at open (proportional to the database) and `VACUUM INTO`
 * backups block the event loop for their duration. Checkpoints run on a thread of their own
 * (./_sqlite_checkpointer.ts), and the runs this process wrote or checked are answered from
 * memory (./_sqlite_run_cache.ts), so the worker's repeated looks at a run cost no query. A wait for
 * the write lock another process holds does not: the writing connection has no busy timeout and
 * group commit retries on the event loop (./_sqlite_group_commit.ts). Timers fire late by as long
 * as a synchronous stretch lasts (durable timers keep absolute deadlines, so they fire late, never
 * lost); the deadlock guard times only workflow code, during which no store call runs, so store
 * work never counts against a workflow.
 *
 * @module
 */

import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, resolve } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { clearInterval, setImmediate, setInterval, setTimeout } from "node:timers";
import { z } from "zod";
import { loadSqlite, type SqliteModule } from "../loader/runtime.ts";
import { codedError } from "../sandbox/coded_error.ts";
import { type Duration, isDuration, parseDuration } from "./_duration.ts";
import {
  alreadyRunning,
  checkAfterEventId,
  checkBatch,
  checkBatchHead,
  checkEvents,
  checkListFilter,
  checkNewRun,
  checkRef,
  checkRequestId,
  checkRunIdFree,
  checkRunning,
  describeId,
  jsonCopy,
  matchesListFilter,
  type PendingIds,
  runNotFound,
  settle,
  show,
  storeClosed,
} from "./_history_store_checks.ts";
import { parseOptions } from "./_options.ts";
import { backupDatabase, type BackupFacts } from "./_sqlite_backup.ts";
import { sqliteError, type SqliteErrorContext } from "./_sqlite_errors.ts";
import { Checkpointer } from "./_sqlite_checkpointer.ts";
import { GroupCommit } from "./_sqlite_group_commit.ts";
import { type CachedRun, type ChecksumReader, RunCache } from "./_sqlite_run_cache.ts";
import { anySessionAlive, removeSessionFile, sessionAlive, sessionFolder, SessionLock } from "./_sqlite_sessions.ts";
import { readWholeStore } from "./_sqlite_import.ts";
import {
  activityRow,
  damaged,
  decodeActivity,
  decodeRun,
  decodeTimer,
  EventChain,
  type EventRow,
  ownerOf,
  readChain,
  RUN_COLUMNS,
  runColumns,
  runRow,
  type StoredRun,
  timerRow,
} from "./_sqlite_rows.ts";
import { checkBeforeOpen } from "./_sqlite_open_checks.ts";
import { migrate, SCHEMA_VERSION } from "./_sqlite_schema.ts";
import { type StoreProblem, verifyDatabase } from "./_sqlite_verify.ts";
import { rowChecksum, sameChecksum } from "./_sqlite_checksum.ts";
import { createCrashInjector, type CrashInjector, type PersistenceStep } from "./crash_injection.ts";
import { FileHistoryStore } from "./file_history_store.ts";
import {
  type ActivityTask,
  type AppendBatch,
  type DurableTimer,
  type ExecutionInfo,
  type ExecutionKey,
  type ExecutionRef,
  type HistoryEvent,
  type HistoryStore,
  HistoryStoreError,
  type JsonValue,
  type ListActivityTasksFilter,
  type ListExecutionsFilter,
  type ListTimersFilter,
  type ListWorkflowTasksFilter,
  type NewExecution,
  type PostedQuery,
  type ReadEventsOptions,
  type StoreCoordination,
} from "./history_store.ts";

export type { StoreProblem } from "./_sqlite_verify.ts";

/**
 * Options of {@linkcode SqliteHistoryStore.open}.
 *
 * @example
 * ```ts
 * import { SqliteHistoryStore, type SqliteHistoryStoreOptions } from "./sqlite_history_store.ts";
 *
 * const options: SqliteHistoryStoreOptions = { path: "var/histories.db", synchronous: "FULL", retention: "30d" };
 * const store = await SqliteHistoryStore.open(options);
 * await store.close();
 * ```
 */
export interface SqliteHistoryStoreOptions {
  /**
   * The database file, relative to the working directory or absolute; created (with its folder)
   * when missing, unless `create` is `false`.
   * @default ".workflow-sandbox/histories.db"
   */
  readonly path?: string;
  /**
   * Whether to create the database when the file does not exist. Set it to `false` in production
   * so a wrong `path`, or a deleted database, fails instead of starting empty.
   * @default true
   */
  readonly create?: boolean;
  /**
   * SQLite's `synchronous` setting. `"NORMAL"`: a commit is durable against a crash of the
   * process, and a power loss or OS crash may undo the commits since the last checkpoint's flush.
   * `"FULL"`: every commit is flushed to disk before it is acknowledged (costlier per commit;
   * group commit pays it once per event-loop turn).
   * @default "NORMAL"
   */
  readonly synchronous?: "NORMAL" | "FULL";
  /**
   * How long a write waits for the lock another connection holds (another process, an sqlite3
   * shell) before it fails with `WFS_STORE_LOCKED`. The wait is on the event loop (retries 1 to
   * 10 ms apart), not blocking it; only the check at open waits inside SQLite.
   * @default "1s"
   */
  readonly busyTimeout?: Duration;
  /**
   * Whether the writes of one event-loop turn share one transaction. `false` commits each write
   * alone (for measurements).
   * @default true
   */
  readonly groupCommit?: boolean;
  /**
   * How often the store looks for commits of other processes (`PRAGMA data_version`, about a µs
   * a look) while a worker runs or a client waits for a result or an answer: new work is noticed
   * within this time, usually sooner (a change of the WAL file makes it look at once; that notice
   * is only a hint). Each look costs a timer's wake-up: at 25 ms about 1% of a core while idle on
   * a loaded 2-core machine (measured; far less on an idle one).
   * @default "25ms"
   */
  readonly pollInterval?: Duration;
  /**
   * How long a process may go without a heartbeat (every fifth of this) before the others take it
   * for dead and take over its workflows, timers and activity attempts. A process that died is
   * noticed sooner, at the next heartbeat of another (its session's lock is free: see
   * docs/deploying.md, "Several workers"); this bounds the wait for one that hangs.
   * @default "10s"
   */
  readonly leaseTimeout?: Duration;
  /**
   * Deletes closed runs (their histories and all) this long after they closed: at open, then
   * periodically (every tenth of it, between 1 s and 1 h). Temporal calls it the namespace's
   * retention period.
   * @default none: histories are kept until deleted with deleteClosedRuns()
   */
  readonly retention?: Duration;
  /**
   * The check at open: `"quick"` runs SQLite's `quick_check` (every page, not indexes against
   * tables); `"full"` runs `integrity_check` and checks every row's checksum (verify()), which
   * takes longer on a large database.
   * @default "quick"
   */
  readonly check?: "quick" | "full";
  /**
   * Opens a database whose WAL is missing, or damaged before its last transaction, keeping what
   * the database file holds: the commits in the lost part of the WAL are gone. Use it only when no
   * newer backup exists.
   * @default false: such a database is refused with WFS_STORE_CORRUPT
   */
  readonly acceptWalLoss?: boolean;
  /**
   * Receives recoveries worth knowing about: a torn last commit dropped, damaged rows left out
   * of a list, old runs deleted by retention.
   * @default console.warn
   */
  readonly warn?: (message: string) => void;
  /**
   * Told after each durable step.
   * @default createCrashInjector(), which reads WORKFLOW_SANDBOX_CRASH_AFTER
   */
  readonly crashInjector?: CrashInjector;
}

/**
 * Options of {@linkcode SqliteHistoryStore.deleteClosedRuns}.
 *
 * @example
 * ```ts
 * import type { DeleteClosedRunsOptions } from "./sqlite_history_store.ts";
 *
 * const olderThanAWeek: DeleteClosedRunsOptions = { closedBefore: Date.now() - 7 * 86_400_000 };
 * ```
 */
export interface DeleteClosedRunsOptions {
  /** Deletes the runs that closed before this time (ms since the Unix epoch, by their close event's timestamp). */
  readonly closedBefore: number;
}

/**
 * What {@linkcode SqliteHistoryStore.backup} made.
 *
 * @example
 * ```ts
 * import { SqliteHistoryStore, type BackupReport } from "./sqlite_history_store.ts";
 *
 * const store = await SqliteHistoryStore.open();
 * const report: BackupReport = await store.backup(`backups/histories-${Date.now()}.db`);
 * console.log(report.method, report.bytes, report.runs);
 * await store.close();
 * ```
 */
export type BackupReport = BackupFacts;

/**
 * What {@linkcode SqliteHistoryStore.verify} found.
 *
 * @example
 * ```ts
 * import { SqliteHistoryStore, type VerifyReport } from "./sqlite_history_store.ts";
 *
 * const store = await SqliteHistoryStore.open();
 * const report: VerifyReport = await store.verify();
 * for (const problem of report.problems) console.error(problem.workflowId ?? "(database)", problem.message);
 * await store.close();
 * ```
 */
export interface VerifyReport {
  /** Whether nothing is wrong. */
  readonly ok: boolean;
  /** Runs and events checked. */
  readonly runs: number;
  readonly events: number;
  readonly problems: readonly StoreProblem[];
}

/**
 * What an import copied.
 *
 * @example
 * ```ts
 * import type { ImportReport } from "./sqlite_history_store.ts";
 *
 * const report: ImportReport = { workflows: 2, runs: 3, events: 41, timers: 1, activities: 0 };
 * ```
 */
export interface ImportReport {
  readonly workflows: number;
  readonly runs: number;
  readonly events: number;
  readonly timers: number;
  readonly activities: number;
}

/**
 * Options of {@linkcode SqliteHistoryStore.importFileStore}: the database's options, and the
 * folder to read.
 *
 * @example
 * ```ts
 * import type { ImportFileStoreOptions } from "./sqlite_history_store.ts";
 *
 * const options: ImportFileStoreOptions = { directory: ".workflow-sandbox", path: ".workflow-sandbox/histories.db" };
 * ```
 */
export interface ImportFileStoreOptions extends SqliteHistoryStoreOptions {
  /**
   * The `FileHistoryStore` folder to import.
   * @default ".workflow-sandbox"
   */
  readonly directory?: string;
}

const DEFAULT_PATH = ".workflow-sandbox/histories.db";
const DEFAULT_BUSY_TIMEOUT_MS = 1_000;
const DEFAULT_POLL_INTERVAL_MS = 25;
const DEFAULT_LEASE_TIMEOUT_MS = 10_000;
/** A posted query nobody withdrew (its client died) is deleted after this long. */
const QUERY_LEFTOVER_MS = 10 * 60_000;
/**
 * The latest run of a workflow id: the greatest row id among its runs, found in the index of its
 * ids (measured faster than `ORDER BY id DESC LIMIT 1`, which sorts, notably when there is none).
 */
const LATEST_RUN_SQL = `SELECT ${RUN_COLUMNS} FROM runs WHERE id = (SELECT max(id) FROM runs WHERE workflow_id = ?)`;
/** The columns of `runs` an UPDATE may set: all but the row id. */
const UPDATED_COLUMNS = RUN_COLUMNS.split(", ").slice(1);
/** Events written by one INSERT statement at most (so at most that many statements are prepared for them). */
const EVENTS_PER_INSERT = 8;
/** Runs deleted per transaction by retention, so the event loop is never blocked long. */
const DELETE_BATCH = 500;

/**
 * The databases this process has open, by real path: a second store object on the same file
 * would wait for the first one's open transaction while blocking the very event loop that
 * commits it.
 */
const OPEN_DATABASES = new Set<string>();

const optionsSchema = z.object({
  path: z.string().min(1).optional(),
  create: z.boolean().optional(),
  synchronous: z.enum(["NORMAL", "FULL"]).optional(),
  busyTimeout: z.custom<Duration>(isDuration, { error: "expected milliseconds or a duration string such as '1s'" }).optional(),
  groupCommit: z.boolean().optional(),
  pollInterval: z.custom<Duration>(isDuration, { error: "expected milliseconds or a duration string such as '20ms'" }).optional(),
  leaseTimeout: z.custom<Duration>(isDuration, { error: "expected milliseconds or a duration string such as '10s'" }).optional(),
  retention: z.custom<Duration>(isDuration, { error: "expected milliseconds or a duration string such as '30d'" }).optional(),
  check: z.enum(["quick", "full"]).optional(),
  acceptWalLoss: z.boolean().optional(),
  warn: z.custom<(message: string) => void>((v) => typeof v === "function", { error: "expected a function" }).optional(),
  crashInjector: z.custom<CrashInjector>((v) => typeof v === "object" && v !== null && typeof (v as CrashInjector).reached === "function", {
    error: "expected a CrashInjector (createCrashInjector())",
  }).optional(),
}).strict();

/**
 * A durable {@linkcode HistoryStore} in one SQLite database: WAL mode, group commit, checksummed
 * rows. Several processes on one host may open the same database: clients (a web server, a script)
 * and workers, which share the work through leases ({@linkcode StoreCoordination}, see
 * docs/deploying.md).
 *
 * @example
 * ```ts
 * import { SqliteHistoryStore, WorkflowEnvironment } from "workflow-sandbox";
 *
 * const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open() });
 * // ... Worker.create(env, ...), env.client.start(...)
 * await env.teardown(); // closes the store
 * ```
 */
export class SqliteHistoryStore implements HistoryStore {
  /** The database file, absolute. */
  readonly path: string;
  /** SQLite's `synchronous` setting in use. */
  readonly synchronous: "NORMAL" | "FULL";
  /** Whether writes of one event-loop turn share a transaction. */
  readonly groupCommit: boolean;
  readonly #sqlite: SqliteModule;
  readonly #writer: DatabaseSync;
  readonly #reader: DatabaseSync;
  readonly #group: GroupCommit;
  readonly #statements = new Map<DatabaseSync, Map<string, StatementSync>>();
  readonly #warn: (message: string) => void;
  readonly #crash: CrashInjector;
  readonly #busyTimeoutMs: number;
  readonly #retentionMs: number | undefined;
  readonly #openKey: string;
  /** Damage already reported by a list, so a poll loop does not repeat it. */
  readonly #reported = new Set<string>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #sweeping: Promise<void> | undefined;
  #closed = false;
  /** This process's session: its id, its lock, the task queues its workers poll. */
  readonly #sessionId: string;
  readonly #sessionLock: SessionLock | undefined;
  #epoch = 0;
  #taskQueues: readonly string[] = [];
  readonly #pollIntervalMs: number;
  readonly #leaseTimeoutMs: number;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #beating: Promise<void> | undefined;
  /** Change feed: listeners, the poll timer, and the last data_version seen on the writing connection. */
  readonly #watchers = new Set<() => void>();
  #poller: ReturnType<typeof setInterval> | undefined;
  #dataVersion: number | undefined;
  /** A file-change notice on the WAL: a hint to look at once, never relied on. */
  #hint: fs.FSWatcher | undefined;
  #hinted = false;
  /** What several processes share: see {@linkcode StoreCoordination}. */
  readonly coordination: StoreCoordination;
  /** The runs this process wrote or verified (./_sqlite_run_cache.ts). */
  readonly #cache = new RunCache();
  /** The text of the UPDATE of each set of changed run columns (by their indexes). */
  readonly #updateStatements = new Map<string, string>();
  /** The thread that checkpoints the WAL off the event loop, once the store has written enough. */
  #checkpointer: Checkpointer | undefined;
  /** Whether {@linkcode #observeCommits} looked during the current task (reset by a microtask). */
  #commitsObserved = false;
  /** Reads a run row's stored checksum by row id, on each connection: how the cache checks an entry. */
  readonly #checksumReaders = new Map<DatabaseSync, ChecksumReader>();

  private constructor(init: {
    path: string;
    sqlite: SqliteModule;
    writer: DatabaseSync;
    reader: DatabaseSync;
    synchronous: "NORMAL" | "FULL";
    groupCommit: boolean;
    warn: (message: string) => void;
    crash: CrashInjector;
    busyTimeoutMs: number;
    retentionMs: number | undefined;
    openKey: string;
    pollIntervalMs: number;
    leaseTimeoutMs: number;
    sessionId: string;
    sessionLock: SessionLock | undefined;
  }) {
    this.path = init.path;
    this.synchronous = init.synchronous;
    this.groupCommit = init.groupCommit;
    this.#sqlite = init.sqlite;
    this.#writer = init.writer;
    this.#reader = init.reader;
    this.#warn = init.warn;
    this.#crash = init.crash;
    this.#busyTimeoutMs = init.busyTimeoutMs;
    this.#retentionMs = init.retentionMs;
    this.#openKey = init.openKey;
    this.#sessionId = init.sessionId;
    this.#sessionLock = init.sessionLock;
    this.#pollIntervalMs = init.pollIntervalMs;
    this.#leaseTimeoutMs = init.leaseTimeoutMs;
    this.#group = new GroupCommit({
      db: init.writer,
      grouped: init.groupCommit,
      busyTimeoutMs: init.busyTimeoutMs,
      toError: (error) => sqliteError(this.#context("Cannot commit to history store"), error),
      // The cache follows the write transactions: staged while one runs, kept once it commits.
      observer: {
        began: () => {
          this.#cache.begin();
          // Inside the transaction, which holds the write lock: what it reads is the latest commit,
          // so the reads of this task (the writers' continuations) need not look again.
          try {
            this.#cache.observe(this.#readDataVersion());
            this.#commitsSeenThisTask();
          } catch {
            this.#cache.clear();
          }
        },
        writeStarts: () => this.#cache.startWrite(),
        writeUndone: () => this.#cache.undoWrite(),
        ended: (outcome, writes) => {
          this.#cache.end(outcome);
          if (writes > 0) this.#checkpointer?.committed(writes);
        },
      },
    });
    this.coordination = this.#coordination();
  }

  /**
   * Opens (creating if needed) the database at `options.path`. Before SQLite touches the files,
   * it reads the WAL (refusing one damaged before its last transaction) and checks the database
   * on a read-only connection: `quick_check`, that it is a workflow-sandbox database of this
   * schema version or older (migrated forward), and that no WAL went missing since a crash. Fails
   * with `WFS_STORE_CORRUPT` naming what is wrong and the recovery, `WFS_STORE_LOCKED` when this
   * process has it open already.
   *
   * @example
   * ```ts
   * import { SqliteHistoryStore } from "./sqlite_history_store.ts";
   *
   * const store = await SqliteHistoryStore.open({ path: ".workflow-sandbox/histories.db" });
   * console.log(store.path, store.synchronous, (await store.listExecutions({ status: "running" })).length);
   * await store.close();
   * ```
   */
  static async open(options: SqliteHistoryStoreOptions = {}): Promise<SqliteHistoryStore> {
    const parsed = parseOptions(optionsSchema, options, "SqliteHistoryStore.open()");
    const sqlite = await loadSqlite();
    const path = resolve(parsed.path ?? DEFAULT_PATH);
    const warn = parsed.warn ?? ((message: string) => console.warn(message));
    const busyTimeoutMs = parseDuration(parsed.busyTimeout ?? DEFAULT_BUSY_TIMEOUT_MS, "busyTimeout");
    const retentionMs = parsed.retention === undefined ? undefined : parseDuration(parsed.retention, "retention");
    const synchronous = parsed.synchronous ?? "NORMAL";
    const pollIntervalMs = parseDuration(parsed.pollInterval ?? DEFAULT_POLL_INTERVAL_MS, "pollInterval");
    const leaseTimeoutMs = parseDuration(parsed.leaseTimeout ?? DEFAULT_LEASE_TIMEOUT_MS, "leaseTimeout");
    const context: SqliteErrorContext = { action: "Cannot open history store", path, busyTimeoutMs };
    try {
      fs.mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw fileError(`Cannot create the folder of history store '${path}'`, error);
    }
    const openKey = `${fs.realpathSync(dirname(path))}/${basename(path)}`;
    if (OPEN_DATABASES.has(openKey)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_LOCKED",
        message: `Cannot open history store '${path}': this process has it open already (another SqliteHistoryStore)`,
        hint: "Share that store (a client and a worker of one process use one store), or close it first",
      });
    }
    OPEN_DATABASES.add(openKey);
    const connections: DatabaseSync[] = [];
    // The session's lock first, before anything is written: a process that may be writing to the
    // WAL always holds one, so the check below knows whether the WAL is live.
    const sessionId = randomUUID();
    let sessionLock: SessionLock | undefined;
    try {
      sessionLock = SessionLock.take(sqlite, sessionFolder(path), sessionId);
    } catch (error) {
      // Without a lock file the session is judged by its heartbeat alone.
      warn(`History store '${path}': cannot create this process's session lock file (${(error as Error).message}); ` +
        `other processes will take it for dead only once its heartbeat is ${leaseTimeoutMs} ms old`);
    }
    try {
      const found = checkBeforeOpen(sqlite, path, {
        create: parsed.create ?? true,
        check: parsed.check ?? "quick",
        acceptWalLoss: parsed.acceptWalLoss ?? false,
        warn,
        othersOpen: anySessionAlive(sqlite, path, sessionId),
      });

      const writer = new sqlite.DatabaseSync(path);
      connections.push(writer);
      configure(writer, busyTimeoutMs);
      const mode = (writer.prepare("PRAGMA journal_mode = WAL").get() as { journal_mode: string }).journal_mode;
      if (mode !== "wal") {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_IO",
          message: `Cannot open history store '${path}': SQLite cannot use WAL mode there (journal mode stays '${mode}')`,
          hint: "Put the database on a local disk: WAL needs shared memory, which network file systems do not give",
        });
      }
      writer.exec(`PRAGMA synchronous = ${synchronous}`);
      if (found.version < SCHEMA_VERSION) migrate(writer, found.version);
      // Recorded in the database file itself (the checkpoint), so that a WAL found missing at the
      // next open is known to have held commits (./_sqlite_open_checks.ts).
      writer.exec("BEGIN IMMEDIATE");
      writer.exec("UPDATE meta SET value = 'open' WHERE key = 'state'");
      writer.exec("COMMIT");
      checkpointMarker(writer);
      // From here on the writing connection never waits for the lock inside SQLite (which would
      // block the event loop): group commit retries on the event loop instead.
      writer.exec("PRAGMA busy_timeout = 0");
      const reader = new sqlite.DatabaseSync(path);
      connections.push(reader);
      configure(reader, busyTimeoutMs);
      reader.exec("PRAGMA query_only = ON");

      const store = new SqliteHistoryStore({
        path,
        sqlite,
        writer,
        reader,
        synchronous,
        groupCommit: parsed.groupCommit ?? true,
        warn,
        crash: parsed.crashInjector ?? createCrashInjector(),
        busyTimeoutMs,
        retentionMs,
        openKey,
        pollIntervalMs,
        leaseTimeoutMs,
        sessionId,
        sessionLock,
      });
      await store.#startSession();
      if (parsed.check === "full") {
        for (const problem of (await store.verify()).problems) warn(`History store '${path}': ${problem.message}`);
      }
      if (retentionMs !== undefined) {
        await store.#sweep();
        store.#sweeper = setInterval(() => {
          store.#sweeping ??= store.#sweep().finally(() => store.#sweeping = undefined);
        }, Math.min(Math.max(retentionMs / 10, 1_000), 3_600_000));
        store.#sweeper.unref?.();
      }
      store.#checkpointer = new Checkpointer({ path, synchronous, writer });
      return store;
    } catch (error) {
      for (const db of connections.reverse()) closeQuietly(db);
      sessionLock?.release();
      OPEN_DATABASES.delete(openKey);
      throw sqliteError(context, error);
    }
  }

  /** Registers this process's session, takes its lock, and takes over the work of dead sessions. */
  async #startSession(): Promise<void> {
    this.#dataVersion = this.#readDataVersion();
    await this.#write([], (db) => this.#registerSession(db));
    await this.#sweepSessions();
    this.#heartbeat = setInterval(() => {
      this.#beating ??= this.#beat().finally(() => this.#beating = undefined);
    }, Math.max(Math.floor(this.#leaseTimeoutMs / 5), 10));
    this.#heartbeat.unref?.();
  }

  /**
   * Imports a `FileHistoryStore` folder into a database (created if missing): every run of every
   * workflow, with its events, pending timers and activity tasks, in one transaction (all or
   * nothing), then checks that the database answers as the folder does. The folder is opened
   * with its lock, so no worker may be using it; it is left as it is. A workflow id already in
   * the database is refused (`WFS_STORE_INVALID`) and nothing is imported.
   *
   * @example
   * ```ts
   * import { SqliteHistoryStore } from "./sqlite_history_store.ts";
   *
   * const report = await SqliteHistoryStore.importFileStore({ directory: ".workflow-sandbox", path: ".workflow-sandbox/histories.db" });
   * console.log(`${report.workflows} workflows, ${report.runs} runs, ${report.events} events imported`);
   * ```
   */
  static async importFileStore(options: ImportFileStoreOptions = {}): Promise<ImportReport> {
    const { directory, ...storeOptions } = options;
    const source = await FileHistoryStore.open({ directory, warn: options.warn, crashInjector: createCrashInjector({ value: "" }) });
    try {
      const target = await SqliteHistoryStore.open(storeOptions);
      try {
        return await target.importHistoryStore(source);
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  }

  /** See {@linkcode HistoryStore.createExecution}. */
  createExecution(execution: NewExecution): Promise<ExecutionInfo> {
    return this.#write(["start"], (db) => {
      const copy = jsonCopy(execution, `Cannot start workflow '${describeId(execution)}'`);
      const what = `Cannot start workflow '${copy?.workflowId}'`;
      checkNewRun(copy, what, true);
      const earlier = this.#requested(db, copy.workflowId, copy.requestId, what);
      if (earlier !== undefined) return copyInfo(earlier.info);
      const latest = this.#latestRun(db, copy.workflowId, what);
      if (latest?.info.status === "running") throw alreadyRunning(what, latest.info.runId);
      // A workflow id without a run has no run id taken.
      checkRunIdFree(latest !== undefined && this.#runIdUsed(db, copy.workflowId, copy.runId), copy.runId, what);
      const run = this.#insertRun(db, newInfo(copy), copy.events);
      if (copy.requestId !== undefined) this.#recordRequest(db, copy.workflowId, copy.requestId, run.id);
      return copyInfo(run.info);
    });
  }

  /** See {@linkcode HistoryStore.append}. */
  append(key: ExecutionKey, batch: AppendBatch): Promise<ExecutionInfo> {
    const steps: PersistenceStep[] = ["append"];
    if (typeof batch?.step === "string" && batch.step !== "append") steps.push(batch.step);
    return this.#write(steps, (db) => this.#append(db, key, batch));
  }

  /** The body of {@linkcode append}, in the write transaction. */
  #append(db: DatabaseSync, key: ExecutionKey, batch: AppendBatch): ExecutionInfo {
    {
      const what = `Cannot append to workflow '${key?.workflowId}' run '${key?.runId}'`;
      const entry = this.#findRunEntry(db, key, what, true);
      const run = entry.run;
      const info = copyInfo(run.info);
      const requestId = (batch as { requestId?: unknown } | undefined)?.requestId;
      checkRequestId(requestId, what);
      if (this.#requested(db, key.workflowId, requestId, what) !== undefined) return info;
      checkRunning(info, what);
      const copy = jsonCopy(batch, what);
      checkBatchHead(copy, batch, info, what);
      const events = copy.events ?? [];
      checkEvents(events, info.lastEventId, what);
      checkBatch({
        workflowId: info.workflowId,
        timers: this.#pendingIds(db, run, "timers", what),
        activities: this.#pendingIds(db, run, "activities", what),
        runIdUsed: (runId) => this.#runIdUsed(db, info.workflowId, runId),
      }, copy, events, what);

      const chain = new EventChain(run.head);
      const bodies = this.#insertEvents(db, run.id, chain, events);
      info.lastEventId += events.length;
      for (const id of copy.timers?.remove ?? []) this.#sql(db, "DELETE FROM timers WHERE run = ? AND timer_id = ?").run(run.id, id);
      // A removed or replaced activity task (an outcome, a retry) ends the attempt its claim was for.
      for (const id of [...copy.activities?.remove ?? [], ...(copy.activities?.put ?? []).map((task) => task.activityId)]) {
        this.#sql(db, "DELETE FROM activity_claims WHERE run = ? AND activity_id = ?").run(run.id, id);
      }
      for (const timer of copy.timers?.put ?? []) {
        this.#sql(db, "INSERT OR REPLACE INTO timers (run, timer_id, fires_at, body, checksum) VALUES (?, ?, ?, ?, ?)")
          .run(run.id, ...timerRow(info.workflowId, info.runId, timer) as [string, number, string, Uint8Array]);
      }
      for (const id of copy.activities?.remove ?? []) this.#sql(db, "DELETE FROM activities WHERE run = ? AND activity_id = ?").run(run.id, id);
      for (const task of copy.activities?.put ?? []) {
        this.#sql(db, "INSERT OR REPLACE INTO activities (run, activity_id, task_queue, ready_at, body, checksum) VALUES (?, ?, ?, ?, ?, ?)")
          .run(run.id, ...activityRow(info.workflowId, info.runId, task) as [string, string, number, string, Uint8Array]);
      }
      if (copy.workflowTaskPending !== undefined) info.workflowTaskPending = copy.workflowTaskPending;
      if (copy.taskFailure === null) delete info.taskFailure;
      else if (copy.taskFailure !== undefined) info.taskFailure = copy.taskFailure;
      if (copy.status !== undefined) {
        // A closed run does no more work: nothing of it may be picked up again after a restart.
        info.status = copy.status;
        info.closeTime = events[events.length - 1]!.timestamp;
        info.workflowTaskPending = false;
        delete info.taskFailure;
        this.#sql(db, "DELETE FROM timers WHERE run = ?").run(run.id);
        this.#sql(db, "DELETE FROM activities WHERE run = ?").run(run.id);
        this.#sql(db, "DELETE FROM activity_claims WHERE run = ?").run(run.id);
      }
      if (copy.continueAsNew !== undefined) {
        info.nextRunId = copy.continueAsNew.runId;
        const next = { ...copy.continueAsNew, workflowId: info.workflowId };
        const nextRun = this.#insertRun(db, newInfo(next), next.events);
        // The next run stays with the process that ran this one, which has the code warm.
        this.#sql(db, "INSERT INTO run_owners (run, session) SELECT ?, session FROM run_owners WHERE run = ?").run(nextRun.id, run.id);
      }
      if (copy.status !== undefined) this.#sql(db, "DELETE FROM run_owners WHERE run = ?").run(run.id);
      if (requestId !== undefined) this.#recordRequest(db, info.workflowId, requestId, run.id);
      const updated: StoredRun = { id: run.id, info, head: chain.head };
      this.#cache.append(entry, updated, this.#updateRun(db, run, updated), bodies);
      return copyInfo(info);
    }
  }

  /** See {@linkcode HistoryStore.readEvents}. */
  readEvents(ref: ExecutionRef, options: ReadEventsOptions = {}): Promise<HistoryEvent[]> {
    const what = `Cannot read the history of workflow '${ref?.workflowId}'`;
    return this.#read(ref, (db) => {
      const entry = this.#findRunEntry(db, ref, what, false);
      const run = entry.run;
      const after = options.afterEventId ?? 0;
      checkAfterEventId(ref.workflowId, after);
      const seed = after === 0
        ? undefined
        : (this.#sql(db, "SELECT checksum FROM events WHERE run = ? AND event_id = ?").get(run.id, after) as { checksum?: unknown } | undefined)?.checksum;
      const rows = this.#sql(db, "SELECT event_id, body, checksum FROM events WHERE run = ? AND event_id > ? AND event_id <= ? ORDER BY event_id")
        .all(run.id, after, run.info.lastEventId) as unknown as EventRow[];
      const events = readChain(run, after, seed, rows);
      if (!Array.isArray(events)) {
        throw damaged({ action: what, path: this.path, workflowId: run.info.workflowId, runId: run.info.runId, eventId: events.eventId, problem: events.problem });
      }
      // The whole history, checked: the next reads of it are served from memory.
      if (after === 0) this.#cache.put(run, entry.checksum, rows.map((row) => row.body as string), false);
      return events;
    }, (db) => {
      // From the cache when it holds the whole history: its chain was checked when it was read or written.
      checkRef(ref, what, false);
      const after = options.afterEventId ?? 0;
      checkAfterEventId(ref.workflowId, after);
      const cached = this.#cached(db, ref);
      const bodies = cached?.events;
      if (bodies === undefined) return undefined;
      const last = cached!.run.info.lastEventId;
      const events: HistoryEvent[] = [];
      for (let index = after; index < last; index++) events.push(JSON.parse(bodies[index]!) as HistoryEvent);
      return events;
    });
  }

  /** See {@linkcode HistoryStore.getExecution}. */
  getExecution(ref: ExecutionRef): Promise<ExecutionInfo | undefined> {
    return this.#readOne(ref, (db) => {
      try {
        this.#observeCommits();
        return copyInfo(this.#findRun(db, ref, `Cannot describe workflow '${ref?.workflowId}'`, false).info);
      } catch (error) {
        if (error instanceof HistoryStoreError && error.code === "WFS_STORE_NOT_FOUND") return undefined;
        throw error;
      }
    });
  }

  /**
   * See {@linkcode HistoryStore.listExecutions}. Ties in the order compare ids by their UTF-8
   * bytes (SQLite's BINARY collation), where the memory store compares UTF-16 code units: the two
   * differ only between characters above U+FFFF and U+E000-U+FFFF.
   */
  listExecutions(filter: ListExecutionsFilter = {}): Promise<ExecutionInfo[]> {
    return this.#read(undefined, (db) => {
      checkListFilter(filter);
      const where: string[] = [];
      const params: (string | number)[] = [];
      const add = (sql: string, ...values: (string | number)[]) => {
        where.push(sql);
        params.push(...values);
      };
      if (filter.workflowId !== undefined) add("workflow_id = ?", filter.workflowId);
      if (filter.status !== undefined) add("status = ?", filter.status);
      if (filter.workflowType !== undefined) add("workflow_type = ?", filter.workflowType);
      if (filter.startTime?.from !== undefined) add("start_time >= ?", filter.startTime.from);
      if (filter.startTime?.to !== undefined) add("start_time < ?", filter.startTime.to);
      if (filter.closeTime !== undefined) add("close_time IS NOT NULL");
      if (filter.closeTime?.from !== undefined) add("close_time >= ?", filter.closeTime.from);
      if (filter.closeTime?.to !== undefined) add("close_time < ?", filter.closeTime.to);
      const after = filter.after;
      if (after !== undefined) add("(start_time, workflow_id, run_id) > (?, ?, ?)", after.startTime, after.workflowId, after.runId);
      const sql = `SELECT ${RUN_COLUMNS} FROM runs${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ` +
        "ORDER BY start_time, workflow_id, run_id";
      const found: ExecutionInfo[] = [];
      for (const row of this.#sql(db, sql).iterate(...params)) {
        const run = this.#listedRun(row, "Cannot list workflow executions");
        if (run === undefined) continue;
        const info = run.info;
        if (!matchesListFilter(info, filter) || (filter.workflowId !== undefined && info.workflowId !== filter.workflowId)) {
          this.#reportListed("Cannot list workflow executions", info.workflowId, info.runId, "an index led to a row that does not match the query");
          continue;
        }
        found.push(copyInfo(info));
        if (found.length === filter.limit) break;
      }
      return found;
    });
  }

  /** See {@linkcode HistoryStore.listWorkflowTasks}. */
  listWorkflowTasks(filter: ListWorkflowTasksFilter = {}): Promise<ExecutionInfo[]> {
    return this.#listWorkflowTasks(filter, false);
  }

  /** `leased`: leave out the runs another session owns. */
  #listWorkflowTasks(filter: ListWorkflowTasksFilter, leased: boolean, limit?: number): Promise<ExecutionInfo[]> {
    // One read transaction: the rows read after the list are of its snapshot.
    return this.#read(undefined, (db) => {
      const where = ["task_pending = 1", "status = 'running'"];
      const params: (string | number)[] = [];
      if (leased) {
        where.push("NOT EXISTS (SELECT 1 FROM run_owners o WHERE o.run = runs.id AND o.session <> ?)");
        params.push(this.#sessionId);
      }
      if (filter.taskQueue !== undefined) {
        where.push("task_queue = ?");
        params.push(filter.taskQueue);
      }
      if (filter.readyBy !== undefined) {
        where.push("(retry_at IS NULL OR retry_at <= ?)");
        params.push(filter.readyBy);
      }
      // The ids and checksums first, which the sort carries (every pending run, many in flight);
      // the whole row only for a run this process has not checked already.
      const sql = `SELECT id, workflow_id, run_id, checksum FROM runs WHERE ${where.join(" AND ")} ` +
        `ORDER BY coalesce(retry_at, start_time), workflow_id, run_id${limit === undefined ? "" : ` LIMIT ${Math.max(1, Math.floor(limit))}`}`;
      const found: ExecutionInfo[] = [];
      const rows = this.#sql(db, sql).all(...params) as { id: number; workflow_id: unknown; run_id: unknown; checksum: unknown }[];
      for (const head of rows) {
        const known = typeof head.workflow_id === "string" && typeof head.run_id === "string"
          ? this.#cache.matching(head.workflow_id, head.run_id, head.checksum)
          : undefined;
        const row = known === undefined ? this.#sql(db, `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(head.id) : undefined;
        if (known === undefined && row === undefined) continue; // not in this snapshot: cannot happen
        const run = known?.run ?? this.#listedRun(row, "Cannot list workflow tasks");
        if (run === undefined) continue;
        const info = run.info;
        const matches = info.workflowTaskPending && info.status === "running" &&
          (filter.taskQueue === undefined || info.taskQueue === filter.taskQueue) &&
          (filter.readyBy === undefined || (info.taskFailure?.nextAttemptAt ?? -Infinity) <= filter.readyBy);
        if (!matches) {
          this.#reportListed("Cannot list workflow tasks", info.workflowId, info.runId, "an index led to a row that does not match the query");
          continue;
        }
        found.push(copyInfo(info));
      }
      return found;
    });
  }

  /** See {@linkcode HistoryStore.listTimers}. */
  listTimers(filter: ListTimersFilter = {}): Promise<DurableTimer[]> {
    return this.#listTimers(filter, false);
  }

  /** `leased`: leave out the timers of runs another session owns. */
  #listTimers(filter: ListTimersFilter, leased: boolean, limit?: number): Promise<DurableTimer[]> {
    return this.#readOne(undefined, (db) => {
      const conditions: string[] = [];
      const params: (string | number)[] = [];
      if (filter.dueBy !== undefined) {
        conditions.push("t.fires_at <= ?");
        params.push(filter.dueBy);
      }
      if (leased) {
        conditions.push("NOT EXISTS (SELECT 1 FROM run_owners o WHERE o.run = t.run AND o.session <> ?)");
        params.push(this.#sessionId);
      }
      const due = conditions.length === 0 ? "" : ` WHERE ${conditions.join(" AND ")}`;
      // A left join, and the run's status checked here: a timer whose row names a missing or a
      // closed run is damage to report, not a row to drop.
      const sql = "SELECT r.workflow_id, r.run_id, r.status, t.run, t.timer_id, t.fires_at, t.body, t.checksum FROM timers t " +
        `LEFT JOIN runs r ON r.id = t.run${due} ORDER BY t.fires_at, r.workflow_id, r.run_id, t.timer_id` +
        (limit === undefined ? "" : ` LIMIT ${Math.max(1, Math.floor(limit))}`);
      const timers: DurableTimer[] = [];
      for (const row of this.#sql(db, sql).iterate(...params) as Iterable<PendingRow>) {
        const timer = row.status === "running" ? decodeTimer(row.workflow_id, row.run_id, row as never) : undefined;
        if (timer === undefined || typeof timer === "string") {
          this.#reportPending(db, "timers", row, timer);
          continue;
        }
        timers.push({ workflowId: row.workflow_id, runId: row.run_id, ...timer });
      }
      return timers;
    });
  }

  /** See {@linkcode HistoryStore.listActivityTasks}. */
  listActivityTasks(filter: ListActivityTasksFilter = {}): Promise<ActivityTask[]> {
    return this.#listActivityTasks(filter, false);
  }

  /** `leased`: leave out the attempts a session has claimed. */
  #listActivityTasks(filter: ListActivityTasksFilter, leased: boolean, limit?: number): Promise<ActivityTask[]> {
    return this.#readOne(undefined, (db) => {
      const where: string[] = [];
      const params: (string | number)[] = [];
      if (leased) where.push("NOT EXISTS (SELECT 1 FROM activity_claims c WHERE c.run = a.run AND c.activity_id = a.activity_id)");
      if (filter.taskQueue !== undefined) {
        where.push("a.task_queue = ?");
        params.push(filter.taskQueue);
      }
      if (filter.readyBy !== undefined) {
        where.push("a.ready_at <= ?");
        params.push(filter.readyBy);
      }
      const sql = "SELECT r.workflow_id, r.run_id, r.status, a.run, a.activity_id, a.task_queue, a.ready_at, a.body, a.checksum " +
        `FROM activities a LEFT JOIN runs r ON r.id = a.run${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ` +
        "ORDER BY a.ready_at, r.workflow_id, r.run_id, a.activity_id" + (limit === undefined ? "" : ` LIMIT ${Math.max(1, Math.floor(limit))}`);
      const tasks: ActivityTask[] = [];
      for (const row of this.#sql(db, sql).iterate(...params) as Iterable<PendingRow>) {
        const task = row.status === "running" ? decodeActivity(row.workflow_id, row.run_id, row as never) : undefined;
        if (task === undefined || typeof task === "string") {
          this.#reportPending(db, "activities", row, task);
          continue;
        }
        tasks.push({ workflowId: row.workflow_id, runId: row.run_id, ...task });
      }
      return tasks;
    });
  }

  /**
   * Deletes the runs that closed before `closedBefore`, with their histories, a few hundred per
   * transaction; resolves with how many. Running runs are never deleted; a workflow id whose runs
   * are all deleted is free again. The file does not shrink: SQLite reuses the freed pages.
   *
   * @example
   * ```ts
   * import { SqliteHistoryStore } from "./sqlite_history_store.ts";
   *
   * const store = await SqliteHistoryStore.open();
   * const deleted = await store.deleteClosedRuns({ closedBefore: Date.now() - 30 * 86_400_000 });
   * console.log(`${deleted} runs closed more than 30 days ago deleted`);
   * await store.close();
   * ```
   */
  async deleteClosedRuns(options: DeleteClosedRunsOptions): Promise<number> {
    const closedBefore = options?.closedBefore;
    if (typeof closedBefore !== "number" || Number.isNaN(closedBefore)) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `Cannot delete closed runs: 'closedBefore' must be a time in ms since the epoch, got ${show(closedBefore)}`,
        hint: "Pass { closedBefore: Date.now() - retentionMs }",
      });
    }
    let deleted = 0;
    for (;;) {
      const count = await this.#write([], (db) => {
        const ids = this.#sql(db, "SELECT id FROM runs WHERE close_time IS NOT NULL AND close_time < ? ORDER BY close_time LIMIT ?")
          .all(closedBefore, DELETE_BATCH) as { id: number }[];
        for (const { id } of ids) this.#deleteRun(db, id);
        return ids.length;
      });
      deleted += count;
      if (count < DELETE_BATCH) return deleted;
    }
  }

  /**
   * Backs the database up to `destination`, a new file (never replaced), while the store runs:
   * one consistent snapshot of what was committed, with node:sqlite's `backup()` where the
   * runtime has it, else `VACUUM INTO` (Node 22.15, which blocks the event loop while it copies).
   * The backup is one self-contained file, checked and flushed before it gets its name; restore
   * it by copying it to the store's path while no store has it open (docs/deploying.md,
   * "Backups").
   *
   * @example
   * ```ts
   * import { SqliteHistoryStore } from "./sqlite_history_store.ts";
   *
   * const store = await SqliteHistoryStore.open();
   * const { path, method, bytes } = await store.backup(`backups/histories-${new Date().toISOString().slice(0, 10)}.db`);
   * console.log(`backed up to ${path} with ${method}: ${bytes} bytes`);
   * await store.close();
   * ```
   */
  async backup(destination: string): Promise<BackupReport> {
    if (this.#closed) throw storeClosed();
    const target = resolve(destination);
    try {
      fs.mkdirSync(dirname(target), { recursive: true });
      return await backupDatabase(this.#sqlite, this.path, target);
    } catch (error) {
      throw sqliteError(this.#context(`Cannot back up history store to '${target}'`), error);
    }
  }

  /**
   * Checks the whole database: SQLite's `integrity_check` (pages, and indexes against tables)
   * and every row's checksum, with every run's event chain. Reads check only what they read, so
   * run it after a restore and from time to time (it reads everything, blocking the event loop
   * meanwhile).
   *
   * @example
   * ```ts
   * import { SqliteHistoryStore } from "./sqlite_history_store.ts";
   *
   * const store = await SqliteHistoryStore.open();
   * const { ok, runs, events, problems } = await store.verify();
   * console.log(ok ? `${runs} runs, ${events} events: all sound` : problems.map((p) => p.message).join("\n"));
   * await store.close();
   * ```
   */
  verify(): Promise<VerifyReport> {
    return this.#read(undefined, (db) => {
      const facts = verifyDatabase(db);
      return { ok: facts.problems.length === 0, ...facts };
    });
  }

  /**
   * Copies every run of another store (with its events, timers and activity tasks) into this
   * one, in one transaction, then checks that this store answers for them as `source` does.
   * Refuses (`WFS_STORE_INVALID`, importing nothing) a workflow id this store already holds.
   *
   * @example
   * ```ts
   * import { FileHistoryStore } from "./file_history_store.ts";
   * import { SqliteHistoryStore } from "./sqlite_history_store.ts";
   *
   * const source = await FileHistoryStore.open({ directory: ".workflow-sandbox" });
   * const target = await SqliteHistoryStore.open({ path: "var/histories.db" });
   * console.log(await target.importHistoryStore(source));
   * await target.close();
   * await source.close();
   * ```
   */
  async importHistoryStore(source: HistoryStore): Promise<ImportReport> {
    if (this.#closed) throw storeClosed();
    const workflows = await readWholeStore(source);
    const report = await this.#write([], (db) => {
      let runs = 0;
      let events = 0;
      let timers = 0;
      let activities = 0;
      for (const workflow of workflows) {
        const what = `Cannot import workflow '${workflow.workflowId}'`;
        if (this.#latestRun(db, workflow.workflowId, what) !== undefined) {
          throw codedError(HistoryStoreError, {
            code: "WFS_STORE_INVALID",
            message: `${what} into history store '${this.path}': the database holds a workflow with this id already`,
            hint: "Import into a new database, or delete that workflow's runs first; nothing was imported",
          });
        }
        for (const imported of workflow.runs) {
          checkEvents(imported.events, 0, `${what} run '${imported.info.runId}'`);
          const run = this.#insertRun(db, imported.info, imported.events);
          for (const timer of imported.timers) {
            this.#sql(db, "INSERT INTO timers (run, timer_id, fires_at, body, checksum) VALUES (?, ?, ?, ?, ?)")
              .run(run.id, ...timerRow(run.info.workflowId, run.info.runId, timer) as [string, number, string, Uint8Array]);
          }
          for (const task of imported.activities) {
            this.#sql(db, "INSERT INTO activities (run, activity_id, task_queue, ready_at, body, checksum) VALUES (?, ?, ?, ?, ?, ?)")
              .run(run.id, ...activityRow(run.info.workflowId, run.info.runId, task) as [string, string, number, string, Uint8Array]);
          }
          runs++;
          events += imported.events.length;
          timers += imported.timers.length;
          activities += imported.activities.length;
        }
      }
      return { workflows: workflows.length, runs, events, timers, activities };
    });
    // The check below reads the database, not what this process remembers of its own writes.
    this.#cache.clear();
    for (const workflow of workflows) {
      for (const imported of workflow.runs) {
        const key = { workflowId: workflow.workflowId, runId: imported.info.runId };
        const [info, events] = await Promise.all([this.getExecution(key), this.readEvents(key)]);
        if (canonical(info) !== canonical(imported.info) || canonical(events) !== canonical(imported.events)) {
          throw codedError(HistoryStoreError, {
            code: "WFS_STORE_CORRUPT",
            message: `Imported workflow '${key.workflowId}' run '${key.runId}' into history store '${this.path}', ` +
              `but the database does not answer for it as the source does`,
            hint: "Report it with both stores; keep using the source until then",
          });
        }
      }
      const latest = workflow.runs.at(-1)!.info.runId;
      if ((await this.getExecution({ workflowId: workflow.workflowId }))?.runId !== latest) {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_CORRUPT",
          message: `Imported workflow '${workflow.workflowId}' into history store '${this.path}', but its latest run is not '${latest}' as in the source`,
          hint: "Report it with both stores; keep using the source until then",
        });
      }
    }
    return report;
  }

  /**
   * Commits what is pending, marks the database cleanly closed and checkpoints it, then closes
   * it; see {@linkcode HistoryStore.close}.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#stopPolling();
    this.#watchers.clear();
    // Its connection closes first, so this store's is the last of the process and removes the WAL.
    await this.#checkpointer?.close();
    await Promise.all([this.#sweeping?.catch(() => {}), this.#beating?.catch(() => {})]);
    try {
      // Dead sessions first: the last live session to close marks the database closed.
      await this.#sweepSessions();
      const last = await this.#write([], (db) => {
        this.#releaseSession(db, this.#sessionId);
        const others = (this.#sql(db, "SELECT count(*) AS n FROM sessions").get() as { n: number }).n;
        if (others > 0) return false;
        db.exec("UPDATE meta SET value = 'closed' WHERE key = 'state'");
        return true;
      });
      this.#closed = true;
      await this.#group.drain();
      // The last one moves the whole WAL into the database file; with others open, as much as they allow.
      this.#writer.exec(`PRAGMA wal_checkpoint(${last ? "TRUNCATE" : "PASSIVE"})`);
    } catch (error) {
      // Left marked open: the next open checks the WAL as after a crash, which is safe.
      this.#warn(`History store '${this.path}' could not be marked closed cleanly: ${(error as Error).message}`);
    } finally {
      this.#closed = true;
      const closing = Date.now();
      closeQuietly(this.#reader);
      closeQuietly(this.#writer);
      this.#sessionLock?.release();
      OPEN_DATABASES.delete(this.#openKey);
      this.#markClosedIfLast(closing);
    }
  }

  /**
   * SQLite checkpoints the whole WAL into the database file and deletes it when the last
   * connection of any process closes. If that was this store's (the sessions it saw were dead
   * without their lock files, so it did not know it was the last), the database is marked closed
   * now, else the next open would take the missing WAL for a lost one. A process that opened it
   * since (its session started after `closing`) keeps it marked open.
   */
  #markClosedIfLast(closing: number): void {
    if (fs.existsSync(`${this.path}-wal`)) return;
    try {
      const db = new this.#sqlite.DatabaseSync(this.path);
      try {
        configure(db, this.#busyTimeoutMs);
        db.exec("BEGIN IMMEDIATE");
        const newer = (db.prepare("SELECT count(*) AS n FROM sessions WHERE started_at >= ?").get(closing) as { n: number }).n;
        if (newer === 0) db.exec("UPDATE meta SET value = 'closed' WHERE key = 'state'");
        db.exec("COMMIT");
      } finally {
        db.close();
      }
    } catch {
      // Left marked open: the next open checks the WAL as after a crash, which is safe.
    }
  }

  /**
   * Transactions committed, and writes in them, since the store opened: how much group commit
   * saves (`writes / commits` writes per commit).
   *
   * @example
   * ```ts
   * import { SqliteHistoryStore } from "./sqlite_history_store.ts";
   *
   * const store = await SqliteHistoryStore.open();
   * const { commits, writes } = store.commitStats;
   * console.log(`${writes} writes in ${commits} commits`);
   * await store.close();
   * ```
   */
  get commitStats(): { commits: number; writes: number } {
    return { commits: this.#group.commits, writes: this.#group.writes };
  }

  // ---- sessions, leases, change feed, queries (several processes) ----

  #registerSession(db: DatabaseSync): void {
    const now = Date.now();
    this.#sql(db, "INSERT OR REPLACE INTO sessions (id, pid, host, started_at, heartbeat_at, lease_ms, task_queues) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(this.#sessionId, process.pid, hostname(), now, now, this.#leaseTimeoutMs, JSON.stringify(this.#taskQueues));
  }

  /** The heartbeat: proves this session alive, then looks for dead ones. */
  async #beat(): Promise<void> {
    if (this.#closed) return;
    try {
      const lost = await this.#write([], (db) => {
        this.#sql(db, "DELETE FROM queries WHERE posted_at < ?").run(Date.now() - QUERY_LEFTOVER_MS);
        const { changes } = this.#sql(db, "UPDATE sessions SET heartbeat_at = ? WHERE id = ?").run(Date.now(), this.#sessionId);
        if (Number(changes) > 0) return false;
        this.#registerSession(db);
        return true;
      });
      if (lost) {
        this.#epoch++;
        this.#warn(`History store '${this.path}': another process took this one for dead (no heartbeat for its lease timeout of ` +
          `${this.#leaseTimeoutMs} ms: was the event loop blocked?) and took over its leases; this process goes on without them`);
        this.#emitChange();
      }
      await this.#sweepSessions();
    } catch (error) {
      if (!this.#closed) this.#warn(`History store '${this.path}': heartbeat failed: ${(error as Error).message}`);
    }
  }

  /**
   * Finds the sessions of processes that died (their lock is free) or hang (no heartbeat for the
   * lease timeout), deletes them and frees their leases, so the live workers take over their work.
   */
  async #sweepSessions(): Promise<void> {
    const now = Date.now();
    const rows = await this.#read(undefined, (db) =>
      this.#sql(db, "SELECT id, pid, host, heartbeat_at, lease_ms FROM sessions WHERE id <> ?").all(this.#sessionId)
    ) as { id: string; pid: number; host: string; heartbeat_at: number; lease_ms: number }[];
    const folder = sessionFolder(this.path);
    // Each session is judged by its own lease timeout: it beats at a fifth of it.
    const dead = rows.filter((row) => sessionAlive(this.#sqlite, folder, row.id) === false || now - row.heartbeat_at > row.lease_ms);
    if (dead.length === 0) return;
    const released = await this.#write([], (db) => {
      let leases = 0;
      for (const row of dead) leases += this.#releaseSession(db, row.id);
      return leases;
    });
    for (const row of dead) removeSessionFile(`${folder}/${row.id}`);
    if (released > 0) this.#emitChange();
  }

  /** Deletes a session and frees its leases; returns how many it held. */
  #releaseSession(db: DatabaseSync, id: string): number {
    this.#sql(db, "DELETE FROM sessions WHERE id = ?").run(id);
    const owners = this.#sql(db, "DELETE FROM run_owners WHERE session = ?").run(id).changes;
    const claims = this.#sql(db, "DELETE FROM activity_claims WHERE session = ?").run(id).changes;
    this.#sql(db, "UPDATE queries SET target = NULL WHERE target = ?").run(id);
    this.#sql(db, "UPDATE queries SET taken_by = NULL WHERE taken_by = ? AND answer IS NULL").run(id);
    return Number(owners) + Number(claims);
  }

  #emitChange(): void {
    for (const listener of [...this.#watchers]) {
      try {
        listener();
      } catch (error) {
        this.#warn(`History store '${this.path}': a change listener threw: ${(error as Error)?.message ?? String(error)}`);
      }
    }
  }

  #watch(listener: () => void): () => void {
    if (this.#closed) return () => {};
    this.#watchers.add(listener);
    if (this.#poller === undefined) {
      // A timer that keeps the process alive while someone waits for another process's commit.
      this.#poller = setInterval(() => this.#poll(), this.#pollIntervalMs);
      this.#watchWal();
    }
    return () => {
      this.#watchers.delete(listener);
      if (this.#watchers.size === 0) this.#stopPolling();
    };
  }

  #stopPolling(): void {
    if (this.#poller !== undefined) clearInterval(this.#poller);
    this.#poller = undefined;
    this.#hint?.close();
    this.#hint = undefined;
  }

  /**
   * Looks at once when the WAL file changes: a commit of another process is then usually noticed
   * within a ms or two instead of a poll interval. Only a hint: the notice can come before the
   * commit is visible (so the store looks again 2 and 10 ms later) or not at all (measured for
   * issue 16: one of 200 commits had none), which the poll catches. Where the runtime or the file
   * system gives no notices, the poll alone serves.
   */
  #watchWal(): void {
    try {
      this.#hint = fs.watch(`${this.path}-wal`, { persistent: false }, () => {
        // One round of looks per 10 ms at most, however many notices a busy WAL gives.
        if (this.#hinted || this.#closed) return;
        this.#hinted = true;
        setImmediate(() => this.#poll());
        setTimeout(() => this.#poll(), 2).unref?.();
        setTimeout(() => {
          this.#hinted = false;
          this.#poll();
        }, 10).unref?.();
      });
      this.#hint.on("error", () => {
        this.#hint?.close();
        this.#hint = undefined;
      });
      (this.#hint as { unref?: () => void }).unref?.();
    } catch {
      this.#hint = undefined;
    }
  }

  /**
   * One look for commits of other processes. The writing connection's `data_version` changes only
   * when another connection commits (never for its own commits); the baseline is kept from the
   * store's open on, so a commit made while nobody watched is still seen at the next look.
   */
  #poll(): void {
    if (this.#closed) return;
    let version: number;
    try {
      version = this.#readDataVersion();
    } catch {
      return; // the writer is busy in a way a look cannot be: look again next time
    }
    if (version === this.#dataVersion) return;
    this.#dataVersion = version;
    this.#emitChange();
  }

  #readDataVersion(): number {
    return Number((this.#sql(this.#writer, "PRAGMA data_version").get() as { data_version: number }).data_version);
  }

  /** The run row id and status of a run, unchecked (coordination only). */
  #runIdOf(db: DatabaseSync, key: ExecutionKey): { id: number; status: string } | undefined {
    const cached = typeof key?.workflowId === "string" && typeof key.runId === "string" ? this.#cached(db, key) : undefined;
    if (cached !== undefined) return { id: cached.run.id, status: cached.run.info.status };
    return this.#sql(db, "SELECT id, status FROM runs WHERE workflow_id = ? AND run_id = ?").get(key.workflowId, key.runId) as
      | { id: number; status: string }
      | undefined;
  }

  #claimRun(db: DatabaseSync, key: ExecutionKey): "mine" | "claimed" | "taken" | "closed" {
    const run = this.#runIdOf(db, key);
    if (run === undefined || run.status !== "running") return "closed";
    // Inserted unless a session holds it (`run` is the key): one statement for a free run, the
    // common case, and a second only to tell whose it is.
    const inserted = this.#sql(db, "INSERT OR IGNORE INTO run_owners (run, session) VALUES (?, ?)").run(run.id, this.#sessionId);
    if (Number(inserted.changes) === 1) return "claimed";
    const owner = (this.#sql(db, "SELECT session FROM run_owners WHERE run = ?").get(run.id) as { session: string } | undefined)?.session;
    return owner === this.#sessionId ? "mine" : "taken";
  }

  #claimActivity(db: DatabaseSync, task: ActivityTask): boolean {
    const run = this.#runIdOf(db, task);
    if (run === undefined || run.status !== "running") return false;
    const result = this.#sql(
      db,
      "INSERT OR IGNORE INTO activity_claims (run, activity_id, session) SELECT run, activity_id, ? FROM activities " +
        "WHERE run = ? AND activity_id = ? AND json_extract(body, '$.attempt') = ?",
    ).run(this.#sessionId, run.id, task.activityId, task.attempt);
    return Number(result.changes) === 1;
  }

  #coordination(): StoreCoordination {
    const store = this;
    const closedCheck = () => {
      if (store.#closed) throw storeClosed();
    };
    return Object.freeze({
      get sessionId(): string {
        return store.#sessionId;
      },
      get epoch(): number {
        return store.#epoch;
      },
      watch: (listener: () => void) => store.#watch(listener),
      serveTaskQueues: (taskQueues: readonly string[]) => {
        store.#taskQueues = [...new Set(taskQueues)].sort();
        return store.#write([], (db) => {
          store.#sql(db, "UPDATE sessions SET task_queues = ? WHERE id = ?").run(JSON.stringify(store.#taskQueues), store.#sessionId);
        });
      },
      listWorkflowTasks: (filter?: ListWorkflowTasksFilter, limit?: number) => store.#listWorkflowTasks(filter ?? {}, true, limit),
      listTimers: (filter?: ListTimersFilter, limit?: number) => store.#listTimers(filter ?? {}, true, limit),
      listActivityTasks: (filter?: ListActivityTasksFilter, limit?: number) => store.#listActivityTasks(filter ?? {}, true, limit),
      claimRun: (key: ExecutionKey) => store.#write([], (db) => store.#claimRun(db, key)),
      claimRuns: (keys: readonly ExecutionKey[]) =>
        store.#write([], (db) => keys.filter((key) => {
          const outcome = store.#claimRun(db, key);
          return outcome === "mine" || outcome === "claimed";
        })),
      claimActivity: (task: ActivityTask) => store.#write([], (db) => store.#claimActivity(db, task)),
      claimActivities: (tasks: readonly ActivityTask[]) => store.#write([], (db) => tasks.filter((task) => store.#claimActivity(db, task))),
      releaseActivity: (task: ActivityTask) =>
        store.#write([], (db) => {
          const run = store.#runIdOf(db, task);
          if (run !== undefined) {
            store.#sql(db, "DELETE FROM activity_claims WHERE run = ? AND activity_id = ? AND session = ?").run(run.id, task.activityId, store.#sessionId);
          }
        }),
      appendClaimed: (key: ExecutionKey, batch: AppendBatch, activityId: string) => {
        const steps: PersistenceStep[] = ["append"];
        if (typeof batch?.step === "string" && batch.step !== "append") steps.push(batch.step);
        return store.#write(steps, (db) => {
          const run = store.#runIdOf(db, key);
          const held = run !== undefined &&
            store.#sql(db, "SELECT 1 AS held FROM activity_claims WHERE run = ? AND activity_id = ? AND session = ?").get(run.id, activityId, store.#sessionId) !== undefined;
          if (!held) {
            throw codedError(HistoryStoreError, {
              code: "WFS_STORE_INVALID",
              message: `Cannot record the outcome of activity '${activityId}' of workflow '${key.workflowId}' run '${key.runId}': ` +
                `this process no longer holds its attempt (the run closed, the task was cancelled, or another process took the attempt over ` +
                `after this one was taken for dead)`,
              hint: "Nothing to do: the outcome that counts is the other attempt's; keep the event loop free so the heartbeat goes on",
            });
          }
          return store.#append(db, key, batch);
        });
      },
      postQuery: (query: Omit<PostedQuery, "id">) => {
        const id = randomUUID();
        return store.#write([], (db) => {
          const target = (store.#sql(db, "SELECT o.session AS session FROM run_owners o JOIN runs r ON r.id = o.run WHERE r.workflow_id = ? AND r.run_id = ?")
            .get(query.workflowId, query.runId) as { session: string } | undefined)?.session ?? null;
          store.#sql(db, "INSERT INTO queries (id, workflow_id, run_id, task_queue, target, name, args, posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .run(id, query.workflowId, query.runId, query.taskQueue, target, query.name, JSON.stringify(query.args), Date.now());
          return id;
        });
      },
      readAnswer: (id: string) =>
        store.#read(undefined, (db) => {
          const row = store.#sql(db, "SELECT answer FROM queries WHERE id = ?").get(id) as { answer: string | null } | undefined;
          return row?.answer === null || row === undefined ? undefined : JSON.parse(row.answer) as JsonValue;
        }),
      withdrawQuery: (id: string) =>
        store.#write([], (db) => {
          store.#sql(db, "DELETE FROM queries WHERE id = ?").run(id);
        }),
      takeQueries: async () => {
        closedCheck();
        const waiting = await store.#read(undefined, (db) =>
          store.#sql(
            db,
            "SELECT id, workflow_id, run_id, task_queue, name, args FROM queries WHERE answer IS NULL AND taken_by IS NULL " +
              "AND (target = ? OR (target IS NULL AND task_queue IN (SELECT value FROM json_each(?))))",
          ).all(store.#sessionId, JSON.stringify(store.#taskQueues))
        ) as { id: string; workflow_id: string; run_id: string; task_queue: string; name: string; args: string }[];
        if (waiting.length === 0) return [];
        return store.#write([], (db) =>
          waiting.filter((row) =>
            Number(store.#sql(db, "UPDATE queries SET taken_by = ? WHERE id = ? AND taken_by IS NULL AND answer IS NULL").run(store.#sessionId, row.id).changes) === 1
          ).map((row): PostedQuery => ({
            id: row.id,
            workflowId: row.workflow_id,
            runId: row.run_id,
            taskQueue: row.task_queue,
            name: row.name,
            args: JSON.parse(row.args) as JsonValue,
          }))
        );
      },
      answerQuery: (id: string, answer: JsonValue) =>
        store.#write([], (db) => {
          store.#sql(db, "UPDATE queries SET answer = ? WHERE id = ?").run(JSON.stringify(answer), id);
        }),
    });
  }

  // ---- internals ----

  #context(action: string, ref?: ExecutionRef): SqliteErrorContext {
    return {
      action,
      path: this.path,
      busyTimeoutMs: this.#busyTimeoutMs,
      workflowId: typeof ref?.workflowId === "string" ? ref.workflowId : undefined,
      runId: typeof ref?.runId === "string" ? ref.runId : undefined,
    };
  }

  /** Runs a write in the current group; `steps` are reported to the crash injector once durable. */
  #write<T>(steps: PersistenceStep[], apply: (db: DatabaseSync) => T): Promise<T> {
    if (this.#closed) return Promise.reject(storeClosed());
    return this.#group.run(() => {
      try {
        return apply(this.#writer);
      } catch (error) {
        throw sqliteError(this.#context("Cannot write to history store"), error);
      }
    }, () => {
      for (const step of steps) this.#crash.reached(step);
    });
  }

  /** Runs `read` in a read transaction on the reading connection (committed data only). */
  #read<T>(ref: ExecutionRef | undefined, read: (db: DatabaseSync) => T, cached?: (db: DatabaseSync) => T | undefined): Promise<T> {
    return settle(() => {
      if (this.#closed) throw storeClosed();
      const db = this.#reader;
      try {
        if (cached !== undefined) {
          this.#observeCommits();
          const hit = cached(db);
          if (hit !== undefined) return hit;
        }
        this.#sql(db, "BEGIN").run();
        try {
          return read(db);
        } finally {
          this.#sql(db, "COMMIT").run();
        }
      } catch (error) {
        throw sqliteError(this.#context(`Cannot read history store${ref?.workflowId === undefined ? "" : ` for workflow '${ref.workflowId}'`}`, ref), error);
      }
    });
  }

  /**
   * {@linkcode #read} for a read that is one statement (a description, a list): SQLite runs a
   * statement in a read transaction of its own, so the explicit BEGIN and COMMIT are saved.
   */
  #readOne<T>(ref: ExecutionRef | undefined, read: (db: DatabaseSync) => T): Promise<T> {
    return settle(() => {
      if (this.#closed) throw storeClosed();
      try {
        return read(this.#reader);
      } catch (error) {
        throw sqliteError(this.#context(`Cannot read history store${ref?.workflowId === undefined ? "" : ` for workflow '${ref.workflowId}'`}`, ref), error);
      }
    });
  }

  #sql(db: DatabaseSync, sql: string): StatementSync {
    let cache = this.#statements.get(db);
    if (cache === undefined) this.#statements.set(db, cache = new Map());
    let statement = cache.get(sql);
    if (statement === undefined) cache.set(sql, statement = db.prepare(sql));
    return statement;
  }

  /** The run `ref` names (its latest run without `runId`), checked; throws when not found or damaged. */
  #findRun(db: DatabaseSync, ref: ExecutionRef, what: string, needRunId: boolean): StoredRun {
    return this.#findRunEntry(db, ref, what, needRunId).run;
  }

  /**
   * {@linkcode #findRun}, with the row's checksum and, when known, the run's history: from the
   * cache when it holds the run, else read and checked, then cached.
   */
  #findRunEntry(db: DatabaseSync, ref: ExecutionRef, what: string, needRunId: boolean): CachedRun {
    checkRef(ref, what, needRunId);
    const cached = this.#cached(db, ref);
    if (cached !== undefined) return cached;
    const row = ref.runId === undefined
      ? this.#sql(db, LATEST_RUN_SQL).get(ref.workflowId)
      : this.#sql(db, `SELECT ${RUN_COLUMNS} FROM runs WHERE workflow_id = ? AND run_id = ?`).get(ref.workflowId, ref.runId);
    if (row === undefined) {
      const ids = (this.#sql(db, "SELECT run_id FROM runs WHERE workflow_id = ? ORDER BY id").all(ref.workflowId) as { run_id: string }[])
        .map((r) => r.run_id);
      throw runNotFound(ref, what, ids.length === 0 ? undefined : ids, needRunId);
    }
    const run = this.#checkedRun(row as Record<string, unknown>, ref, what);
    return this.#cache.put(run, (row as { checksum: Uint8Array }).checksum, undefined, ref.runId === undefined);
  }

  /** The latest run of `workflowId`, checked, or `undefined`. */
  #latestRun(db: DatabaseSync, workflowId: string, what: string): StoredRun | undefined {
    const cached = this.#cache.latest(workflowId, this.#checksumReader(db));
    if (cached !== undefined) return cached.run;
    const row = this.#sql(db, LATEST_RUN_SQL).get(workflowId);
    if (row === undefined) return undefined;
    const run = this.#checkedRun(row as Record<string, unknown>, { workflowId }, what);
    return this.#cache.put(run, (row as { checksum: Uint8Array }).checksum, undefined, true).run;
  }

  /**
   * The cached run `ref` names, current as of the last look at other processes' commits
   * ({@linkcode #observeCommits}, done by every read that uses the cache and at the start of
   * every write transaction).
   */
  #cached(db: DatabaseSync, ref: ExecutionRef): CachedRun | undefined {
    const reader = this.#checksumReader(db);
    return ref.runId === undefined ? this.#cache.latest(ref.workflowId, reader) : this.#cache.get(ref.workflowId, ref.runId, reader);
  }

  #checksumReader(db: DatabaseSync): ChecksumReader {
    let reader = this.#checksumReaders.get(db);
    if (reader === undefined) {
      const statement = this.#sql(db, "SELECT checksum FROM runs WHERE id = ?");
      this.#checksumReaders.set(db, reader = (id) => (statement.get(id) as { checksum?: unknown } | undefined)?.checksum);
    }
    return reader;
  }

  /**
   * Tells the cache whether another connection committed since it last looked (the writing
   * connection's `data_version`, which its own commits never change); when the look fails, the
   * cache forgets everything.
   */
  #observeCommits(): void {
    if (this.#commitsObserved) return;
    try {
      this.#cache.observe(this.#readDataVersion());
    } catch {
      this.#cache.clear();
      return;
    }
    this.#commitsSeenThisTask();
  }

  /**
   * Good until the current task's microtasks have run: a commit of another process that this
   * process can know of (a message, a timer, an answer) arrives in a later task, which looks again.
   */
  #commitsSeenThisTask(): void {
    if (this.#commitsObserved) return;
    this.#commitsObserved = true;
    queueMicrotask(() => this.#commitsObserved = false);
  }

  #checkedRun(row: Record<string, unknown>, ref: ExecutionRef, what: string): StoredRun {
    const run = decodeRun(row);
    const runId = ref.runId ?? (typeof row.run_id === "string" ? row.run_id : undefined);
    if (typeof run === "string") throw damaged({ action: what, path: this.path, workflowId: ref.workflowId, runId, problem: run });
    if (run.info.workflowId !== ref.workflowId || (ref.runId !== undefined && run.info.runId !== ref.runId)) {
      throw damaged({
        action: what,
        path: this.path,
        workflowId: ref.workflowId,
        runId,
        problem: `an index of the database led to the row of workflow '${run.info.workflowId}' run '${run.info.runId}'`,
      });
    }
    return run;
  }

  /** A run of a list, or `undefined` (reported once) when its row is damaged. */
  #listedRun(row: unknown, action: string): StoredRun | undefined {
    const record = row as Record<string, unknown>;
    // A row with the checksum of a run this process wrote or verified holds that run's values.
    const known = typeof record.workflow_id === "string" && typeof record.run_id === "string"
      ? this.#cache.matching(record.workflow_id, record.run_id, record.checksum)
      : undefined;
    if (known !== undefined) return known.run;
    const run = decodeRun(record);
    if (typeof run !== "string") return run;
    this.#reportListed(action, String(record.workflow_id), typeof record.run_id === "string" ? record.run_id : undefined, run);
    return undefined;
  }

  /** Warns, once per store, that a list left out a damaged row. */
  #reportListed(action: string, workflowId: string, runId: string | undefined, problem: string): void {
    const { message } = damaged({ action, path: this.path, workflowId, runId, problem: `${problem}; the list leaves it out` });
    if (this.#reported.has(message)) return;
    this.#reported.add(message);
    this.#warn(message);
  }

  /**
   * Reports a timer or activity task a list leaves out: its row fails its checksum (`problem`), or
   * names a run that is missing or closed. Named after the run its checksum verifies against.
   */
  #reportPending(db: DatabaseSync, table: "timers" | "activities", row: PendingRow, problem: string | undefined): void {
    const what = table === "timers" ? `timer ${JSON.stringify(row.timer_id)}` : `activity task ${JSON.stringify(row.activity_id)}`;
    const action = table === "timers" ? "Cannot list timers" : "Cannot list activity tasks";
    const runs = (this.#sql(db, "SELECT workflow_id AS workflowId, run_id AS runId FROM runs WHERE status = 'running'").all() as { workflowId: string; runId: string }[]);
    const owner = ownerOf(table, row as unknown as Record<string, unknown>, runs);
    if (owner !== undefined && (owner.workflowId !== row.workflow_id || owner.runId !== row.run_id)) {
      this.#reportListed(action, owner.workflowId, owner.runId, `its ${what} is damaged: its row names ${row.workflow_id === null ? `run ${String(row.run)}, which does not exist` : `workflow '${row.workflow_id}' run '${row.run_id}'`}`);
    } else if (problem !== undefined) {
      this.#reportListed(action, row.workflow_id, row.run_id, problem);
    } else {
      this.#reportListed(action, String(row.workflow_id), row.run_id ?? undefined, `its ${what} is damaged: it belongs to ${row.workflow_id === null ? "no run the database holds" : "a closed run"}`);
    }
  }

  /**
   * The run a request id of `workflowId` applied to, checked, or `undefined` when none did (or
   * that run is deleted). A request row that fails its checksum refuses the workflow.
   */
  #requested(db: DatabaseSync, workflowId: string, requestId: string | undefined, what: string): StoredRun | undefined {
    if (requestId === undefined) return undefined;
    const row = this.#sql(db, "SELECT run, checksum FROM requests WHERE workflow_id = ? AND request_id = ?").get(workflowId, requestId) as
      | { run: unknown; checksum: unknown }
      | undefined;
    if (row === undefined) return undefined;
    if (!sameChecksum(row.checksum, rowChecksum("requests", workflowId, requestId, [row.run]))) {
      throw damaged({ action: what, path: this.path, workflowId, problem: `its request id '${requestId}' is damaged: the row's checksum does not match its content` });
    }
    const runRowFound = this.#sql(db, `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(row.run as number);
    return runRowFound === undefined ? undefined : this.#checkedRun(runRowFound as Record<string, unknown>, { workflowId }, what);
  }

  /** Records that `requestId` of `workflowId` applied to the run with row id `run`. */
  #recordRequest(db: DatabaseSync, workflowId: string, requestId: string, run: number): void {
    this.#sql(db, "INSERT INTO requests (workflow_id, request_id, run, checksum) VALUES (?, ?, ?, ?)")
      .run(workflowId, requestId, run, rowChecksum("requests", workflowId, requestId, [run]));
  }

  #runIdUsed(db: DatabaseSync, workflowId: string, runId: string): boolean {
    return this.#sql(db, "SELECT 1 AS used FROM runs WHERE workflow_id = ? AND run_id = ?").get(workflowId, runId) !== undefined;
  }

  /** The ids of a run's pending timers or activities, read (and checked) only if a check asks. */
  #pendingIds(db: DatabaseSync, run: StoredRun, table: "timers" | "activities", what: string): PendingIds {
    let ids: Set<string> | undefined;
    const load = (): Set<string> => {
      if (ids !== undefined) return ids;
      ids = new Set();
      const sql = table === "timers"
        ? "SELECT timer_id, fires_at, body, checksum FROM timers WHERE run = ?"
        : "SELECT activity_id, task_queue, ready_at, body, checksum FROM activities WHERE run = ?";
      for (const row of this.#sql(db, sql).iterate(run.id)) {
        const { workflowId, runId } = run.info;
        const item = table === "timers" ? decodeTimer(workflowId, runId, row as never) : decodeActivity(workflowId, runId, row as never);
        if (typeof item === "string") throw damaged({ action: what, path: this.path, workflowId, runId, problem: item });
        ids.add("timerId" in item ? item.timerId : item.activityId);
      }
      return ids;
    };
    return { has: (id) => load().has(id), keys: () => load().keys() };
  }

  /**
   * Inserts `events` of run `run`, chained from `chain`; returns their stored JSON. Up to
   * {@linkcode EVENTS_PER_INSERT} rows go in one statement: a workflow task's write has several,
   * and each statement costs more than its rows.
   */
  #insertEvents(db: DatabaseSync, run: number, chain: EventChain, events: readonly HistoryEvent[]): string[] {
    const bodies: string[] = [];
    for (let start = 0; start < events.length; start += EVENTS_PER_INSERT) {
      const slice = events.slice(start, start + EVENTS_PER_INSERT);
      const values: (number | string | Uint8Array)[] = [];
      for (const event of slice) {
        const { body, checksum } = chain.add(event);
        values.push(run, event.eventId, body, checksum);
        bodies.push(body);
      }
      this.#sql(db, `INSERT INTO events (run, event_id, body, checksum) VALUES ${slice.map(() => "(?, ?, ?, ?)").join(", ")}`).run(...values);
    }
    return bodies;
  }

  /** Inserts a run with its events; its id is the next one, so it is its workflow id's latest. */
  #insertRun(db: DatabaseSync, info: ExecutionInfo, events: readonly HistoryEvent[]): StoredRun {
    const { id } = this.#sql(db, "SELECT coalesce(max(id), 0) + 1 AS id FROM runs").get() as { id: number };
    const chain = EventChain.start(info.workflowId, info.runId);
    const bodies = this.#insertEvents(db, id, chain, events);
    const run: StoredRun = { id, info, head: chain.head };
    const row = runRow(run);
    this.#sql(db, `INSERT INTO runs (${RUN_COLUMNS}) VALUES (${RUN_COLUMNS.split(",").map(() => "?").join(", ")})`)
      .run(...row as (string | number | null | Uint8Array)[]);
    this.#cache.put(run, row[row.length - 1] as Uint8Array, bodies, true);
    return run;
  }

  /**
   * Writes the columns of `run`'s row that differ from `before`'s: SQLite rewrites the entries of
   * every index over a column an UPDATE sets, changed or not, and most writes change only the
   * run's last event id, head and checksum. Returns the row's new checksum.
   */
  #updateRun(db: DatabaseSync, before: StoredRun, run: StoredRun): Uint8Array {
    const [id, ...values] = runRow(run);
    const checksum = values[values.length - 1] as Uint8Array;
    // The same columns as `values` (workflow_id, run_id, then the rest), but the checksum, which changes with any.
    const [, ...rest] = runColumns(before);
    const old = [before.info.workflowId, before.info.runId, ...rest];
    const changed: number[] = [];
    const params: (string | number | null | Uint8Array)[] = [];
    for (let index = 0; index < UPDATED_COLUMNS.length; index++) {
      if (index < old.length && sameValue(values[index], old[index])) continue;
      changed.push(index);
      params.push(values[index] as string | number | null | Uint8Array);
    }
    if (changed.length === 0) return checksum;
    // One statement per set of changed columns, its text built once.
    const shape = changed.join(",");
    let sql = this.#updateStatements.get(shape);
    if (sql === undefined) {
      this.#updateStatements.set(shape, sql = `UPDATE runs SET ${changed.map((index) => `${UPDATED_COLUMNS[index]} = ?`).join(", ")} WHERE id = ?`);
    }
    this.#sql(db, sql).run(...params, id as number);
    return checksum;
  }

  #deleteRun(db: DatabaseSync, id: number): void {
    // A deleted run's row id can be given to the next run: nothing cached of it may stay.
    this.#cache.clear();
    this.#sql(db, "DELETE FROM requests WHERE run = ?").run(id);
    this.#sql(db, "DELETE FROM run_owners WHERE run = ?").run(id);
    this.#sql(db, "DELETE FROM activity_claims WHERE run = ?").run(id);
    this.#sql(db, "DELETE FROM events WHERE run = ?").run(id);
    this.#sql(db, "DELETE FROM timers WHERE run = ?").run(id);
    this.#sql(db, "DELETE FROM activities WHERE run = ?").run(id);
    this.#sql(db, "DELETE FROM runs WHERE id = ?").run(id);
  }

  /** Deletes the runs past retention. */
  async #sweep(): Promise<void> {
    if (this.#retentionMs === undefined || this.#closed) return;
    try {
      const deleted = await this.deleteClosedRuns({ closedBefore: Date.now() - this.#retentionMs });
      if (deleted > 0) this.#warn(`History store '${this.path}': deleted ${deleted} runs closed more than ${this.#retentionMs} ms ago (retention)`);
    } catch (error) {
      if (!this.#closed) this.#warn(`History store '${this.path}': deleting runs past retention failed: ${(error as Error).message}`);
    }
  }
}

/** A row of a timers or activities list, with its run's columns (null when the run is missing). */
interface PendingRow {
  workflow_id: string;
  run_id: string;
  status: string | null;
  run: unknown;
  timer_id?: unknown;
  activity_id?: unknown;
}

/**
 * Checkpoints the WAL until the frames that mark the database open are in the database file (so a
 * WAL found missing after a crash is known to have held commits). Other processes reading old
 * snapshots can hold a passive checkpoint back for a moment: it is tried again for up to 100 ms.
 */
function checkpointMarker(db: DatabaseSync): void {
  type Result = { busy: number; log: number; checkpointed: number };
  const checkpoint = () => db.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as Result;
  const target = checkpoint().log;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = checkpoint();
    // A WAL restarted since (log below the target) was wholly checkpointed first.
    if (result.checkpointed >= target || result.log < target) return;
    try {
      Atomics.wait(pause, 0, 0, 5);
    } catch {
      return; // a runtime that does not let the main thread wait: the next open checks the WAL as after a crash
    }
  }
}

function configure(db: DatabaseSync, busyTimeoutMs: number): void {
  db.exec(`PRAGMA busy_timeout = ${Math.round(busyTimeoutMs)}`);
  // 32 MB of page cache per connection (SQLite's default is 2 MB): the pages of the runs in
  // flight stay in memory instead of being read from the file again on every look.
  db.exec("PRAGMA cache_size = -32000");
}

function closeQuietly(db: DatabaseSync): void {
  try {
    db.close();
  } catch {
    // Closed already.
  }
}

function fileError(action: string, error: unknown): HistoryStoreError {
  return codedError(HistoryStoreError, {
    code: "WFS_STORE_IO",
    message: `${action}: ${(error as Error)?.message ?? String(error)}`,
    hint: "Set 'path' to a file in a folder this process can create and write, on a local disk",
    cause: error,
  });
}

function newInfo(execution: NewExecution): ExecutionInfo {
  return {
    workflowId: execution.workflowId,
    runId: execution.runId,
    workflowType: execution.workflowType,
    taskQueue: execution.taskQueue,
    status: "running",
    startTime: execution.events[0]!.timestamp,
    lastEventId: execution.events.length,
    workflowTaskPending: execution.workflowTaskPending ?? true,
  };
}

/** Whether two column values are the same (checksums and heads are byte arrays). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (a.length !== b.length) return false;
    for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
    return true;
  }
  return a === b;
}

/** JSON with object keys sorted, to compare values whatever order their keys were set in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item) =>
    typeof item === "object" && item !== null && !Array.isArray(item)
      ? Object.fromEntries(Object.keys(item).sort().map((key) => [key, (item as Record<string, unknown>)[key]]))
      : item);
}

function copyInfo(info: ExecutionInfo): ExecutionInfo {
  const copy = { ...info };
  if (info.taskFailure !== undefined) copy.taskFailure = structuredClone(info.taskFailure);
  return copy;
}
