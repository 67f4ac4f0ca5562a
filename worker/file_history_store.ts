/**
 * **Retired**: use `SqliteHistoryStore`, and `SqliteHistoryStore.importFileStore()` to move a
 * folder into a database (docs/deploying.md, "Choosing a store" says why). Kept in this version to
 * read existing folders; it goes in the next.
 *
 * The file-based durable history store: one append-only file per workflow id
 * in a folder under the working directory, flushed to disk before every write resolves.
 *
 * Layout of the folder (default `.workflow-sandbox/`):
 *
 * ```
 * lock                              {"pid":1234,"hostname":"build-7","startedAt":"..."}: one process at a time
 * histories/<id>-<hash>.history     one file per workflow id, all its runs
 * ```
 *
 * A history file is a sequence of records, one per line: `<length> <checksum> <json>\n`, where
 * `length` is the byte length of `json` and `checksum` the first 8 hex digits of its SHA-256. The
 * first record is the header `{"format":"workflow-sandbox-history","version":1,"workflowId":...}`;
 * each later record is one `createExecution` or `append` call (`MemoryHistoryStore`'s journal),
 * replayed into memory on open. All runs of a workflow id share its file, so continue-as-new (close
 * one run, start the next) is one record, hence atomic.
 *
 * Durability: a new file is written as `*.tmp`, flushed, renamed into place and its folder flushed;
 * an append is written and flushed before the call resolves. The file system calls are synchronous
 * on purpose: validate, write, flush and apply then run with no other call in between, so writes
 * never interleave and no in-process lock is needed; the cost is that a flush (about 1 to 10 ms)
 * blocks the event loop.
 *
 * @module
 */

import { createHash } from "node:crypto";
import * as nodeFs from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { codedError } from "../sandbox/coded_error.ts";
import { createCrashInjector, type CrashInjector } from "./crash_injection.ts";
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
  type ListActivityTasksFilter,
  type ListExecutionsFilter,
  type ListTimersFilter,
  type ListWorkflowTasksFilter,
  type NewExecution,
  type ReadEventsOptions,
} from "./history_store.ts";
import { type HistoryChange, MemoryHistoryStore } from "./memory_history_store.ts";

/**
 * The `node:fs` functions the file store uses; pass a wrapper as `FileHistoryStoreOptions.fs` to
 * inject I/O failures in tests.
 *
 * @example
 * ```ts
 * import * as fs from "node:fs";
 * import type { FileHistoryStoreFs } from "./file_history_store.ts";
 *
 * const readOnly: FileHistoryStoreFs = {
 *   ...fs,
 *   openSync: (path, flags, mode) => {
 *     if (flags !== "r") throw Object.assign(new Error(`EROFS: read-only file system, open '${path}'`), { code: "EROFS" });
 *     return fs.openSync(path, flags, mode);
 *   },
 * };
 * ```
 */
export type FileHistoryStoreFs = Pick<
  typeof nodeFs,
  | "closeSync"
  | "fstatSync"
  | "fsyncSync"
  | "ftruncateSync"
  | "linkSync"
  | "mkdirSync"
  | "openSync"
  | "readFileSync"
  | "readdirSync"
  | "renameSync"
  | "statSync"
  | "unlinkSync"
  | "writeSync"
>;

/**
 * Options of {@linkcode FileHistoryStore.open}.
 *
 * @example
 * ```ts
 * import { FileHistoryStore, type FileHistoryStoreOptions } from "./file_history_store.ts";
 *
 * const options: FileHistoryStoreOptions = { directory: "var/histories", warn: (message) => console.error(message) };
 * const store = await FileHistoryStore.open(options);
 * await store.close();
 * ```
 */
export interface FileHistoryStoreOptions {
  /**
   * The store's folder, relative to the working directory or absolute; created if missing.
   * @default ".workflow-sandbox"
   */
  directory?: string;
  /**
   * Receives recoveries worth knowing about: a stale lock taken over, a torn record dropped.
   * @default console.warn
   */
  warn?: (message: string) => void;
  /**
   * Told after each durable step.
   * @default createCrashInjector(), which reads WORKFLOW_SANDBOX_CRASH_AFTER
   */
  crashInjector?: CrashInjector;
  /**
   * The file system.
   * @default node:fs
   */
  fs?: FileHistoryStoreFs;
}

