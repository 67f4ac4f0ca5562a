// SqliteHistoryStore: the history store contract, then what is its own: the database's layout and
// checks at open, group commit, the threat model of docs/deploying.md (each damage gives the
// outcome stated there, every time), listing and retention, import of a FileHistoryStore folder,
// and online backups.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import { isDeno, loadSqlite, nodeVersion, compareVersions } from "../loader/runtime.ts";
import { GroupCommit } from "../worker/_sqlite_group_commit.ts";
import { inspectWal } from "../worker/_sqlite_wal.ts";
import { sessionFolder, SessionLock } from "../worker/_sqlite_sessions.ts";
import { createCrashInjector, type PersistenceStep } from "../worker/crash_injection.ts";
import { FileHistoryStore } from "../worker/file_history_store.ts";
import {
  type ExecutionInfo,
  type HistoryEvent,
  type HistoryStore,
  HistoryStoreError,
  type HistoryStoreErrorCode,
  type NewExecution,
} from "../worker/history_store.ts";
import { SqliteHistoryStore, type SqliteHistoryStoreOptions } from "../worker/sqlite_history_store.ts";
import { addHistoryStoreContract } from "./_history_store_contract.ts";

// Child mode (the SIGKILL test): write workflows, printing each acknowledged write, until killed.
if (process.argv[2] === "--write-until-killed") {
  const store = await SqliteHistoryStore.open({ path: process.argv[3], synchronous: process.argv[4] as "NORMAL" | "FULL", crashInjector: createCrashInjector({ value: "" }) });
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    for (;;) {
      const workflowId = `wf-${next++}`;
      await store.createExecution(started(workflowId));
      fs.writeSync(1, `ack ${workflowId} 1\n`);
      for (let id = 2; id <= 6; id++) {
        await store.append({ workflowId, runId: "r1" }, { expectedLastEventId: id - 1, events: [event(id, "SignalReceived", { n: id })] });
        fs.writeSync(1, `ack ${workflowId} ${id}\n`);
      }
    }
  }));
}

const folders: string[] = [];
const warnings: string[] = [];
const sqlite = await loadSqlite();
const { DatabaseSync } = sqlite;

function newFolder(): string {
  const folder = fs.mkdtempSync(join(tmpdir(), "wfs-sqlite-store-"));
  folders.push(folder);
  return folder;
}

function newPath(): string {
  return join(newFolder(), "store", "histories.db");
}

function open(path: string, options: SqliteHistoryStoreOptions = {}): Promise<SqliteHistoryStore> {
  return SqliteHistoryStore.open({ path, warn: (message) => warnings.push(message), crashInjector: createCrashInjector({ value: "" }), ...options });
}

function event(eventId: number, type: string, attributes: Record<string, unknown> = {}): HistoryEvent {
  return { eventId, type, timestamp: 1_000 + eventId, ...attributes };
}

function started(workflowId: string, runId = "r1", attributes: Record<string, unknown> = {}): NewExecution {
  return { workflowId, runId, workflowType: "greet", taskQueue: "q", events: [event(1, "WorkflowExecutionStarted", attributes)] };
}

/** Everything a store answers, per workflow and in its lists, as JSON to compare. */
async function snapshot(store: HistoryStore): Promise<unknown> {
  const executions = await store.listExecutions();
  return {
    executions,
    histories: await Promise.all(executions.map((info) => store.readEvents(info))),
    workflowTasks: await store.listWorkflowTasks(),
    timers: await store.listTimers(),
    activities: await store.listActivityTasks(),
  };
}

/** A small store: `count` workflows in several states, timers, activities, a task failure, a continue-as-new. */
async function populate(store: HistoryStore, count = 8): Promise<void> {
  for (let index = 0; index < count; index++) {
    const workflowId = `wf-${index}`;
    const key = { workflowId, runId: "r1" };
    await store.createExecution({ ...started(workflowId, "r1", { args: [`MARKER-START-${index}`] }), workflowType: index === 4 ? "TYPE-MARKER-4" : "greet" });
    await store.append(key, {
      expectedLastEventId: 1,
      events: [event(2, "WorkflowTaskCompleted"), event(3, "TimerStarted", { note: `MARKER-EVENT-${index}` }), event(4, "ActivityTaskScheduled")],
      workflowTaskPending: false,
      timers: { put: [{ timerId: "1", firesAt: 50_000 + index, data: { note: `MARKER-TIMER-${index}` } }] },
      activities: { put: [{ activityId: "1", activityType: "charge", taskQueue: "q", attempt: 1, readyAt: 2_000 + index }] },
    });
    if (index % 4 === 1) {
      await store.append(key, { expectedLastEventId: 4, events: [event(5, "WorkflowExecutionCompleted", { result: `MARKER-RESULT-${index}` })], status: "completed" });
    } else if (index % 4 === 2) {
      await store.append(key, { expectedLastEventId: 4, taskFailure: { attempt: 1, message: "boom", nextAttemptAt: 9_000 }, workflowTaskPending: true });
    } else if (index % 4 === 3) {
      await store.append(key, {
        expectedLastEventId: 4,
        events: [event(5, "WorkflowExecutionContinuedAsNew")],
        status: "continued-as-new",
        continueAsNew: { runId: "r2", workflowType: "greet", taskQueue: "q", events: [event(1, "WorkflowExecutionStarted", { args: [index] })] },
      });
    }
  }
}

const TABLE_LEAF = 0x0d;
const INDEX_LEAF = 0x0a;

/** The b-tree page type of the page holding byte `offset` (a table leaf holds rows of a rowid table). */
function pageKind(path: string, offset: number): number {
  const bytes = fs.readFileSync(path);
  const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16);
  const page = Math.floor(offset / pageSize);
  return bytes[page * pageSize + (page === 0 ? 100 : 0)]!;
}

