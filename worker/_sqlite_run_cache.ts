/**
 * The runs a `SqliteHistoryStore` wrote or verified, kept in memory: their rows (decoded, the
 * checksum checked once) and their histories (the stored JSON of every event, the chain checked
 * once), so that the worker's many looks at a run it holds (a description before each workflow
 * task, its history, the run again before each write) cost a map look-up instead of a query and a
 * SHA-256 each. Measured for issue 16: through the worker, each look cost 60-230 µs on a loaded
 * 2-core machine, and a short workflow took 5 descriptions, 3 histories and 6 writes.
 *
 * What keeps it true, without weakening a check:
 *
 * - **Its own writes** go through it: a write transaction stages what it changes, a write undone
 *   (its savepoint rolled back) restores what was staged before it, and the staged changes become
 *   the cache only once the transaction commits; a transaction rolled back (also a group's first
 *   try, undone whole when one of its writes failed, ./_sqlite_group_commit.ts) drops them, and one
 *   whose outcome is unknown (a failed COMMIT) drops the whole cache.
 * - **Other processes' commits** change `PRAGMA data_version` of the store's writing connection
 *   (never its own commits), which the store reads before every read served from here and at the
 *   start of every write transaction ({@linkcode RunCache.observe}). After a change, an entry is
 *   used again only once its row's stored checksum, read back by its row id, is the one it was
 *   cached with (the checksum covers every column of the row, with the run's last event id and the
 *   head of its event chain), and without its history, which the next read takes from the file and
 *   checks again (a commit can change event rows alone: an sqlite3 shell, damage done through
 *   SQL); a changed or missing row drops the entry and the read goes to the database, checked as
 *   always. A list that reads a row carrying the checksum of an entry takes the entry's values
 *   instead of hashing the row again ({@linkcode RunCache.matching}).
 * - **Bounded**: at most {@linkcode MAX_RUNS} runs and {@linkcode MAX_EVENT_CHARS} characters of
 *   history, the least recently used dropped first.
 *
 * What it does not see: a byte of the database file changed by something other than SQLite
 * (damage on disk, a disk that returns other bytes) after this process read or wrote the row. A
 * read served from here returns what this process wrote or verified, never a changed answer, and
 * the damage is found by the first read that reaches the file: after another process's commit
 * touches the run, after a restart, or by `verify()`, which reads everything from the file (as
 * SQLite's own page cache already kept such a page unseen until it was read again).
 * @module
 */

import { sameChecksum } from "./_sqlite_checksum.ts";
import type { StoredRun } from "./_sqlite_rows.ts";

/** Runs kept at most. */
export const MAX_RUNS = 4_096;
/** Characters of stored event JSON kept at most, over all runs (about 32 MB of strings). */
export const MAX_EVENT_CHARS = 16_000_000;

/** A run as the cache holds it. */
export interface CachedRun {
  readonly run: StoredRun;
  /** The checksum of its row as stored: a row that still carries it is unchanged. */
  readonly checksum: Uint8Array;
  /**
   * The stored JSON of its events, from event 1, when the cache holds the whole history: the
   * first `run.info.lastEventId` entries are the history (an array may be longer, past an undone
   * write; only that many are read).
   */
  readonly events: string[] | undefined;
  /** Characters of `events` up to `lastEventId`. */
  readonly chars: number;
}

/** An entry with the generation of `data_version` it was last known current in. */
interface Entry extends CachedRun {
  generation: number;
}

/** The latest run of a workflow id, and the generation it was known in. */
interface Latest {
  readonly runId: string;
  generation: number;
}

/** Reads a run row's stored checksum by its row id (`undefined` when the row is gone). */
export type ChecksumReader = (id: number) => unknown;

const runKey = (workflowId: string, runId: string) => `${workflowId}\u0000${runId}`;

/** The verified runs of one store; see the module's documentation. */
export class RunCache {
  readonly #runs = new Map<string, Entry>();
  readonly #latest = new Map<string, Latest>();
  #chars = 0;
  /** Increases when another connection committed (`data_version` changed). */
  #generation = 0;
  #dataVersion: number | undefined;
  /** The open write transaction's changes (`null`: unknown, read the database), or `undefined` outside one. */
  #staged: { runs: Map<string, Entry | null>; latest: Map<string, Latest | null> } | undefined;
  /** What the current write staged over, to restore if it is undone. */
  #journal: { map: Map<string, unknown>; key: string; had: boolean; previous: unknown }[] = [];