/** The folder used when `directory` is not given, relative to the working directory. */
const DEFAULT_DIRECTORY = ".workflow-sandbox";
const HISTORIES = "histories";
const LOCK = "lock";
const FORMAT = "workflow-sandbox-history";
const VERSION = 1;
/** A lock file without a readable owner older than this was left by a crash during its creation. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

interface LockOwner {
  pid: number;
  hostname?: string;
  startedAt?: string;
}

/**
 * A durable {@linkcode HistoryStore} in a folder: append-only checksummed records, flushed before
 * each call resolves, a torn last record dropped on open, one process at a time.
 *
 * @deprecated Retired: use `SqliteHistoryStore` (durable, shared by the processes of a host), and
 * `SqliteHistoryStore.importFileStore({ directory })` to move a folder into a database;
 * docs/deploying.md, "Choosing a store", says why.
 *
 * @example
 * ```ts
 * import { FileHistoryStore } from "./file_history_store.ts";
 *
 * const store = await FileHistoryStore.open(); // ./.workflow-sandbox
 * try {
 *   for (const run of await store.listWorkflowTasks({ readyBy: Date.now() })) console.log(run.workflowId);
 * } finally {
 *   await store.close();
 * }
 * ```
 */
export class FileHistoryStore implements HistoryStore {
  /** The store's folder, absolute. */
  readonly directory: string;
  #fs: FileHistoryStoreFs;
  #warn: (message: string) => void;
  #crash: CrashInjector;
  #memory: MemoryHistoryStore;
  /** The history file of each workflow id. */
  #files = new Map<string, string>();
  /** The values of `#files`, to refuse a file name two workflow ids would share. */
  #paths = new Set<string>();
  #lockContent: string;
  #replaying = true;
  #closed = false;
  /** Set when a write failed midway: the disk and memory may disagree, so writes stop. */
  #failure: HistoryStoreError | undefined;

  private constructor(directory: string, options: FileHistoryStoreOptions, lockContent: string) {
    this.directory = directory;
    this.#fs = options.fs ?? nodeFs;
    this.#warn = options.warn ?? ((message) => console.warn(message));
    this.#crash = options.crashInjector ?? createCrashInjector();
    this.#lockContent = lockContent;
    this.#memory = new MemoryHistoryStore({ journal: (change) => this.#journal(change) });
  }

  /**
   * Opens (creating if needed) the store in `options.directory`: takes the folder's lock, drops a
   * torn last record of each history file, and loads the histories. Fails with `WFS_STORE_LOCKED`
   * while another live process (or store object) has the folder open.
   *
   * @example
   * ```ts
   * import { FileHistoryStore } from "./file_history_store.ts";
   *
   * const store = await FileHistoryStore.open({ directory: ".workflow-sandbox" });
   * console.log(store.directory, (await store.listExecutions()).length);
   * await store.close();
   * ```
   */
  static async open(options: FileHistoryStoreOptions = {}): Promise<FileHistoryStore> {
    const fs = options.fs ?? nodeFs;
    const directory = resolve(options.directory ?? DEFAULT_DIRECTORY);
    const crash = options.crashInjector ?? createCrashInjector();
    const warn = options.warn ?? ((message: string) => console.warn(message));
    makeFolder(fs, directory, directory);
    const lockContent = acquireLock(fs, directory, warn);
    crash.reached("lock");
    const store = new FileHistoryStore(directory, { ...options, crashInjector: crash, warn }, lockContent);
    try {
      await store.#load();
    } catch (error) {
      store.#releaseLock();
      throw error;
    }
    store.#replaying = false;
    return store;
  }