function flipBit(path: string, offset: number, bit = 0): void {
  const fd = fs.openSync(path, "r+");
  try {
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, offset);
    byte[0]! ^= 1 << bit;
    fs.writeSync(fd, byte, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
}

/** The offsets of `text` in the file. */
function offsetsOf(path: string, text: string): number[] {
  const bytes = fs.readFileSync(path);
  const found: number[] = [];
  for (let at = bytes.indexOf(text); at !== -1; at = bytes.indexOf(text, at + 1)) found.push(at);
  return found;
}

/** Copies the database (and its WAL, when there is one) under a new name; returns the new path. */
function copyDatabase(path: string, withWal = true): string {
  const copy = join(newFolder(), "copy.db");
  fs.copyFileSync(path, copy);
  if (withWal && fs.existsSync(`${path}-wal`)) fs.copyFileSync(`${path}-wal`, `${copy}-wal`);
  return copy;
}

/** A seeded pseudo-random generator (mulberry32), so a failing trial can be run again. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function rejectsWith(promise: Promise<unknown>, code: HistoryStoreErrorCode, message: RegExp): Promise<HistoryStoreError> {
  let caught: unknown;
  await promise.then(() => assert.fail(`expected ${code}`), (error: unknown) => caught = error);
  assert.ok(caught instanceof HistoryStoreError, `a HistoryStoreError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, message);
  assert.match(caught.message, new RegExp(`\\(${code}\\)$`));
  return caught;
}

function pragma(path: string, name: string): unknown {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Object.values(db.prepare(`PRAGMA ${name}`).get() as object)[0];
  } finally {
    db.close();
  }
}

test.before.each(() => {
  warnings.length = 0;
});

test.after(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

addHistoryStoreContract(test, {
  open: () => open(newPath()),
  reopen: async (store) => {
    await store.close();
    return open((store as SqliteHistoryStore).path);
  },
});

// ---- the database ----------------------------------------------------------------------------

test("node:sqlite loads on this runtime, with backup() where runtime.ts says the runtime has it", async () => {
  const sqlite = await loadSqlite();
  const db = new sqlite.DatabaseSync(":memory:");
  assert.match(String(Object.values(db.prepare("SELECT sqlite_version()").get() as object)[0]), /^3\.\d+/);
  db.close();
  // Node added sqlite.backup() in 22.16 and 23.8; Deno 2.9 has it.
  const expected = isDeno || compareVersions(nodeVersion, [22, 16, 0]) >= 0;
  assert.equal(sqlite.backup !== undefined, expected);
});

test("opens '.workflow-sandbox/histories.db' under the working directory by default, in WAL mode, marked as a store of schema version 2", async () => {
  const cwd = process.cwd();
  const folder = newFolder();
  process.chdir(folder);
  try {
    const store = await SqliteHistoryStore.open({ crashInjector: createCrashInjector({ value: "" }) });
    assert.equal(store.path, join(process.cwd(), ".workflow-sandbox", "histories.db"));
    assert.equal(store.synchronous, "NORMAL");
    await store.createExecution(started("a"));
    assert.ok(fs.existsSync(`${store.path}-wal`), "a WAL while open");
    await store.close();
    assert.ok(!fs.existsSync(`${store.path}-wal`), "close() checkpoints and removes the WAL");
    assert.equal(pragma(store.path, "journal_mode"), "wal");
    assert.equal(pragma(store.path, "application_id"), 0x77667331);
    assert.equal(pragma(store.path, "user_version"), 2);
  } finally {
    process.chdir(cwd);
  }
});

test("a second store on the same database in one process is refused, and options are checked", async () => {
  const path = newPath();
  const store = await open(path);
  await rejectsWith(open(path), "WFS_STORE_LOCKED", /this process has it open already/);
  await store.close();
  await (await open(path)).close();
  await assert.rejects(open(newPath(), { synchronous: "EXTRA" as "FULL" }), /Invalid option 'synchronous' of SqliteHistoryStore\.open\(\)/);
  await assert.rejects(open(newPath(), { busyTimeout: "soon" }), /busyTimeout/);
});

test("create: false refuses a missing database instead of starting an empty one", async () => {
  const path = newPath();
  await rejectsWith(open(path, { create: false }), "WFS_STORE_IO", /does not exist, and 'create' is false/);
  assert.ok(!fs.existsSync(path));
});

test("a SQLite database of another application, or of a newer schema, is refused and left as it was", async () => {
  const foreign = join(newFolder(), "other.db");
  const db = new DatabaseSync(foreign);
  db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY); INSERT INTO customers VALUES (1)");
  db.close();
  const before = fs.readFileSync(foreign);
  await rejectsWith(open(foreign), "WFS_STORE_CORRUPT", /a SQLite database of another application \(application_id 0, 1 tables\)/);
  assert.deepEqual(fs.readFileSync(foreign), before);

  const path = newPath();
  await (await open(path)).close();
  const newer = new DatabaseSync(path);
  newer.exec("PRAGMA user_version = 3");
  newer.close();
  await rejectsWith(open(path), "WFS_STORE_CORRUPT", /schema version is 3, and this workflow-sandbox reads version 2 and older/);
});

test("an empty database made by another tool is given the schema (migration from version 0)", async () => {
  const path = join(newFolder(), "empty.db");
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.close();
  const store = await open(path);
  await store.createExecution(started("a"));
  await store.close();
  assert.equal(pragma(path, "user_version"), 2);
  assert.equal(pragma(path, "application_id"), 0x77667331);
});

// ---- group commit ----------------------------------------------------------------------------

test("group commit: the writes of one event-loop turn share one transaction; a failing write is undone alone", async () => {
  const store = await open(newPath());
  const before = store.commitStats;
  const writes = [
    store.createExecution(started("a")),
    store.createExecution(started("b")),
    store.createExecution(started("a", "r2")), // a is running: rejected, the others stand
    store.createExecution(started("c")),
  ];
  const results = await Promise.allSettled(writes);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled", "rejected", "fulfilled"]);
  assert.equal((results[2] as PromiseRejectedResult).reason.code, "WFS_STORE_ALREADY_RUNNING");
  const after = store.commitStats;
  assert.equal(after.commits - before.commits, 1, "one commit for the turn");
  assert.equal(after.writes - before.writes, 3);
  // A write is visible to reads only once committed (and then durable).
  const pending = store.append({ workflowId: "a", runId: "r1" }, { expectedLastEventId: 1, events: [event(2, "SignalReceived")] });
  assert.equal((await store.getExecution({ workflowId: "a" }))?.lastEventId, 1, "a read in the same turn sees the committed state");
  await pending;
  assert.equal((await store.getExecution({ workflowId: "a" }))?.lastEventId, 2);
  await store.close();
});

test("group commit: a write that fails after changing rows is undone alone; the group is applied again with a savepoint per write", async () => {
  const { DatabaseSync } = await loadSqlite();
  const db = new DatabaseSync(":memory:");
  db.exec("CREATE TABLE t (n INTEGER PRIMARY KEY)");
  const told: string[] = [];
  const group = new GroupCommit({
    db,
    grouped: true,
    busyTimeoutMs: 100,
    toError: (error) => error as HistoryStoreError,
    observer: {
      began: () => told.push("began"),
      writeStarts: () => told.push("write"),
      writeUndone: () => told.push("undone"),
      ended: (outcome, writes) => told.push(`${outcome} ${writes}`),
    },
  });
  const insert = (n: number) => () => db.prepare("INSERT INTO t (n) VALUES (?)").run(n);
  const results = await Promise.allSettled([
    group.run(insert(1)),
    group.run(() => {
      insert(2)();
      throw new Error("after a change");
    }),
    group.run(insert(3)),
  ]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
  assert.equal((results[1] as PromiseRejectedResult).reason.message, "after a change");
  assert.deepEqual(db.prepare("SELECT n FROM t ORDER BY n").all().map((row) => row.n), [1, 3]);
  assert.deepEqual(told, ["began", "write", "write", "rolled-back 0", "began", "write", "write", "undone", "write", "committed 2"]);
  assert.deepEqual([group.commits, group.writes], [1, 2]);
  // The next group goes without savepoints again.
  told.length = 0;
  await Promise.all([group.run(insert(4)), group.run(insert(5))]);
  assert.deepEqual(told, ["began", "write", "write", "committed 2"]);
  db.close();
});

test("a write waits at most busyTimeout for a lock another connection holds, then fails with WFS_STORE_LOCKED; the store goes on", async () => {
  const path = newPath();
  const store = await open(path, { busyTimeout: 50 });
  await store.createExecution(started("a"));
  const other = new DatabaseSync(path);
  other.exec("BEGIN IMMEDIATE");
  const waited = performance.now();
  const error = await rejectsWith(store.createExecution(started("b")), "WFS_STORE_LOCKED", /kept the database locked for longer than the busy timeout of 50 ms \(database is locked\)/);
  assert.ok(performance.now() - waited >= 40, "it waited");
  assert.match(error.hint, /End the long transaction of the other process/);
  assert.equal((await store.getExecution({ workflowId: "a" }))?.lastEventId, 1, "reads go on: WAL readers do not wait for the writer");
  other.exec("ROLLBACK");
  other.close();
  await store.createExecution(started("b"));
  assert.deepEqual((await store.listExecutions()).map((i) => i.workflowId), ["a", "b"]);
  await store.close();
});

test("groupCommit: false commits every write alone", async () => {
  const store = await open(newPath(), { groupCommit: false });
  const before = store.commitStats;
  await Promise.all([store.createExecution(started("a")), store.createExecution(started("b"))]);
  const after = store.commitStats;
  assert.deepEqual({ commits: after.commits - before.commits, writes: after.writes - before.writes }, { commits: 2, writes: 2 });
  await store.close();
});

test("the crash injector hears each write's steps once its transaction is durable", async () => {
  const steps: string[] = [];
  const crash = { target: undefined, reached: (step: PersistenceStep) => steps.push(step) };
  const store = await open(newPath(), { crashInjector: crash });
  await Promise.all([
    store.createExecution(started("a")),
    store.createExecution(started("b")).then(() =>
      store.append({ workflowId: "b", runId: "r1" }, { expectedLastEventId: 1, events: [event(2, "TimerFired")], step: "timer-fire" })
    ),
  ]);
  assert.deepEqual(steps, ["start", "start", "append", "timer-fire"]);
  await store.close();
});

test("close() commits what is pending, so every write that was issued resolves", async () => {
  const path = newPath();
  const store = await open(path);
  const write = store.createExecution(started("a"));
  await store.close();
  assert.equal((await write).status, "running");
  const again = await open(path);
  assert.equal((await again.getExecution({ workflowId: "a" }))?.lastEventId, 1);
  await again.close();
});

// ---- threat model: rows and chains -----------------------------------------------------------

/** A closed store with `populate()`'s workflows; returns its path and snapshot. */
async function baseStore(count = 8): Promise<{ path: string; expected: unknown }> {
  const path = newPath();
  const store = await open(path);
  await populate(store, count);
  const expected = await snapshot(store);
  await store.close();
  return { path, expected };
}

function isCorruptFor(workflowId: string, eventId?: number) {
  return (error: unknown) => {
    assert.ok(error instanceof HistoryStoreError, String(error));
    assert.equal(error.code, "WFS_STORE_CORRUPT", error.message);
    assert.equal(error.workflowId, workflowId, error.message);
    if (eventId !== undefined) assert.equal(error.eventId, eventId, error.message);
    assert.ok(error.message.includes(`workflow '${workflowId}'`), error.message);
    assert.match(error.message, /Restore the database from a backup/);
    return true;
  };
}

test("a bit flipped in an event's row refuses that workflow, naming it, the event and the recovery; the others read", async () => {
  const { path, expected } = await baseStore();
  const hits = offsetsOf(path, "MARKER-EVENT-2");
  assert.ok(hits.length > 0);
  for (const at of hits) flipBit(path, at + 3); // the row, and any stale copy of it in free space
  const store = await open(path);
  await assert.rejects(store.readEvents({ workflowId: "wf-2" }), isCorruptFor("wf-2", 3));
  const error = await store.readEvents({ workflowId: "wf-2" }).then(() => assert.fail("refused"), (e: unknown) => e as HistoryStoreError);
  assert.match(error.message, /^Cannot read the history of workflow 'wf-2' \(database '.*'\): workflow 'wf-2' run 'r1' is damaged, event 3 is damaged: its checksum does not match its content and the events before it\. Restore the database from a backup \(docs\/deploying\.md, 'Restoring a backup'\); until then this workflow is refused and the others run \(WFS_STORE_CORRUPT\)$/);
  await assert.rejects(store.readEvents({ workflowId: "wf-2" }, { afterEventId: 2 }), isCorruptFor("wf-2", 3), "a read from the event before it");
  assert.equal((await store.readEvents({ workflowId: "wf-2" }, { afterEventId: 3 })).length, 1, "the events after it chain from its stored checksum");
  const others = (expected as { executions: ExecutionInfo[] }).executions.filter((info) => info.workflowId !== "wf-2");
  for (const info of others) await store.readEvents(info);
  assert.deepEqual(await store.listExecutions(), (expected as { executions: unknown }).executions, "its run's row is intact");
  assert.equal((await store.verify()).problems.filter((p) => p.workflowId === "wf-2" && p.eventId === 3).length, 1);
  await store.close();
});

test("a bit flipped in a run's row refuses that workflow; lists leave it out with a warning, once", async () => {
  const { path } = await baseStore();
  const inTable = offsetsOf(path, "TYPE-MARKER-4").filter((at) => pageKind(path, at) === TABLE_LEAF);
  assert.ok(inTable.length > 0);
  for (const at of inTable) flipBit(path, at + 5);
  const store = await open(path);
  await assert.rejects(store.getExecution({ workflowId: "wf-4" }), isCorruptFor("wf-4"));
  await assert.rejects(store.readEvents({ workflowId: "wf-4" }), isCorruptFor("wf-4"));
  await assert.rejects(store.append({ workflowId: "wf-4", runId: "r1" }, { expectedLastEventId: 4 }), isCorruptFor("wf-4"));
  await assert.rejects(store.createExecution(started("wf-4", "r9")), isCorruptFor("wf-4"));
  const listed = (await store.listExecutions()).map((info) => info.workflowId);
  assert.ok(!listed.includes("wf-4") && listed.includes("wf-5"));
  await store.listExecutions();
  assert.equal(warnings.filter((w) => w.includes("'wf-4'")).length, 1, warnings.join("\n"));
  assert.match(warnings[0]!, /workflow 'wf-4' run 'r1' is damaged, its row's checksum does not match its content; the list leaves it out\. Restore the database from a backup .* \(WFS_STORE_CORRUPT\)$/);
  assert.ok(!(await store.listWorkflowTasks()).some((info) => info.workflowId === "wf-4"));
  await store.close();
});

test("damage to the chain (an event deleted, two events swapped, the history cut short) refuses the workflow at that event", async () => {
  const { path } = await baseStore();
  const db = new DatabaseSync(path);
  const run = (workflowId: string) => (db.prepare("SELECT id FROM runs WHERE workflow_id = ? ORDER BY id LIMIT 1").get(workflowId) as { id: number }).id;
  db.prepare("DELETE FROM events WHERE run = ? AND event_id = 2").run(run("wf-0"));
  const swap = db.prepare("SELECT event_id, body, checksum FROM events WHERE run = ? AND event_id IN (2, 3) ORDER BY event_id").all(run("wf-1")) as { body: string; checksum: Uint8Array }[];
  db.prepare("UPDATE events SET body = ?, checksum = ? WHERE run = ? AND event_id = 2").run(swap[1]!.body, swap[1]!.checksum, run("wf-1"));
  db.prepare("UPDATE events SET body = ?, checksum = ? WHERE run = ? AND event_id = 3").run(swap[0]!.body, swap[0]!.checksum, run("wf-1"));
  db.prepare("DELETE FROM events WHERE run = ? AND event_id = 5").run(run("wf-5"));
  db.close();
  const store = await open(path);
  await assert.rejects(store.readEvents({ workflowId: "wf-0" }), isCorruptFor("wf-0", 2));
  await assert.rejects(store.readEvents({ workflowId: "wf-1" }), isCorruptFor("wf-1", 2));
  await assert.rejects(store.readEvents({ workflowId: "wf-5" }), isCorruptFor("wf-5", 5));
  const problems = (await store.verify()).problems;
  assert.deepEqual(problems.map((p) => [p.workflowId, p.eventId]), [["wf-0", 2], ["wf-1", 2], ["wf-5", 5]]);
  await store.close();
});

test("a bit flipped in a timer's row leaves it out of listTimers with a warning, and refuses a write that removes it", async () => {
  const { path } = await baseStore();
  const hits = offsetsOf(path, "MARKER-TIMER-0");
  assert.ok(hits.length > 0);
  for (const at of hits) flipBit(path, at + 2);
  const store = await open(path);
  assert.ok(!(await store.listTimers()).some((t) => t.workflowId === "wf-0"));
  assert.match(warnings.join("\n"), /workflow 'wf-0' run 'r1' is damaged, its timer "1" is damaged/);
  await assert.rejects(store.append({ workflowId: "wf-0", runId: "r1" }, { expectedLastEventId: 4, events: [event(5, "TimerFired")], timers: { remove: ["1"] } }), isCorruptFor("wf-0"));
  await store.close();
});

test("a bit flipped in an index entry: quick_check passes, a list filtered through the index misses the run, verify() finds it", async () => {
  const { path } = await baseStore();
  const inIndex = offsetsOf(path, "TYPE-MARKER-4").filter((at) => pageKind(path, at) === INDEX_LEAF);
  assert.ok(inIndex.length > 0, "the runs_by_type index holds the type");
  for (const at of inIndex) flipBit(path, at + 5);
  const store = await open(path);
  assert.deepEqual(await store.listExecutions({ workflowType: "TYPE-MARKER-4" }), [], "the damaged index entry no longer matches");
  assert.equal((await store.getExecution({ workflowId: "wf-4" }))?.workflowType, "TYPE-MARKER-4", "the row itself is sound");
  const report = await store.verify();
  assert.equal(report.ok, false);
  assert.match(report.problems.map((p) => p.message).join("\n"), /integrity_check: .*runs_by_type/);
  await store.close();
  await rejectsWith(open(path, { check: "full" }), "WFS_STORE_CORRUPT", /SQLite's integrity_check says: .*runs_by_type/);
  // Indexes are derived from the tables: rebuilding them repairs the damage without loss.
  const db = new DatabaseSync(path);
  db.exec("REINDEX");
  db.close();
  const repaired = await open(path, { check: "full" });
  assert.deepEqual((await repaired.listExecutions({ workflowType: "TYPE-MARKER-4" })).map((i) => i.workflowId), ["wf-4"]);
  assert.equal((await repaired.verify()).ok, true);
  await repaired.close();
});

test("bit flips at random places of the database file: refused at open, refused for the workflow hit, or found by verify(), never a silent change (120 flips)", async () => {
  const { path, expected } = await baseStore(6);
  const size = fs.statSync(path).size;
  const next = random(0x5eed);
  const outcomes = new Map<string, number>();
  for (let trial = 0; trial < 120; trial++) {
    const copy = copyDatabase(path, false);
    const offset = Math.floor(next() * size);
    flipBit(copy, offset, Math.floor(next() * 8));
    const outcome = await observeDamage(copy, expected);
    assert.notEqual(outcome, "silent", `trial ${trial}: a flip at byte ${offset} of ${size} changed what the store answers without any error`);
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  assert.ok((outcomes.get("refused-workflow") ?? 0) + (outcomes.get("refused-at-open") ?? 0) > 0, JSON.stringify([...outcomes]));
});

test("truncation of the database file at random offsets is refused at open, every time (25 cuts, and 0 bytes)", async () => {
  const { path, expected } = await baseStore(6);
  const size = fs.statSync(path).size;
  const next = random(0x7a11);
  // Whole pages off the end or the middle, a byte off, and random places.
  const cuts = [0, 1, 99, 100, 4096, 8192, size - 4096, size - 1, ...Array.from({ length: 17 }, () => Math.floor(next() * size))];
  for (const cut of cuts) {
    const copy = copyDatabase(path, false);
    fs.truncateSync(copy, cut);
    const outcome = await observeDamage(copy, expected);
    assert.equal(outcome, "refused-at-open", `cut at ${cut} of ${size}`);
  }
  const empty = copyDatabase(path, false);
  fs.truncateSync(empty, 0);
  await rejectsWith(open(empty), "WFS_STORE_CORRUPT", /the database file is empty \(0 bytes\), so it was cut short/);
});

/**
 * Opens a damaged copy and classifies what the store does: refuses to open; answers exactly as
 * before; refuses some workflows (errors or list warnings naming them) and answers the rest as
 * before; or answers differently, which is acceptable only when verify() reports the damage.
 */
async function observeDamage(path: string, expected: unknown): Promise<"refused-at-open" | "identical" | "refused-workflow" | "found-by-verify" | "silent"> {
  warnings.length = 0;
  let store: SqliteHistoryStore;
  try {
    store = await open(path);
  } catch (error) {
    // WFS_STORE_CORRUPT, or WFS_STORE_IO where a flip in the header makes SQLite open the file read-only.
    assert.ok(error instanceof HistoryStoreError && (error.code === "WFS_STORE_CORRUPT" || error.code === "WFS_STORE_IO"), `refused, got ${String(error)}`);
    return "refused-at-open";
  }
  try {
    const refused = new Set<string>();
    const loud = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await read();
      } catch (error) {
        assert.ok(error instanceof HistoryStoreError, `a HistoryStoreError, got ${String(error)}`);
        refused.add(error.workflowId ?? "(store)");
        return undefined;
      }
    };
    const want = expected as { executions: ExecutionInfo[]; histories: HistoryEvent[][] };
    const differences: string[] = [];
    for (const [index, info] of want.executions.entries()) {
      const got = await loud(() => store.getExecution(info));
      const events = await loud(() => store.readEvents(info));
      if (got !== undefined && JSON.stringify(got) !== JSON.stringify(info)) differences.push(`info of ${info.workflowId}`);
      if (events !== undefined && JSON.stringify(events) !== JSON.stringify(want.histories[index])) differences.push(`events of ${info.workflowId}`);
      if (got === undefined && !refused.has(info.workflowId)) differences.push(`${info.workflowId} missing`);
    }
    const lists = {
      executions: await loud(() => store.listExecutions()),
      workflowTasks: await loud(() => store.listWorkflowTasks()),
      timers: await loud(() => store.listTimers()),
      activities: await loud(() => store.listActivityTasks()),
    };
    // A list that leaves a damaged row out warns, naming the workflow: that workflow is refused.
    for (const warning of warnings) {
      const named = /workflow '([^']+)' (?:run '[^']*' )?is damaged/.exec(warning)?.[1];
      if (named !== undefined) refused.add(named);
    }
    for (const [name, got] of Object.entries(lists)) {
      if (got === undefined) continue;
      const wanted = (expected as Record<string, { workflowId: string }[]>)[name]!.filter((item) => !refused.has(item.workflowId));
      const kept = (got as { workflowId: string }[]).filter((item) => !refused.has(item.workflowId));
      if (JSON.stringify(kept) !== JSON.stringify(wanted)) differences.push(`list ${name}`);
    }
    if (differences.length === 0) return refused.size === 0 ? "identical" : "refused-workflow";
    const report = await store.verify().catch(() => ({ ok: false }));
    return report.ok ? "silent" : "found-by-verify";
  } finally {
    await store.close();
  }
}

