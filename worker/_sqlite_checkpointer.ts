/**
 * Checkpoints the WAL on a thread of its own, so the event loop never waits for it. SQLite's
 * automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages: it copies the
 * pages into the database file and flushes both files, which blocked the event loop 5-15 ms each
 * time on a loaded 2-core machine (measured for issue 16: about one commit in 18 through the
 * worker, a tenth of its time). Here the writing connection turns it off (`wal_autocheckpoint =
 * 0`) once a thread with a connection of its own is ready, and asks that thread for a `PASSIVE`
 * checkpoint after a while of writes: a passive checkpoint never takes the write lock, so commits
 * go on meanwhile, and it copies only what no reader still needs.
 *
 * The thread starts with the store's first 64 writes, so a store that writes little (a client
 * that starts a few workflows) never pays for it. Where the thread cannot start or stops (a runtime without `node:worker_threads`, a thread that
 * fails), the writing connection checkpoints automatically again, as before. `close()` closes the
 * thread's connection before the store's own close, so the store's connection is still the last
 * to close and removes the WAL.
 * @module
 */

import type { DatabaseSync } from "node:sqlite";
import { clearTimeout, setTimeout } from "node:timers";
import { Worker } from "node:worker_threads";

/** Writes after which a checkpoint is asked for (a short workflow writes about 1.5 pages each). */
const WRITES_PER_CHECKPOINT = 400;
/** Writes after which the thread starts: a store that writes less is served by SQLite's automatic checkpoint. */
const WRITES_BEFORE_THREAD = 64;
/** Commits after which a checkpoint is asked for, however small they were. */
const COMMITS_PER_CHECKPOINT = 200;
/** How long `close()` waits for the thread to close its connection. */
const CLOSE_WAIT_MS = 5_000;

// CommonJS, evaluated by the worker thread (`eval: true`): no loader hooks run there.
const CHECKPOINTER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { DatabaseSync } = require("node:sqlite");
const db = new DatabaseSync(workerData.path);
db.exec("PRAGMA busy_timeout = 0");
db.exec("PRAGMA synchronous = " + workerData.synchronous);
db.exec("PRAGMA wal_autocheckpoint = 0");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
parentPort.on("message", (message) => {
  if (message === "close") {
    // The main thread ends the thread once it has this answer.
    db.close();
    parentPort.postMessage("closed");
    return;
  }
  try {
    checkpoint.get();
  } catch {
    // Busy (another checkpoint runs) or failing: the next request tries again.
  }
  parentPort.postMessage("done");
});
parentPort.postMessage("ready");
`;

/** Options of {@linkcode Checkpointer}. */
export interface CheckpointerOptions {
  /** The database file. */
  readonly path: string;
  /** The store's `synchronous` setting: a checkpoint flushes as a commit would. */
  readonly synchronous: "NORMAL" | "FULL";
  /** The store's writing connection, whose automatic checkpoint this replaces while the thread runs. */
  readonly writer: DatabaseSync;
}

/**
 * The checkpointing thread of one store, started by the store's first writes: a thread costs
 * 60-120 ms of CPU to start and stop (measured on this 2-core machine), which a store that writes
 * little never needs.
 */
export class Checkpointer {
  readonly #options: CheckpointerOptions;
  #worker: Worker | undefined;
  #ready = false;
  /** Closed, or the thread failed: SQLite checkpoints automatically from then on. */
  #stopped = false;
  #inFlight = false;
  #writes = 0;
  #commits = 0;
  #closed: (() => void) | undefined;

  constructor(options: CheckpointerOptions) {
    this.#options = options;
  }

  /** A group of `writes` writes committed: asks for a checkpoint (starting the thread first) once enough were. */
  committed(writes: number): void {
    if (this.#stopped) return;
    this.#writes += writes;
    this.#commits++;
    // Commits alone (a heartbeat, a few writes each) do not start the thread: SQLite's automatic
    // checkpoint serves a store that writes little.
    const due = this.#worker === undefined
      ? this.#writes >= WRITES_BEFORE_THREAD
      : this.#writes >= WRITES_PER_CHECKPOINT || this.#commits >= COMMITS_PER_CHECKPOINT;
    if (this.#inFlight || !due) return;
    this.#writes = 0;
    this.#commits = 0;
    if (this.#worker === undefined) return this.#start();
    if (!this.#ready) return; // starting: SQLite checkpoints automatically meanwhile
    this.#inFlight = true;
    this.#worker.postMessage("checkpoint");
  }

  /** Closes the thread's connection and ends the thread; the writing connection checkpoints automatically again. */
  async close(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    const wasReady = this.#ready;
    this.#ready = false;
    // The thread is unreferenced while it runs; the wait for its answer keeps the process alive.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = new Promise<void>((resolve) => {
      this.#closed = resolve;
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
    });
    worker.ref?.();
    worker.postMessage("close");
    await closed;
    clearTimeout(timer);
    await worker.terminate().catch(() => {});
    if (wasReady) this.#setAutomatic(true);
  }

  /** Starts the thread; where threads are not available, SQLite goes on checkpointing automatically. */
  #start(): void {
    let worker: Worker;
    try {
      worker = new Worker(CHECKPOINTER_SOURCE, {
        eval: true,
        // Not the host's --import/--require preloads (a loader, an APM agent): the thread needs none.
        execArgv: [],
        workerData: { path: this.#options.path, synchronous: this.#options.synchronous },
        // A small isolate: it holds one connection and a statement.
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4, stackSizeMb: 1 },
        // Not piped to the process's: Node 22 prints "SQLite is an experimental feature" once
        // per thread, and the thread's failures come as its 'error' event.
        stdout: true,
        stderr: true,
      });
    } catch {
      this.#stopped = true;
      return;
    }
    this.#worker = worker;
    worker.stdout?.resume();
    worker.stderr?.resume();
    worker.on("message", (message: unknown) => {
      if (message === "ready") {
        if (this.#stopped) return;
        this.#ready = true;
        this.#setAutomatic(false);
      } else if (message === "done") {
        this.#inFlight = false;
      } else if (message === "closed") {
        this.#closed?.();
      }
    });
    const stop = () => {
      const wasReady = this.#ready;
      this.#ready = false;
      this.#stopped = true;
      this.#closed?.();
      if (wasReady) this.#setAutomatic(true);
    };
    worker.on("error", stop);
    worker.on("exit", stop);
    worker.unref?.();
  }

  #setAutomatic(on: boolean): void {
    try {
      this.#options.writer.exec(`PRAGMA wal_autocheckpoint = ${on ? 1000 : 0}`);
    } catch {
      // The store is closing: its connection closes next.
    }
  }
}