  /** See {@linkcode HistoryStore.createExecution}. */
  createExecution(execution: NewExecution): Promise<ExecutionInfo> {
    return this.#checkWritable() ?? this.#memory.createExecution(execution);
  }

  /** See {@linkcode HistoryStore.append}. */
  append(key: ExecutionKey, batch: AppendBatch): Promise<ExecutionInfo> {
    return this.#checkWritable() ?? this.#memory.append(key, batch);
  }

  /** See {@linkcode HistoryStore.readEvents}. */
  readEvents(ref: ExecutionRef, options?: ReadEventsOptions): Promise<HistoryEvent[]> {
    return this.#memory.readEvents(ref, options);
  }

  /** See {@linkcode HistoryStore.getExecution}. */
  getExecution(ref: ExecutionRef): Promise<ExecutionInfo | undefined> {
    return this.#memory.getExecution(ref);
  }

  /** See {@linkcode HistoryStore.listExecutions}. */
  listExecutions(filter?: ListExecutionsFilter): Promise<ExecutionInfo[]> {
    return this.#memory.listExecutions(filter);
  }

  /** See {@linkcode HistoryStore.listWorkflowTasks}. */
  listWorkflowTasks(filter?: ListWorkflowTasksFilter): Promise<ExecutionInfo[]> {
    return this.#memory.listWorkflowTasks(filter);
  }

  /** See {@linkcode HistoryStore.listTimers}. */
  listTimers(filter?: ListTimersFilter): Promise<DurableTimer[]> {
    return this.#memory.listTimers(filter);
  }

  /** See {@linkcode HistoryStore.listActivityTasks}. */
  listActivityTasks(filter?: ListActivityTasksFilter): Promise<ActivityTask[]> {
    return this.#memory.listActivityTasks(filter);
  }