// ---- what a process remembers ---------------------------------------------------------------

test("a run another connection changed or deleted is read from the file again: its history checked, a deleted run gone", async () => {
  const path = newPath();
  const store = await open(path);
  for (const workflowId of ["a", "b", "c"]) {
    await store.createExecution(started(workflowId));
    await store.append({ workflowId, runId: "r1" }, { expectedLastEventId: 1, events: [event(2, "SignalReceived"), event(3, "SignalReceived")] });
    assert.equal((await store.readEvents({ workflowId })).length, 3, "read once: remembered");
  }
  const other = new DatabaseSync(path);
  other.exec("PRAGMA busy_timeout = 1000");
  const run = (workflowId: string) => (other.prepare("SELECT id FROM runs WHERE workflow_id = ?").get(workflowId) as { id: number }).id;
  other.prepare("UPDATE events SET body = body || ' ' WHERE run = ? AND event_id = 2").run(run("a"));
  other.prepare("DELETE FROM events WHERE run = ?").run(run("b"));
  other.prepare("DELETE FROM runs WHERE id = ?").run(run("b"));
  other.close();
  await assert.rejects(store.readEvents({ workflowId: "a" }), isCorruptFor("a", 2), "the history is read from the file and checked");
  await assert.rejects(store.append({ workflowId: "a", runId: "r1" }, { expectedLastEventId: 3, events: [event(4, "SignalReceived")] }).then(() =>
    store.readEvents({ workflowId: "a" })
  ), isCorruptFor("a", 2));
  assert.equal(await store.getExecution({ workflowId: "b" }), undefined, "a deleted run is not answered from memory");
  await rejectsWith(store.readEvents({ workflowId: "b" }), "WFS_STORE_NOT_FOUND", /no workflow has this id/);
  assert.equal((await store.readEvents({ workflowId: "c" })).length, 3, "an unchanged run reads as before");
  await store.close();
});