  /** Records the writing connection's `data_version`: a change means another connection committed. */
  observe(dataVersion: number): void {
    if (dataVersion === this.#dataVersion) return;
    if (this.#dataVersion !== undefined) this.#generation++;
    this.#dataVersion = dataVersion;
  }

  /**
   * The cached run `workflowId`/`runId`, current as of the last {@linkcode observe}: an entry of
   * an older generation is used only if `readChecksum` finds its row unchanged.
   */
  get(workflowId: string, runId: string, readChecksum: ChecksumReader): CachedRun | undefined {
    const key = runKey(workflowId, runId);
    const staged = this.#staged?.runs.get(key);
    if (staged === null) return undefined;
    let entry = staged ?? this.#runs.get(key);
    if (entry === undefined) return undefined;
    if (entry.generation !== this.#generation) {
      if (!sameChecksum(readChecksum(entry.run.id), entry.checksum)) {
        if (staged === undefined) this.#drop(key);
        else this.#staged!.runs.set(key, null);
        return undefined;
      }
      entry.generation = this.#generation;
      if (entry.events !== undefined) {
        // Another connection's commit may have touched the events without the run's row (an
        // sqlite3 shell, damage done through SQL): the history is read from the file, and
        // checked, again.
        entry = { ...entry, events: undefined, chars: 0 };
        if (staged === undefined) this.#commitRun(key, entry);
        else this.#staged!.runs.set(key, entry);
      }
    }
    if (staged === undefined) {
      // Most recently used last.
      this.#runs.delete(key);
      this.#runs.set(key, entry);
    }
    return entry;
  }

  /**
   * The cached run `workflowId`/`runId` whose row's checksum is `checksum` (a row a list read),
   * whatever the generation: a row that carries the checksum an entry was verified with holds
   * that entry's values, so the list need not hash it again.
   */
  matching(workflowId: string, runId: string, checksum: unknown): CachedRun | undefined {
    const key = runKey(workflowId, runId);
    const staged = this.#staged?.runs.get(key);
    const entry = staged === null ? undefined : staged ?? this.#runs.get(key);
    return entry !== undefined && sameChecksum(checksum, entry.checksum) ? entry : undefined;
  }

  /**
   * The latest run of `workflowId`, or `undefined` when the cache cannot say. After another
   * connection committed, a latest run that is still running (checked as {@linkcode get} does)
   * is still the latest: no run is created beside a running one, and continuing one as new
   * changes its row.
   */
  latest(workflowId: string, readChecksum: ChecksumReader): CachedRun | undefined {
    const staged = this.#staged?.latest.get(workflowId);
    if (staged === null) return undefined;
    const latest = staged ?? this.#latest.get(workflowId);
    if (latest === undefined) return undefined;
    const current = latest.generation === this.#generation;
    const run = this.get(workflowId, latest.runId, readChecksum);
    if (run === undefined || (!current && run.run.info.status !== "running")) {
      if (staged === undefined) this.#latest.delete(workflowId);
      else this.#staged!.latest.set(workflowId, null);
      return undefined;
    }
    latest.generation = this.#generation;
    return run;
  }

  /**
   * Records a run as read or written (staged inside a write transaction): `events` when the
   * whole history is known, `latest` when it is its workflow id's latest run.
   */
  put(run: StoredRun, checksum: Uint8Array, events: string[] | undefined, latest: boolean): CachedRun {
    let chars = 0;
    if (events !== undefined) for (let index = 0; index < events.length; index++) chars += events[index]!.length;
    return this.#put(run, checksum, events, chars, latest);
  }

  #put(run: StoredRun, checksum: Uint8Array, events: string[] | undefined, chars: number, latest: boolean): CachedRun {
    const info = run.info;
    if (events !== undefined && events.length !== info.lastEventId) events = undefined;
    const entry: Entry = { run, checksum, events, chars: events === undefined ? 0 : chars, generation: this.#generation };
    const key = runKey(info.workflowId, info.runId);
    if (this.#staged !== undefined) {
      this.#stage(this.#staged.runs, key, entry);
      if (latest) this.#stage(this.#staged.latest, info.workflowId, { runId: info.runId, generation: this.#generation });
      return entry;
    }
    this.#commitRun(key, entry);
    if (latest) this.#latest.set(info.workflowId, { runId: info.runId, generation: this.#generation });
    this.#trim();
    return entry;
  }

  /**
   * The entry after a write appended `bodies` (the stored JSON of its new events) to `before`,
   * sharing its history's array (no copy per write).
   */
  append(before: CachedRun | undefined, run: StoredRun, checksum: Uint8Array, bodies: readonly string[]): CachedRun {
    let events: string[] | undefined;
    let chars = 0;
    const had = before?.events;
    if (had !== undefined && before!.run.id === run.id) {
      // Entries past an undone write may have left bodies beyond the last event: they are not history.
      had.length = before!.run.info.lastEventId;
      chars = before!.chars;
      for (const body of bodies) {
        had.push(body);
        chars += body.length;
      }
      events = had;
    }
    return this.#put(run, checksum, events, chars, false);
  }

  /** Forgets a run: reads and writes go to the database for it. */
  forget(workflowId: string, runId: string): void {
    const key = runKey(workflowId, runId);
    if (this.#staged !== undefined) {
      this.#stage(this.#staged.runs, key, null);
      this.#stage(this.#staged.latest, workflowId, null);
    } else {
      this.#drop(key);
      this.#latest.delete(workflowId);
    }
  }

  /** Forgets everything (runs deleted: their ids may be used again). */
  clear(): void {
    this.#runs.clear();
    this.#latest.clear();
    this.#chars = 0;
    this.#generation++;
    if (this.#staged !== undefined) {
      this.#staged = { runs: new Map(), latest: new Map() };
      this.#journal = [];
    }
  }

  // ---- write transactions (./_sqlite_group_commit.ts calls these) ----

  /** A write transaction began: what it changes is staged until it ends. */
  begin(): void {
    this.#staged = { runs: new Map(), latest: new Map() };
    this.#journal = [];
  }

  /** A write of the transaction starts: what it stages can be undone alone. */
  startWrite(): void {
    this.#journal = [];
  }

  /** The current write was undone (its savepoint rolled back): what it staged is restored. */
  undoWrite(): void {
    for (let index = this.#journal.length - 1; index >= 0; index--) {
      const { map, key, had, previous } = this.#journal[index]!;
      if (had) map.set(key, previous);
      else map.delete(key);
    }
    this.#journal = [];
  }

  /**
   * The transaction ended: `"committed"` makes what it staged the cache; `"rolled-back"` drops it
   * (nothing it did is in the database); `"unknown"` (a COMMIT that failed) drops everything.
   */
  end(outcome: "committed" | "rolled-back" | "unknown"): void {
    const staged = this.#staged;
    this.#staged = undefined;
    this.#journal = [];
    if (outcome === "unknown") return this.clear();
    if (outcome === "rolled-back" || staged === undefined) return;
    for (const [key, entry] of staged.runs) {
      if (entry === null) this.#drop(key);
      else this.#commitRun(key, entry);
    }
    for (const [workflowId, latest] of staged.latest) {
      if (latest === null) this.#latest.delete(workflowId);
      else this.#latest.set(workflowId, latest);
    }
    this.#trim();
  }

  /** Runs held now. */
  get size(): number {
    return this.#runs.size;
  }

  #stage(map: Map<string, unknown>, key: string, value: unknown): void {
    this.#journal.push({ map, key, had: map.has(key), previous: map.get(key) });
    map.set(key, value);
  }

  #commitRun(key: string, entry: Entry): void {
    const old = this.#runs.get(key);
    if (old !== undefined) {
      this.#chars -= old.chars;
      this.#runs.delete(key);
    }
    this.#runs.set(key, entry);
    this.#chars += entry.chars;
  }

  #drop(key: string): void {
    const old = this.#runs.get(key);
    if (old === undefined) return;
    this.#chars -= old.chars;
    this.#runs.delete(key);
  }

  #trim(): void {
    while (this.#runs.size > MAX_RUNS || this.#chars > MAX_EVENT_CHARS) {
      const oldest = this.#runs.keys().next();
      if (oldest.done) break;
      this.#drop(oldest.value);
    }
  }
}