  /** Releases the folder's lock; see {@linkcode HistoryStore.close}. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#memory.close();
    this.#releaseLock();
  }

  #checkWritable(): Promise<never> | undefined {
    if (this.#failure === undefined || this.#closed) return undefined; // a closed store reports itself
    return Promise.reject(
      codedError(HistoryStoreError, {
        code: "WFS_STORE_UNAVAILABLE",
        message: `Cannot write to history store '${this.directory}': an earlier write failed and left the disk state unknown ` +
          `(${this.#failure.message})`,
        hint: "Fix the cause, then restart the worker to reopen the store",
        cause: this.#failure,
      }),
    );
  }

  /** Makes one validated change durable; called by the memory store before it applies it. */
  #journal(change: HistoryChange): void {
    if (this.#replaying) return;
    const workflowId = change.op === "create" ? change.execution.workflowId : change.key.workflowId;
    const record = encodeRecord(change);
    const existing = this.#files.get(workflowId);
    if (existing === undefined && this.#paths.has(this.#pathFor(workflowId))) {
      // Two ids with the same 64-bit name hash: never overwrite another workflow's history.
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_INVALID",
        message: `Cannot start workflow '${workflowId}': its history file name '${this.#pathFor(workflowId)}' ` +
          `is taken by another workflow id`,
        hint: "Start it under another id",
      });
    }
    try {
      if (existing === undefined) this.#createFile(workflowId, record);
      else appendDurably(this.#fs, existing, record);
    } catch (error) {
      const file = existing ?? this.#pathFor(workflowId);
      this.#failure = ioError(`Cannot write history file '${file}'`, this.directory, error);
      throw this.#failure;
    }
    if (change.op === "create") {
      this.#crash.reached("start");
    } else {
      this.#crash.reached("append");
      const step = change.batch.step;
      if (step !== undefined && step !== "append") this.#crash.reached(step);
    }
  }

  /** Writes a new history file whole under a temporary name, then renames it into place. */
  #createFile(workflowId: string, record: Buffer): void {
    const fs = this.#fs;
    const folder = join(this.directory, HISTORIES);
    const path = this.#pathFor(workflowId);
    const temp = `${path}.${process.pid}.tmp`;
    const header = encodeRecord({ format: FORMAT, version: VERSION, workflowId });
    const fd = fs.openSync(temp, "w");
    try {
      writeAll(fs, fd, Buffer.concat([header, record]));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temp, path);
    syncFolder(fs, folder);
    this.#files.set(workflowId, path);
    this.#paths.add(path);
  }

  #pathFor(workflowId: string): string {
    return join(this.directory, HISTORIES, historyFileName(workflowId));
  }

  /** Reads every history file into the memory store, dropping torn last records first. */
  async #load(): Promise<void> {
    const fs = this.#fs;
    const folder = join(this.directory, HISTORIES);
    makeFolder(fs, folder, this.directory);
    let names: string[];
    try {
      names = fs.readdirSync(folder).sort();
    } catch (error) {
      throw ioError(`Cannot list the history files in '${folder}'`, this.directory, error);
    }
    let removedTemp = false;
    for (const name of names) {
      // A leftover *.tmp is a createExecution that never returned: it was not durable, so it goes.
      if (!name.endsWith(".tmp")) continue;
      try {
        fs.unlinkSync(join(folder, name));
        removedTemp = true;
      } catch (error) {
        throw ioError(`Cannot remove the unfinished history file '${join(folder, name)}'`, this.directory, error);
      }
    }
    if (removedTemp) syncFolder(fs, folder);
    for (const name of names) {
      if (name.endsWith(".history")) await this.#loadFile(join(folder, name));
    }
  }

  async #loadFile(path: string): Promise<void> {
    const fs = this.#fs;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path);
    } catch (error) {
      throw ioError(`Cannot read history file '${path}'`, this.directory, error);
    }
    const { records, tornAt } = decodeRecords(bytes, path, this.directory);
    const header = records[0];
    if (header === undefined) {
      // Checked before dropping anything: files are renamed into place only once complete, so a
      // file without a whole header was not written by this store and is left as it is.
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${this.directory}': history file '${path}' has no header record, ` +
          `so it was not written by workflow-sandbox`,
        hint: "Move it out of the folder",
      });
    }
    if (tornAt !== undefined) {
      try {
        const fd = fs.openSync(path, "r+");
        try {
          fs.ftruncateSync(fd, tornAt);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      } catch (error) {
        throw ioError(`Cannot drop the torn record at the end of history file '${path}'`, this.directory, error);
      }
      this.#warn(
        `Dropped a torn record at the end of history file '${path}' (${bytes.length - tornAt} bytes from byte ${tornAt}): ` +
          `the process stopped while writing it, so the write it held was never reported as done`,
      );
      this.#crash.reached("recover");
    }
    const { value } = header;
    if (!isRecord(value) || value.format !== FORMAT || typeof value.workflowId !== "string") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${this.directory}': '${path}' is not a workflow-sandbox history file`,
        hint: "Move it out of the folder",
      });
    }
    if (value.version !== VERSION) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${this.directory}': history file '${path}' has format version ` +
          `${JSON.stringify(value.version)}, and this workflow-sandbox reads version ${VERSION}`,
        hint: "Upgrade workflow-sandbox to one that reads it, or use another folder",
      });
    }
    const workflowId = value.workflowId;
    const other = this.#files.get(workflowId);
    if (other !== undefined) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_CORRUPT",
        message: `Cannot open history store '${this.directory}': history files '${other}' and '${path}' ` +
          `both hold workflow '${workflowId}'`,
        hint: "Keep one of them and move the other out of the folder",
      });
    }
    this.#files.set(workflowId, path);
    this.#paths.add(path);
    for (const { value: change, offset } of records.slice(1)) {
      const unreplayable = (problem: string, cause?: unknown) =>
        codedError(HistoryStoreError, {
          code: "WFS_STORE_CORRUPT",
          message: `Cannot open history store '${this.directory}': the record at byte ${offset} of history file '${path}' ` +
            `cannot be replayed (${problem})`,
          hint: `Restore the file from a backup, or truncate it to ${offset} bytes to keep the history before it`,
          cause,
        });
      if (!isRecord(change) || (change.op !== "create" && change.op !== "append")) {
        throw unreplayable(`unknown record ${JSON.stringify(change).slice(0, 80)}`);
      }
      const id = change.op === "create" ? change.execution?.workflowId : change.key?.workflowId;
      if (id !== workflowId) throw unreplayable(`the record is for workflow '${id}', not '${workflowId}'`);
      try {
        if (change.op === "create") await this.#memory.createExecution(change.execution);
        else await this.#memory.append(change.key, change.batch);
      } catch (error) {
        throw unreplayable((error as Error).message, error);
      }
    }
  }

  #releaseLock(): void {
    const fs = this.#fs;
    const path = join(this.directory, LOCK);
    try {
      const content = fs.readFileSync(path, "utf8");
      if (content !== this.#lockContent) {
        this.#warn(
          `Left lock file '${path}' in place: it is no longer this process's lock (it holds ${content.trim() || "nothing"}); ` +
            `another process took the store over, check that only one worker uses '${this.directory}'`,
        );
        return;
      }
      fs.unlinkSync(path);
      syncFolder(fs, this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw ioError(`Cannot release lock file '${path}'`, this.directory, error);
    }
  }
}