test("a row changed under a running process is answered with what that process checked, never with the change; a restart refuses it", async () => {
  const path = newPath();
  const store = await open(path);
  await store.createExecution(started("a"));
  const checked = await store.getExecution({ workflowId: "a" });
  const other = new DatabaseSync(path);
  other.exec("PRAGMA busy_timeout = 1000");
  other.exec("UPDATE runs SET task_queue = 'elsewhere' WHERE workflow_id = 'a'"); // its checksum no longer matches
  other.close();
  assert.deepEqual(await store.getExecution({ workflowId: "a" }), checked);
  assert.deepEqual((await store.listWorkflowTasks()).map((info) => info.taskQueue), ["q"]);
  assert.deepEqual((await store.verify()).problems.map((problem) => problem.workflowId), ["a"], "verify() reads the file");
  await store.close();
  const reopened = await open(path);
  await assert.rejects(reopened.getExecution({ workflowId: "a" }), isCorruptFor("a"));
  await reopened.close();
});

test("writes of one group that fail leave memory as the database is: later reads and writes see only what was committed", async () => {
  const store = await open(newPath());
  await store.createExecution(started("a"));
  const key = { workflowId: "a", runId: "r1" };
  const results = await Promise.allSettled([
    store.append(key, { expectedLastEventId: 1, events: [event(2, "SignalReceived")] }),
    store.append(key, { expectedLastEventId: 1, events: [event(2, "TimerFired")] }), // stale: rejected
    store.append(key, { expectedLastEventId: 2, events: [event(3, "SignalReceived")], timers: { remove: ["missing"] } }), // invalid: rejected
    store.createExecution(started("a", "r2")), // running: rejected
  ]);
  assert.deepEqual(results.map((result) => result.status), ["fulfilled", "rejected", "rejected", "rejected"]);
  assert.equal((await store.getExecution(key))?.lastEventId, 2);
  assert.deepEqual((await store.readEvents(key)).map((e) => e.type), ["WorkflowExecutionStarted", "SignalReceived"]);
  await store.append(key, { expectedLastEventId: 2, events: [event(3, "WorkflowExecutionCompleted")], status: "completed" });
  await store.close();
  const reopened = await open(store.path);
  assert.deepEqual((await reopened.readEvents(key)).map((e) => e.type), ["WorkflowExecutionStarted", "SignalReceived", "WorkflowExecutionCompleted"]);
  await reopened.close();
});