/** A readable, collision-free file name: the id's safe characters, then a hash of the whole id. */
function historyFileName(workflowId: string): string {
  const readable = workflowId.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 64);
  const hash = createHash("sha256").update(workflowId).digest("hex").slice(0, 16);
  return `${readable}-${hash}.history`;
}

function encodeRecord(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), "utf8");
  return Buffer.concat([Buffer.from(`${json.length} ${checksum(json)} `, "utf8"), json, Buffer.from("\n")]);
}

function checksum(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 8);
}

const NEWLINE = 0x0a;
const RECORD_PREFIX = /^(\d{1,10}) ([0-9a-f]{8}) $/;

/**
 * Splits a history file into records. The first record that fails its length, checksum or JSON
 * check ends the file: if nothing after it spans another line, it is the torn last write of a
 * crash (`tornAt`); otherwise records that were reported durable follow it, so the file is corrupt
 * and opening fails rather than silently dropping them.
 */
function decodeRecords(
  bytes: Buffer,
  path: string,
  directory: string,
): { records: { value: unknown; offset: number }[]; tornAt?: number } {
  const records: { value: unknown; offset: number }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const end = bytes.indexOf(NEWLINE, offset);
    const value = end === -1 ? undefined : decodeLine(bytes.subarray(offset, end));
    if (value === undefined) {
      // One torn append holds no newline except, at most, its own last byte.
      if (end !== -1 && end < bytes.length - 1) {
        throw codedError(HistoryStoreError, {
          code: "WFS_STORE_CORRUPT",
          message: `Cannot open history store '${directory}': history file '${path}' is damaged at byte ${offset} ` +
            `(record ${records.length + 1}), before its last record`,
          hint: `Restore the file from a backup, or truncate it to ${offset} bytes to keep the history before the damage`,
        });
      }
      return { records, tornAt: offset };
    }
    records.push({ value: value.parsed, offset });
    offset = end + 1;
  }
  return { records };
}

function decodeLine(line: Buffer): { parsed: unknown } | undefined {
  const firstSpace = line.indexOf(0x20);
  const secondSpace = firstSpace === -1 ? -1 : line.indexOf(0x20, firstSpace + 1);
  if (secondSpace === -1) return undefined;
  const prefix = RECORD_PREFIX.exec(line.subarray(0, secondSpace + 1).toString("latin1"));
  if (prefix === null) return undefined;
  const json = line.subarray(secondSpace + 1);
  if (json.length !== Number(prefix[1]) || checksum(json) !== prefix[2]) return undefined;
  try {
    return { parsed: JSON.parse(json.toString("utf8")) };
  } catch {
    return undefined;
  }
}