test("a run deleted by retention is gone from memory too, even when the next run gets its row id", async () => {
  const store = await open(newPath());
  await store.createExecution(started("old"));
  await store.append({ workflowId: "old", runId: "r1" }, { expectedLastEventId: 1, events: [event(2, "WorkflowExecutionCompleted")], status: "completed" });
  assert.equal((await store.readEvents({ workflowId: "old" })).length, 2);
  assert.equal(await store.deleteClosedRuns({ closedBefore: Infinity }), 1);
  await store.createExecution(started("new"));
  assert.equal(await store.getExecution({ workflowId: "old", runId: "r1" }), undefined);
  await rejectsWith(store.readEvents({ workflowId: "old" }), "WFS_STORE_NOT_FOUND", /no workflow has this id/);
  assert.deepEqual((await store.readEvents({ workflowId: "new" })).map((e) => e.type), ["WorkflowExecutionStarted"]);
  await store.close();
});

test("checkpoints go on while the store writes, and the last store to close still removes the WAL", async () => {
  const path = newPath();
  const store = await open(path);
  const initial = fs.statSync(path).size;
  for (let round = 0; round < 20 && fs.statSync(path).size === initial; round++) {
    await Promise.all(Array.from({ length: 100 }, (_, index) => store.createExecution(started(`wf-${round}-${index}`, "r1", { pad: "x".repeat(2_000) }))));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(fs.statSync(path).size > initial, "the log was copied into the database file while the store ran");
  await store.close();
  assert.equal(fs.existsSync(`${path}-wal`), false);
  const reopened = await open(path);
  assert.equal((await reopened.verify()).ok, true);
  await reopened.close();
});

// ---- threat model: the WAL -------------------------------------------------------------------

/**
 * A crash image: a store with `count` acknowledged writes made after open (each its own
 * transaction, so its own commit in the WAL), copied while still open as a killed process leaves
 * its files. Returns the copy and the snapshot after each write.
 */
async function crashImage(count = 5): Promise<{ path: string; states: unknown[] }> {
  const path = newPath();
  const store = await open(path);
  const states: unknown[] = [await snapshot(store)];
  for (let index = 0; index < count; index++) {
    await store.createExecution(started(`wf-${index}`, "r1", { args: [`MARKER-WAL-${index}`] }));
    states.push(await snapshot(store));
  }
  const copy = copyDatabase(path);
  await store.close();
  return { path: copy, states };
}

/** The frames of a WAL file: their offsets and whether each ends a transaction. */
function walFrames(path: string): { offset: number; commit: boolean }[] {
  const bytes = fs.readFileSync(`${path}-wal`);
  const pageSize = bytes.readUInt32BE(8);
  const frames: { offset: number; commit: boolean }[] = [];
  for (let offset = 32; offset + 24 + pageSize <= bytes.length; offset += 24 + pageSize) {
    frames.push({ offset, commit: bytes.readUInt32BE(offset + 4) !== 0 });
  }
  return frames;
}

test("a crash image (a process killed after its writes) opens with every acknowledged write", async () => {
  const { path, states } = await crashImage();
  const store = await open(path);
  assert.deepEqual(await snapshot(store), states.at(-1));
  assert.deepEqual(warnings, []);
  await store.close();
});

test("a deleted, emptied or headless WAL after a crash is refused every time, naming the loss; acceptWalLoss opens what the file holds", async () => {
  const { path, states } = await crashImage();
  const wal = fs.readFileSync(`${path}-wal`);
  fs.unlinkSync(`${path}-wal`);
  const error = await rejectsWith(open(path), "WFS_STORE_CORRUPT", /it was not closed cleanly, so its WAL '.*-wal' holds commits, and the WAL is missing/);
  assert.match(error.hint, /Put the WAL file back .* restore the database from a backup .* acceptWalLoss: true/);
  await rejectsWith(open(path), "WFS_STORE_CORRUPT", /the WAL is missing/);
  assert.ok(!fs.existsSync(`${path}-wal`), "a refusal leaves the files as found");
  fs.writeFileSync(`${path}-wal`, "");
  await rejectsWith(open(path), "WFS_STORE_CORRUPT", /the WAL is empty or cut short \(0 bytes\)/);
  fs.writeFileSync(`${path}-wal`, wal.subarray(0, 32 + 24 + 100));
  await rejectsWith(open(path), "WFS_STORE_CORRUPT", /the WAL is empty or cut short \(156 bytes\)/);
  fs.unlinkSync(`${path}-wal`);
  const store = await open(path, { acceptWalLoss: true });
  assert.deepEqual(await snapshot(store), states[0], "what the file held at open: the commits in the WAL are gone");
  assert.match(warnings.join("\n"), /without its WAL \(acceptWalLoss\): the commits made since its last checkpoint are lost/);
  await store.close();
});

test("a bit flipped in the last transaction of the WAL drops that transaction with a warning, as a crash before its commit would", async () => {
  const { path, states } = await crashImage();
  const frames = walFrames(path);
  const lastCommit = frames.findLastIndex((frame) => frame.commit);
  const previousCommit = frames.slice(0, lastCommit).findLastIndex((frame) => frame.commit);
  for (let index = previousCommit + 1; index <= lastCommit; index++) {
    const copy = copyDatabase(path);
    flipBit(`${copy}-wal`, frames[index]!.offset + 24 + 100);
    warnings.length = 0;
    const store = await open(copy);
    assert.deepEqual(await snapshot(store), states.at(-2), `frame ${index + 1}: the state before the last write`);
    assert.match(warnings.join("\n"), /SQLite dropped the last transaction of the WAL .* as if the process had stopped before that commit/);
    await store.close();
  }
});

test("a bit flipped in any earlier frame of the WAL, or in its header, is refused: acknowledged commits would be lost", async () => {
  const { path, states } = await crashImage();
  const frames = walFrames(path);
  const lastCommit = frames.findLastIndex((frame) => frame.commit);
  const previousCommit = frames.slice(0, lastCommit).findLastIndex((frame) => frame.commit);
  const places = [
    ...frames.slice(0, previousCommit + 1).flatMap((frame) => [frame.offset + 24 + 200, frame.offset + 17, frame.offset + 7]),
    0,
    12,
    20,
    27,
  ];
  for (const place of places) {
    const copy = copyDatabase(path);
    flipBit(`${copy}-wal`, place);
    const before = fs.readFileSync(`${copy}-wal`);
    await rejectsWith(open(copy), "WFS_STORE_CORRUPT", /its WAL '.*-wal' is damaged at frame \d+, before its last transaction/);
    assert.deepEqual(fs.readFileSync(`${copy}-wal`), before, "the damaged WAL is left as it was");
  }
  const copy = copyDatabase(path);
  flipBit(`${copy}-wal`, frames[0]!.offset + 24 + 200);
  const store = await open(copy, { acceptWalLoss: true });
  assert.deepEqual(await snapshot(store), states[0], "acceptWalLoss keeps what precedes the damage");
  assert.match(warnings.join("\n"), /with its WAL damaged at frame 1 \(acceptWalLoss\)/);
  await store.close();
});

test("inspectWal agrees with SQLite on how much of a damaged WAL SQLite keeps", async () => {
  const { path } = await crashImage(4);
  const frames = walFrames(path);
  // The store's own commits at open (marking it open, registering its session) come first; each later one creates a run.
  const openCommits = frames.filter((f) => f.commit).length - 4;
  const commitsBefore = (frame: number) => Math.max(0, frames.slice(0, frame).filter((f) => f.commit).length - openCommits);
  for (let index = 0; index < frames.length; index++) {
    const copy = copyDatabase(path);
    flipBit(`${copy}-wal`, frames[index]!.offset + 24 + 300);
    const seen = inspectWal(`${copy}-wal`, 4096);
    const keptFrames = frames.slice(0, index).findLastIndex((f) => f.commit) + 1;
    assert.equal(seen.validFrames, keptFrames, `flip in frame ${index + 1}`);
    // SQLite's own view: the rows it recovers from the damaged copy.
    const db = new DatabaseSync(copy, { readOnly: true });
    const runs = Number((db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n);
    db.close();
    assert.equal(runs, commitsBefore(keptFrames), `flip in frame ${index + 1}: SQLite keeps the commits before it`);
    assert.equal(seen.verdict, frames.slice(index).filter((f) => f.commit).length > 1 ? "damaged" : "torn-last-commit");
  }
});

test("a WAL cut short at a frame boundary loses the commits in the cut part, as a crash before them (the documented case)", async () => {
  const { path, states } = await crashImage();
  const frames = walFrames(path);
  const commits = frames.flatMap((frame, index) => frame.commit ? [index] : []);
  const cutAfter = commits[commits.length - 3]!; // keep all but the last two commits
  fs.truncateSync(`${path}-wal`, frames[cutAfter + 1]!.offset);
  const store = await open(path);
  assert.deepEqual(await snapshot(store), states.at(-3));
  await store.close();
});

function selfCommand(args: string[]): [string, string[]] {
  const file = fileURLToPath(import.meta.url);
  return isDeno ? [process.execPath, ["run", "-A", file, ...args]] : [process.execPath, [...process.execArgv, file, ...args]];
}

test("SIGKILL while writing loses no acknowledged write (NORMAL and FULL)", async () => {
  for (const synchronous of ["NORMAL", "FULL"] as const) {
    const path = newPath();
    const [command, args] = selfCommand(["--write-until-killed", path, synchronous]);
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const acked = new Map<string, number>();
    let stderr = "";
    child.stderr.on("data", (chunk) => stderr += chunk);
    const target = 150 + Math.floor(Math.random() * 150);
    await new Promise<void>((resolve, reject) => {
      let buffered = "";
      let count = 0;
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) {
          const [, workflowId, id] = line.split(" ");
          acked.set(workflowId!, Math.max(acked.get(workflowId!) ?? 0, Number(id)));
          if (++count === target) child.kill("SIGKILL");
        }
      });
      child.on("exit", () => resolve());
      child.on("error", reject);
    });
    assert.ok(acked.size > 0, `the child wrote: ${stderr}`);
    const store = await open(path);
    for (const [workflowId, lastEventId] of acked) {
      const info = await store.getExecution({ workflowId });
      assert.ok(info !== undefined && info.lastEventId >= lastEventId, `${synchronous}: ${workflowId} acknowledged up to ${lastEventId}, found ${info?.lastEventId}`);
      assert.equal((await store.readEvents({ workflowId })).length, info.lastEventId);
    }
    assert.deepEqual((await store.verify()).problems, []);
    await store.close();
  }
});

test("the worker runs on it: workflows complete, and one held open resumes after a restart on the same database", async () => {
  const { Worker, WorkflowEnvironment, DefaultLogger } = await import("../mod.ts");
  const workflowsPath = new URL("./fixtures/worker/bench/workflows.ts", import.meta.url);
  const activities = { echo: (n: number) => n };
  const logger = new DefaultLogger("WARN");
  const path = newPath();
  const env = await WorkflowEnvironment.startLocal({ store: await open(path) });
  const worker = await Worker.create(env, { taskQueue: "bench", workflowsPath, activities, logger });
  const held = await env.client.startWorkflow("holdOpen", { id: "held", taskQueue: "bench", args: [7] });
  const results = await worker.runUntil(Promise.all(
    Array.from({ length: 20 }, (_, n) => env.client.executeWorkflow("oneActivity", { id: `one-${n}`, taskQueue: "bench", args: [n] })),
  ));
  assert.deepEqual(results, Array.from({ length: 20 }, (_, n) => n));
  await env.teardown();

  const env2 = await WorkflowEnvironment.startLocal({ store: await open(path) });
  const worker2 = await Worker.create(env2, { taskQueue: "bench", workflowsPath, activities, logger });
  const handle = env2.client.getHandle(held.workflowId);
  await handle.signal("release");
  assert.equal(await worker2.runUntil(handle.result()), 7);
  assert.equal((await env2.store.listExecutions({ status: "completed" })).length, 21);
  await env2.teardown();
});