function appendDurably(fs: FileHistoryStoreFs, path: string, record: Buffer): void {
  const fd = fs.openSync(path, "a");
  try {
    const size = fs.fstatSync(fd).size;
    try {
      writeAll(fs, fd, record);
      fs.fsyncSync(fd);
    } catch (error) {
      // Cut a partial record off so the next open does not see damage mid-file; the store still
      // stops writing, because after a failed fsync the kernel may have dropped other pages too.
      try {
        fs.ftruncateSync(fd, size);
        fs.fsyncSync(fd);
      } catch {
        // The torn tail is dropped on the next open instead.
      }
      throw error;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function writeAll(fs: FileHistoryStoreFs, fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
}

/** Flushes a folder's entries (a created, renamed or removed file) to disk. */
function syncFolder(fs: FileHistoryStoreFs, folder: string): void {
  // Windows cannot open a folder as a file, and NTFS journals its entries itself.
  if (process.platform === "win32") return;
  const fd = fs.openSync(folder, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function makeFolder(fs: FileHistoryStoreFs, folder: string, directory: string): void {
  let created: string | undefined;
  try {
    created = fs.mkdirSync(folder, { recursive: true });
    if (created !== undefined) syncFolder(fs, dirname(created));
  } catch (error) {
    throw ioError(`Cannot create folder '${folder}'`, directory, error);
  }
}

/** Takes the folder's lock, or throws `WFS_STORE_LOCKED`; returns the lock file's content. */
function acquireLock(fs: FileHistoryStoreFs, directory: string, warn: (message: string) => void): string {
  const path = join(directory, LOCK);
  const content = `${JSON.stringify({ pid: process.pid, hostname: hostName(), startedAt: new Date().toISOString() })}\n`;
  // Each pass either creates the lock or removes a stale one; a few passes cover another process
  // taking a stale lock over at the same moment.
  for (let pass = 0; pass < 5; pass++) {
    let fd: number;
    try {
      fd = fs.openSync(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw ioError(`Cannot create lock file '${path}'`, directory, error);
      removeStaleLock(fs, directory, path, warn);
      continue;
    }
    try {
      try {
        writeAll(fs, fd, Buffer.from(content, "utf8"));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      syncFolder(fs, directory);
    } catch (error) {
      try {
        fs.unlinkSync(path);
      } catch {
        // Left behind without a readable owner: the next opener takes it over after the grace time.
      }
      throw ioError(`Cannot write lock file '${path}'`, directory, error);
    }
    return content;
  }
  throw codedError(HistoryStoreError, {
    code: "WFS_STORE_LOCKED",
    message: `Cannot open history store '${directory}': its lock file '${path}' kept changing while this process tried to take it, ` +
      `so another worker is starting on the same folder`,
    hint: "Give each worker its own folder with the 'directory' option",
  });
}

/** Removes the lock at `path` if its owner is dead, or throws `WFS_STORE_LOCKED` naming the owner. */
function removeStaleLock(fs: FileHistoryStoreFs, directory: string, path: string, warn: (message: string) => void): void {
  const seen = readLock(fs, path);
  if (seen === undefined) return; // vanished: retry creating it
  const owner = parseLockOwner(seen.content);
  const fix = `Stop that worker first, or give this one another folder with the 'directory' option`;
  if (owner === undefined) {
    if (Date.now() - seen.mtimeMs < UNREADABLE_LOCK_GRACE_MS) {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_LOCKED",
        message: `Cannot open history store '${directory}': another process is creating its lock file '${path}' right now`,
        hint: fix,
      });
    }
  } else {
    const state = processState(owner);
    const since = owner.startedAt === undefined ? "" : ` since ${owner.startedAt}`;
    if (state === "this process") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_LOCKED",
        message: `Cannot open history store '${directory}': this process (pid ${owner.pid}) already has it open ` +
          `(lock file '${path}')`,
        hint: "Call close() on the other FileHistoryStore first, or share one store",
      });
    }
    if (state === "alive") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_LOCKED",
        message: `Cannot open history store '${directory}': it is locked by process ${owner.pid}${since} (lock file '${path}')`,
        hint: `${fix}; if process ${owner.pid} is not a workflow-sandbox worker (its pid was reused), delete the lock file`,
      });
    }
    if (state !== "dead") {
      throw codedError(HistoryStoreError, {
        code: "WFS_STORE_LOCKED",
        message: `Cannot open history store '${directory}': it is locked by process ${owner.pid}${
          owner.hostname ? ` on host '${owner.hostname}'` : ""
        }${since} (lock file '${path}'), which cannot be checked from here (${state})`,
        hint: `${fix}; if that process is not running, delete the lock file`,
      });
    }
  }
  // Move the stale lock aside rather than deleting it: a rename succeeds for one process only, and
  // the moved file shows whether it was still the stale lock when it moved.
  const aside = `${path}.stale-${process.pid}`;
  try {
    fs.renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return; // someone else moved it
    throw ioError(`Cannot take over stale lock file '${path}'`, directory, error);
  }
  const moved = readLock(fs, aside);
  if (moved?.content !== seen.content) {
    // A live process locked the folder between our read and our rename: give its lock back.
    try {
      fs.linkSync(aside, path);
    } catch {
      // Somebody holds the lock again already, which is all that matters.
    }
  } else {
    warn(
      owner === undefined
        ? `Took over lock file '${path}' of history store '${directory}': it had no readable owner, left by a process that stopped while creating it`
        : `Took over lock file '${path}' of history store '${directory}' from process ${owner.pid}, which is no longer running ` +
          `(it stopped without closing the store); its flushed writes are kept and a torn last record is dropped`,
    );
  }
  fs.unlinkSync(aside);
}