test("the worker refuses a workflow whose history is damaged, logs it once, and goes on running the others", async () => {
  const { Worker, WorkflowEnvironment, DefaultLogger } = await import("../mod.ts");
  const workflowsPath = new URL("./fixtures/worker/bench/workflows.ts", import.meta.url);
  const path = newPath();
  const env = await WorkflowEnvironment.startLocal({ store: await open(path) });
  await env.client.startWorkflow("oneActivity", { id: "damaged", taskQueue: "bench", args: [1] });
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 1000");
  db.exec("UPDATE events SET body = body || ' ' WHERE run = (SELECT id FROM runs WHERE workflow_id = 'damaged')");
  const lines: string[] = [];
  const logger = new DefaultLogger("ERROR", (entry) => lines.push(entry.message));
  const worker = await Worker.create(env, { taskQueue: "bench", workflowsPath, activities: { echo: (n: number) => n }, logger });
  const results = await worker.runUntil(async () => {
    const done = await Promise.all(Array.from({ length: 5 }, (_, n) => env.client.executeWorkflow("oneActivity", { id: `fine-${n}`, taskQueue: "bench", args: [n] })));
    await new Promise((resolve) => setTimeout(resolve, 100)); // more polls: still logged once
    return done;
  });
  db.close();
  assert.deepEqual(results, [0, 1, 2, 3, 4]);
  assert.equal(worker.getState(), "STOPPED", "not FAILED: one damaged workflow does not stop the worker");
  const refused = lines.filter((line) => line.includes("'damaged'") && line.includes("is refused until the database is restored"));
  assert.equal(refused.length, 1, lines.join("\n"));
  assert.match(refused[0]!, /event 1 is damaged.*Restore the database from a backup/);
  assert.equal((await env.store.getExecution({ workflowId: "damaged" }))?.status, "running");
  await env.teardown();
});

// ---- listing and retention -------------------------------------------------------------------

test("deleteClosedRuns deletes the runs closed before a time, with their events, and keeps running ones", async () => {
  const path = newPath();
  const store = await open(path);
  await populate(store, 8);
  const closed = await store.listExecutions({ closeTime: {} });
  assert.deepEqual(closed.map((i) => `${i.workflowId}/${i.runId}:${i.status}`).sort(), [
    "wf-1/r1:completed",
    "wf-3/r1:continued-as-new",
    "wf-5/r1:completed",
    "wf-7/r1:continued-as-new",
  ]);
  assert.equal(await store.deleteClosedRuns({ closedBefore: 1_000 }), 0);
  assert.equal(await store.deleteClosedRuns({ closedBefore: 1_006 }), 4, "closed at 1005 (their last event's timestamp)");
  assert.deepEqual(await store.listExecutions({ closeTime: {} }), []);
  assert.equal((await store.getExecution({ workflowId: "wf-3" }))?.runId, "r2", "the continued run stays");
  await rejectsWith(store.readEvents({ workflowId: "wf-1" }), "WFS_STORE_NOT_FOUND", /no workflow has this id/);
  await store.createExecution(started("wf-1")); // the id is free again
  await rejectsWith(store.deleteClosedRuns({ closedBefore: "yesterday" as unknown as number }), "WFS_STORE_INVALID", /'closedBefore'/);
  await store.close();
  const db = new DatabaseSync(path, { readOnly: true });
  assert.equal(Number((db.prepare("SELECT count(*) AS n FROM events WHERE run NOT IN (SELECT id FROM runs)").get() as { n: number }).n), 0);
  db.close();
});

test("the retention option deletes closed runs at open and keeps the rest", async () => {
  const path = newPath();
  const store = await open(path);
  await populate(store, 4);
  const now = Date.now();
  await store.createExecution({ ...started("recent"), events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: now }] });
  await store.append({ workflowId: "recent", runId: "r1" }, { expectedLastEventId: 1, events: [{ eventId: 2, type: "WorkflowExecutionCompleted", timestamp: now }], status: "completed" });
  await store.close();
  const kept = await open(path, { retention: "1d" });
  assert.deepEqual((await kept.listExecutions({ closeTime: {} })).map((i) => i.workflowId), ["recent"], "closed in 1970: past a day's retention");
  assert.match(warnings.join("\n"), /deleted 2 runs closed more than 86400000 ms ago \(retention\)/);
  assert.equal((await kept.listExecutions({ status: "running" })).length, 3);
  await kept.close();
});

// ---- migration from FileHistoryStore ---------------------------------------------------------

test("importFileStore copies a FileHistoryStore folder whole: the database answers as the folder does", async () => {
  const folder = newFolder();
  const directory = join(folder, "files");
  const files = await FileHistoryStore.open({ directory, crashInjector: createCrashInjector({ value: "" }) });
  await populate(files, 8);
  await files.append({ workflowId: "wf-3", runId: "r2" }, { expectedLastEventId: 1, events: [event(2, "SignalReceived", { é: "😀" })] });
  const expected = await snapshot(files);
  await files.close();
  const path = join(folder, "histories.db");
  const report = await SqliteHistoryStore.importFileStore({ directory, path, crashInjector: createCrashInjector({ value: "" }) });
  const events = (expected as { histories: unknown[][] }).histories.reduce((sum, history) => sum + history.length, 0);
  assert.deepEqual(report, { workflows: 8, runs: 10, events, timers: 4, activities: 4 });
  const store = await open(path);
  assert.deepEqual(await snapshot(store), expected);
  for (const workflowId of ["wf-3", "wf-7"]) {
    assert.equal((await store.getExecution({ workflowId }))?.runId, "r2", "the latest run is the latest");
  }
  assert.deepEqual((await store.verify()).problems, []);
  await store.close();
  // Importing again is refused whole: nothing is imported twice.
  await rejectsWith(SqliteHistoryStore.importFileStore({ directory, path }), "WFS_STORE_INVALID", /Cannot import workflow 'wf-0' into history store .*: the database holds a workflow with this id already/);
  const again = await open(path);
  assert.equal((await again.listExecutions()).length, 10);
  await again.close();
});

// ---- backups ---------------------------------------------------------------------------------

test("backup() while writes go on: one consistent, self-contained, checked copy that opens as a store", async () => {
  const path = newPath();
  const store = await open(path);
  await populate(store, 6);
  const expected = await snapshot(store);
  const target = join(newFolder(), "backups", "histories-1.db");
  const backup = store.backup(target);
  const during = store.createExecution(started("during")); // in flight while the backup runs
  const report = await backup;
  await during;
  assert.equal(report.method, (await loadSqlite()).backup === undefined ? "vacuum-into" : "backup");
  assert.equal(report.path, target);
  assert.equal(report.bytes, fs.statSync(target).size);
  assert.deepEqual(fs.readdirSync(join(target, "..")), ["histories-1.db"], "one file, no WAL beside it, no temporary file left");
  assert.equal(pragma(target, "journal_mode"), "delete");
  await rejectsWith(store.backup(target), "WFS_STORE_INVALID", /the file exists/);
  await store.close();
  const restored = await open(target, { create: false });
  const got = await snapshot(restored) as { executions: ExecutionInfo[] };
  const duringIncluded = got.executions.some((i) => i.workflowId === "during");
  if (!duringIncluded) assert.deepEqual(got, expected);
  assert.equal(report.runs, (expected as { executions: unknown[] }).executions.length + (duringIncluded ? 1 : 0));
  assert.deepEqual((await restored.verify()).problems, []);
  assert.deepEqual(warnings, [], "a backup is sealed as cleanly closed: no WAL is missed");
  await restored.close();
});

// ---- several processes: sessions, leases, the change feed ----------------------------------

/**
 * Another process's session on `path`, simulated in this one: its row, and its lock held by a
 * connection of this process (SQLite tells connections of one process apart as it tells processes).
 */
function otherSession(path: string, id: string, heartbeatAt = Date.now(), leaseMs = 400): { lock: SessionLock; db: InstanceType<typeof DatabaseSync> } {
  const lock = SessionLock.take(sqlite, sessionFolder(path), id);
  const db = new DatabaseSync(path);
  db.exec("PRAGMA busy_timeout = 1000");
  db.prepare("INSERT INTO sessions (id, pid, host, started_at, heartbeat_at, lease_ms, task_queues) VALUES (?, ?, ?, ?, ?, ?, '[]')")
    .run(id, process.pid, "elsewhere", heartbeatAt, heartbeatAt, leaseMs);
  return { lock, db };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(performance.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const runIdOf = (db: InstanceType<typeof DatabaseSync>, workflowId: string) =>
  (db.prepare("SELECT id FROM runs WHERE workflow_id = ?").get(workflowId) as { id: number }).id;

test("leases: a run or an activity attempt another live session holds is left out of the lists and cannot be claimed", async () => {
  const path = newPath();
  const store = await open(path);
  const coordination = store.coordination;
  for (const id of ["a", "b"]) {
    await store.createExecution(started(id));
    await store.append({ workflowId: id, runId: "r1" }, {
      expectedLastEventId: 1,
      activities: { put: [{ activityId: "1", activityType: "charge", taskQueue: "q", attempt: 1, readyAt: 0 }] },
      timers: { put: [{ timerId: "1", firesAt: 0 }] },
    });
  }
  const other = otherSession(path, "other-session", Date.now(), 3_600_000);
  other.db.prepare("INSERT INTO run_owners (run, session) VALUES (?, ?)").run(runIdOf(other.db, "a"), "other-session");
  other.db.prepare("INSERT INTO activity_claims (run, activity_id, session) VALUES (?, '1', ?)").run(runIdOf(other.db, "b"), "other-session");
  assert.deepEqual((await coordination.listWorkflowTasks()).map((i) => i.workflowId), ["b"]);
  assert.deepEqual((await coordination.listTimers()).map((t) => t.workflowId), ["b"]);
  assert.deepEqual((await coordination.listActivityTasks()).map((t) => t.workflowId), ["a"]);
  assert.deepEqual((await store.listWorkflowTasks()).map((i) => i.workflowId), ["a", "b"], "the plain lists show everything");
  assert.equal(await coordination.claimRun({ workflowId: "a", runId: "r1" }), "taken");
  assert.equal(await coordination.claimRun({ workflowId: "b", runId: "r1" }), "claimed");
  assert.equal(await coordination.claimRun({ workflowId: "b", runId: "r1" }), "mine");
  const [taskB] = await store.listActivityTasks({ taskQueue: "q" }).then((tasks) => tasks.filter((t) => t.workflowId === "b"));
  const [taskA] = await store.listActivityTasks({ taskQueue: "q" }).then((tasks) => tasks.filter((t) => t.workflowId === "a"));
  assert.equal(await coordination.claimActivity(taskB!), false, "claimed by the other session");
  assert.equal(await coordination.claimActivity({ ...taskA!, attempt: 2 }), false, "not the pending attempt");
  assert.equal(await coordination.claimActivity(taskA!), true);
  assert.equal(await coordination.claimActivity(taskA!), false, "once");
  const outcome = { expectedLastEventId: 1, events: [event(2, "ActivityTaskCompleted")], activities: { remove: ["1"] }, workflowTaskPending: true };
  await rejectsWith(coordination.appendClaimed({ workflowId: "b", runId: "r1" }, outcome, "1"), "WFS_STORE_INVALID", /no longer holds its attempt/);
  assert.equal((await coordination.appendClaimed({ workflowId: "a", runId: "r1" }, outcome, "1")).lastEventId, 2);
  assert.equal((await store.getExecution({ workflowId: "b" }))?.lastEventId, 1, "the refused outcome wrote nothing");
  other.db.close();
  other.lock.release();
  await store.close();
});

test("a session whose process died is taken for dead at once, whatever its pid and host; one that hangs, after the lease timeout", async () => {
  const path = newPath();
  const store = await open(path, { leaseTimeout: 60_000 });
  await store.createExecution(started("a"));
  await store.createExecution(started("b"));
  // 'dead' has this very pid (a restart with the same pid, pid 1 in a container) and a fresh heartbeat.
  const dead = otherSession(path, "dead-session", Date.now(), 3_600_000);
  const hung = otherSession(path, "hung-session", Date.now() - 10 * 60_000);
  dead.db.prepare("INSERT INTO run_owners (run, session) VALUES (?, 'dead-session')").run(runIdOf(dead.db, "a"));
  hung.db.prepare("INSERT INTO run_owners (run, session) VALUES (?, 'hung-session')").run(runIdOf(hung.db, "b"));
  dead.db.close();
  hung.db.close();
  await store.close();
  dead.lock.release(); // the process died: its lock is free (its file stays, as after a SIGKILL)
  fs.mkdirSync(sessionFolder(path), { recursive: true });
  fs.writeFileSync(join(sessionFolder(path), "dead-session"), "");
  const restarted = await open(path, { leaseTimeout: 60_000 });
  // At open: the dead session is gone and its run free; the hung one's heartbeat is 10 min old.
  assert.deepEqual((await restarted.coordination.listWorkflowTasks()).map((i) => i.workflowId), ["a", "b"]);
  assert.equal(await restarted.coordination.claimRun({ workflowId: "a", runId: "r1" }), "claimed");
  assert.ok(!fs.existsSync(join(sessionFolder(path), "dead-session")), "its lock file is removed");
  hung.lock.release();
  await restarted.close();
});

test("a session that hangs with its lock held keeps its runs until its heartbeat is older than the lease timeout", async () => {
  const path = newPath();
  const store = await open(path, { leaseTimeout: 400 });
  await store.createExecution(started("a"));
  const hung = otherSession(path, "hung-session");
  hung.db.prepare("INSERT INTO run_owners (run, session) VALUES (?, 'hung-session')").run(runIdOf(hung.db, "a"));
  hung.db.close();
  let changes = 0;
  const stop = store.coordination.watch(() => changes++);
  assert.equal(await store.coordination.claimRun({ workflowId: "a", runId: "r1" }), "taken");
  await waitFor("the lease to expire", async () => (await store.coordination.claimRun({ workflowId: "a", runId: "r1" })) === "claimed");
  assert.ok(changes > 0, "the watchers heard that leases were freed");
  stop();
  hung.lock.release();
  await store.close();
});

test("the change feed: a commit of another connection reaches a watcher within the poll interval, its own commits do not", async () => {
  const path = newPath();
  const store = await open(path, { pollInterval: 5 });
  let heard = 0;
  const stop = store.coordination.watch(() => heard++);
  await store.createExecution(started("mine"));
  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.equal(heard, 0, "the store's own commit is not a change of another process");
  const other = new DatabaseSync(path);
  other.exec("PRAGMA busy_timeout = 1000");
  other.exec("UPDATE sessions SET heartbeat_at = heartbeat_at + 1");
  await waitFor("the watcher", async () => heard > 0, 2_000);
  other.close();
  stop();
  await store.close();
});

test("a write waits on the event loop while another process holds the write lock: timers keep firing meanwhile", async () => {
  const path = newPath();
  const store = await open(path, { busyTimeout: 2_000 });
  const other = new DatabaseSync(path);
  other.exec("BEGIN IMMEDIATE");
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  const write = store.createExecution(started("a"));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(ticks >= 10, `the event loop went on while the write waited (${ticks} ticks)`);
  other.exec("COMMIT");
  other.close();
  assert.equal((await write).workflowId, "a");
  clearInterval(ticker);
  await store.close();
});

test("the last store to close marks the database closed; one closing while another process has it open does not", async () => {
  const path = newPath();
  const store = await open(path);
  const other = otherSession(path, "still-open", Date.now(), 3_600_000); // a live process: its lock and a connection
  await store.close();
  assert.equal(other.db.prepare("SELECT value FROM meta WHERE key = 'state'").get()?.value, "open");
  const again = await open(path);
  other.lock.release(); // it dies: its connection closes with it
  other.db.close();
  await again.close();
  const db = new DatabaseSync(path, { readOnly: true });
  assert.equal(db.prepare("SELECT value FROM meta WHERE key = 'state'").get()?.value, "closed", "the dead session was swept, so this was the last");
  db.close();
});

test.run();