function readLock(fs: FileHistoryStoreFs, path: string): { content: string; mtimeMs: number } | undefined {
  try {
    return { content: fs.readFileSync(path, "utf8"), mtimeMs: fs.statSync(path).mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function parseLockOwner(content: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(content) as unknown;
    if (isRecord(owner) && Number.isInteger(owner.pid) && owner.pid > 0) return owner as unknown as LockOwner;
  } catch {
    // An empty or partial lock file: its writer stopped while creating it.
  }
  return undefined;
}

/** Whether the lock's owner runs, as far as this process can tell (else the reason it cannot). */
function processState(owner: LockOwner): "this process" | "alive" | "dead" | string {
  const host = hostName();
  if (owner.hostname !== undefined && host !== undefined && owner.hostname !== host) {
    return `it runs on another host, this is '${host}'`;
  }
  if (owner.pid === process.pid) return "this process";
  try {
    process.kill(owner.pid, 0); // signal 0 checks that the process exists without touching it
    return "alive";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return "dead";
    if (code === "EPERM") return "alive"; // exists, owned by another user
    return `checking process ${owner.pid} failed: ${(error as Error).message}`;
  }
}

function hostName(): string | undefined {
  try {
    return hostname();
  } catch {
    // Deno without --allow-sys: the lock then compares pids only.
    return undefined;
  }
}

/** Wraps a file system error with the folder, what failed, and the fix for its cause. */
function ioError(action: string, directory: string, error: unknown): HistoryStoreError {
  if (error instanceof HistoryStoreError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason = (error as Error)?.message ?? String(error);
  let what: string;
  let fix: string;
  switch (code) {
    case "EACCES":
    case "EPERM":
    case "EROFS":
      what = `the folder is read-only or not writable by this process (${reason})`;
      fix = `Give the worker write access to '${directory}', or choose a writable folder with the 'directory' option`;
      break;
    case "ENOSPC":
    case "EDQUOT":
      what = `the disk is full (${reason})`;
      fix = `Free space on the disk of '${directory}'`;
      break;
    case "ENOTDIR":
    case "EEXIST":
      what = `a file stands where a folder is needed (${reason})`;
      fix = `Set the 'directory' option to a folder path, or move the file`;
      break;
    default:
      what = reason;
      fix = `Check that '${directory}' is a folder on a local disk that this process can write`;
  }
  return codedError(HistoryStoreError, {
    code: "WFS_STORE_IO",
    message: `${action} of history store '${directory}': ${what}`,
    hint: fix,
    cause: error,
  });
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
