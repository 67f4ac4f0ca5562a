import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import { createCrashInjector } from "../worker/crash_injection.ts";
import { FileHistoryStore, type FileHistoryStoreFs, type FileHistoryStoreOptions } from "../worker/file_history_store.ts";
import { type HistoryEvent, HistoryStoreError, type NewExecution } from "../worker/history_store.ts";
import { addHistoryStoreContract } from "./_history_store_contract.ts";
import { isDeno } from "../loader/runtime.ts";

// Child mode: hold the store's lock until killed (for the cross-process lock tests).
if (process.argv[2] === "--hold-lock") {
  const store = await FileHistoryStore.open({ directory: process.argv[3], crashInjector: createCrashInjector({ value: "" }) });
  fs.writeSync(1, `ready ${process.pid} ${store.directory}\n`);
  setInterval(() => {}, 60_000);
  await new Promise(() => {});
}

const folders: string[] = [];
const warnings: string[] = [];

function newFolder(): string {
  const folder = fs.mkdtempSync(join(tmpdir(), "wfs-file-store-"));
  folders.push(folder);
  return join(folder, "store");
}

function open(directory: string, options: FileHistoryStoreOptions = {}): Promise<FileHistoryStore> {
  return FileHistoryStore.open({
    directory,
    warn: (message) => warnings.push(message),
    crashInjector: createCrashInjector({ value: "" }),
    ...options,
  });
}

function started(workflowId: string, runId = "r1"): NewExecution {
  return { workflowId, runId, workflowType: "greet", taskQueue: "q", events: [event(1, "WorkflowExecutionStarted")] };
}

function event(eventId: number, type: string, attributes: Record<string, unknown> = {}): HistoryEvent {
  return { eventId, type, timestamp: 1_000 + eventId, ...attributes };
}

/** Creates "wf" with events 1..3 in three writes, closes the store, returns its only history file. */
async function storeWithThreeWrites(directory: string): Promise<string> {
  const store = await open(directory);
  await store.createExecution(started("wf"));
  await store.append({ workflowId: "wf", runId: "r1" }, { expectedLastEventId: 1, events: [event(2, "SignalReceived", { n: 1 })] });
  await store.append({ workflowId: "wf", runId: "r1" }, { expectedLastEventId: 2, events: [event(3, "SignalReceived", { n: 2 })] });
  await store.close();
  const [name] = fs.readdirSync(join(directory, "histories"));
  return join(directory, "histories", name!);
}

async function eventIds(store: FileHistoryStore, workflowId = "wf"): Promise<number[]> {
  return (await store.readEvents({ workflowId })).map((e) => e.eventId);
}

function selfCommand(args: string[]): [string, string[]] {
  const file = fileURLToPath(import.meta.url);
  // Under Deno, process.execPath is the deno binary, which needs `run`.
  return isDeno
    ? [process.execPath, ["run", "-A", file, ...args]]
    : [process.execPath, [...process.execArgv, file, ...args]];
}

function deadPid(): number {
  const [command, args] = isDeno ? [process.execPath, ["eval", "0"]] : [process.execPath, ["-e", "0"]];
  const child = spawnSync(command, args);
  assert.equal(child.status, 0);
  return child.pid!;
}

test.before.each(() => {
  warnings.length = 0;
});

test.after(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

addHistoryStoreContract(test, {
  open: () => open(newFolder()),
  reopen: async (store) => {
    await store.close();
    return open((store as FileHistoryStore).directory);
  },
});

test("opens '.workflow-sandbox' under the working directory by default", async () => {
  const cwd = process.cwd();
  const folder = newFolder();
  fs.mkdirSync(folder);
  process.chdir(folder);
  try {
    const store = await FileHistoryStore.open({ crashInjector: createCrashInjector({ value: "" }) });
    assert.equal(store.directory, join(process.cwd(), ".workflow-sandbox"));
    assert.ok(fs.existsSync(join(folder, ".workflow-sandbox", "lock")));
    await store.close();
  } finally {
    process.chdir(cwd);
  }
});

test("layout: one file per workflow id with a versioned header, one line per write, all runs in it", async () => {
  const directory = newFolder();
  const store = await open(directory);
  await store.createExecution(started("orders/42 é"));
  await store.append({ workflowId: "orders/42 é", runId: "r1" }, {
    expectedLastEventId: 1,
    events: [event(2, "WorkflowExecutionContinuedAsNew")],
    status: "continued-as-new",
    continueAsNew: { runId: "r2", workflowType: "greet", taskQueue: "q", events: [event(1, "WorkflowExecutionStarted")] },
  });
  await store.createExecution(started("other"));
  await store.close();
  const names = fs.readdirSync(join(directory, "histories")).sort();
  assert.equal(names.length, 2);
  assert.match(names[0]!, /^orders_42_-[0-9a-f]{16}\.history$/);
  const lines = fs.readFileSync(join(directory, "histories", names[0]!), "utf8").split("\n");
  assert.equal(lines.length, 4, "header, create, append (with the next run), and the final newline");
  assert.equal(lines[3], "");
  const [length, checksum, ...words] = lines[0]!.split(" ");
  const json = words.join(" ");
  assert.equal(Number(length), Buffer.byteLength(json!));
  assert.match(checksum!, /^[0-9a-f]{8}$/);
  assert.deepEqual(JSON.parse(json!), { format: "workflow-sandbox-history", version: 1, workflowId: "orders/42 é" });
  assert.ok(!fs.existsSync(join(directory, "lock")), "close() removes the lock file");
});

test("a torn last record (file cut a few bytes short) is dropped on open, with a warning", async () => {
  const directory = newFolder();
  const file = await storeWithThreeWrites(directory);
  const size = fs.statSync(file).size;
  fs.truncateSync(file, size - 5);
  const store = await open(directory);
  assert.deepEqual(await eventIds(store), [1, 2]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /Dropped a torn record at the end of history file '.*\.history'/);
  // The file was cut back to whole records, so the store goes on from there.
  await store.append({ workflowId: "wf", runId: "r1" }, { expectedLastEventId: 2, events: [event(3, "SignalReceived", { n: "again" })] });
  await store.close();
  const again = await open(directory);
  assert.deepEqual((await again.readEvents({ workflowId: "wf" })).map((e) => e.n), [undefined, 1, "again"]);
  assert.equal(warnings.length, 1, "nothing left to drop");
  await again.close();
});

test("garbage appended after the last record is dropped on open", async () => {
  const directory = newFolder();
  const file = await storeWithThreeWrites(directory);
  fs.appendFileSync(file, Buffer.from([0x31, 0x32, 0x20, 0x00, 0xff, 0x7b, 0x22]));
  const store = await open(directory);
  assert.deepEqual(await eventIds(store), [1, 2, 3]);
  assert.match(warnings[0]!, /\(7 bytes from byte \d+\)/);
  await store.close();
});

test("a record cut short and followed by garbage is dropped as one torn record", async () => {
  const directory = newFolder();
  const file = await storeWithThreeWrites(directory);
  fs.truncateSync(file, fs.statSync(file).size - 3);
  fs.appendFileSync(file, "\u0000\u0000garbage\n");
  const store = await open(directory);
  assert.deepEqual(await eventIds(store), [1, 2]);
  assert.equal(warnings.length, 1);
  await store.close();
});

test("a last record whose checksum does not match is dropped", async () => {
  const directory = newFolder();
  const file = await storeWithThreeWrites(directory);
  const text = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, text.replace(/"n":2/, '"n":7'));
  const store = await open(directory);
  assert.deepEqual(await eventIds(store), [1, 2]);
  assert.equal(warnings.length, 1);
  await store.close();
});

test("damage before the last record fails to open, naming the file, the byte and the fix", async () => {
  const directory = newFolder();
  const file = await storeWithThreeWrites(directory);
  const text = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, text.replace(/"n":1/, '"n":9'));
  await assert.rejects(open(directory), (error: unknown) => {
    assert.ok(error instanceof HistoryStoreError);
    assert.equal(error.code, "WFS_STORE_CORRUPT");
    assert.ok(error.message.includes(`history file '${file}' is damaged at byte`), error.message);
    assert.match(error.message, /before its last record\. Restore the file from a backup, or truncate it to \d+ bytes to keep the history before the damage \(WFS_STORE_CORRUPT\)$/);
    return true;
  });
  assert.ok(!fs.existsSync(join(directory, "lock")), "a failed open releases the lock");
  assert.equal(fs.readFileSync(file, "utf8"), text.replace(/"n":1/, '"n":9'), "the damaged file is left as it was");
});

test("a file with a newer format version fails to open with the upgrade fix", async () => {
  const directory = newFolder();
  const file = await storeWithThreeWrites(directory);
  const header = JSON.stringify({ format: "workflow-sandbox-history", version: 2, workflowId: "wf" });
  const checksum = (await import("node:crypto")).createHash("sha256").update(header).digest("hex").slice(0, 8);
  const rest = fs.readFileSync(file, "utf8").split("\n").slice(1).join("\n");
  fs.writeFileSync(file, `${header.length} ${checksum} ${header}\n${rest}`);
  await assert.rejects(open(directory), /has format version 2, and this workflow-sandbox reads version 1\. Upgrade workflow-sandbox to one that reads it, or use another folder \(WFS_STORE_CORRUPT\)$/);
});

test("a history file without a whole header fails to open and is left untouched", async () => {
  const directory = newFolder();
  await (await open(directory)).close();
  const file = join(directory, "histories", "x-0000000000000000.history");
  const torn = "69 f459306c {\"format\":\"workflow-sandbox-hist";
  fs.writeFileSync(file, torn);
  await assert.rejects(open(directory), /history file '.*x-0000000000000000\.history' has no header record, so it was not written by workflow-sandbox\. Move it out of the folder \(WFS_STORE_CORRUPT\)$/);
  assert.equal(fs.readFileSync(file, "utf8"), torn);
});

test("an unfinished new file (*.tmp) is removed on open", async () => {
  const directory = newFolder();
  await storeWithThreeWrites(directory);
  const temp = join(directory, "histories", "x-0000000000000000.history.99.tmp");
  fs.writeFileSync(temp, "12 00000000 {\"partial\":");
  const store = await open(directory);
  assert.ok(!fs.existsSync(temp));
  assert.deepEqual((await store.listExecutions()).map((i) => i.workflowId), ["wf"]);
  await store.close();
});

test("a second opener in the same process gets the lock error naming the folder and pid", async () => {
  const directory = newFolder();
  const store = await open(directory);
  await assert.rejects(open(directory), (error: unknown) => {
    assert.ok(error instanceof HistoryStoreError);
    assert.equal(error.code, "WFS_STORE_LOCKED");
    assert.ok(error.message.includes(`Cannot open history store '${directory}'`), error.message);
    assert.ok(error.message.includes(`this process (pid ${process.pid})`), error.message);
    return true;
  });
  await store.close();
  await (await open(directory)).close();
});

test("a second process gets the lock error naming the folder and the holder's pid; once it dies, its lock is taken over", async () => {
  const directory = newFolder();
  const [command, args] = selfCommand(["--hold-lock", directory]);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  const ready = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk) => {
      out += chunk;
      if (out.includes("\n")) resolve(out);
    });
    child.on("exit", () => reject(new Error(`the lock holder exited early: ${stderr}`)));
  });
  assert.match(ready, new RegExp(`^ready ${child.pid} `));
  try {
    await assert.rejects(open(directory), (error: unknown) => {
      assert.ok(error instanceof HistoryStoreError);
      assert.equal(error.code, "WFS_STORE_LOCKED");
      assert.ok(error.message.includes(`Cannot open history store '${directory}': it is locked by process ${child.pid}`), error.message);
      assert.ok(error.message.includes(`(lock file '${join(directory, "lock")}'). Stop that worker first, or give this one another folder with the 'directory' option`), error.message);
      return true;
    });
  } finally {
    child.kill("SIGKILL");
  }
  assert.deepEqual(await exited, { code: null, signal: "SIGKILL" });
  assert.equal(stderr, "");
  const store = await open(directory);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, new RegExp(`Took over lock file '.*' of history store '.*' from process ${child.pid}, which is no longer running`));
  assert.equal(JSON.parse(fs.readFileSync(join(directory, "lock"), "utf8")).pid, process.pid);
  await store.close();
});

test("a stale lock left by a dead process is taken over with a warning", async () => {
  const directory = newFolder();
  await storeWithThreeWrites(directory);
  const pid = deadPid();
  fs.writeFileSync(join(directory, "lock"), JSON.stringify({ pid, startedAt: "2026-01-01T00:00:00.000Z" }));
  const store = await open(directory);
  assert.deepEqual(await eventIds(store), [1, 2, 3]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, new RegExp(`from process ${pid}, which is no longer running`));
  assert.deepEqual(fs.readdirSync(directory).sort(), ["histories", "lock"], "no lock copy left behind");
  await store.close();
});

test("a lock file without a readable owner is taken over only once it is old", async () => {
  const directory = newFolder();
  await (await open(directory)).close();
  const lock = join(directory, "lock");
  fs.writeFileSync(lock, "");
  await assert.rejects(open(directory), /another process is creating its lock file '.*' right now/);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(lock, old, old);
  const store = await open(directory);
  assert.match(warnings[0]!, /it had no readable owner/);
  await store.close();
});

test("a lock held on another host is reported, not taken over", async () => {
  const directory = newFolder();
  await (await open(directory)).close();
  fs.writeFileSync(join(directory, "lock"), JSON.stringify({ pid: deadPid(), hostname: "elsewhere.invalid" }));
  await assert.rejects(open(directory), /locked by process \d+ on host 'elsewhere\.invalid'.*cannot be checked from here.*delete the lock file/);
});

test("a read-only folder fails with an error naming the folder and the fix", async () => {
  const directory = newFolder();
  await storeWithThreeWrites(directory);
  const denied = (path: unknown) => Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
  const readOnly: FileHistoryStoreFs = {
    ...fs,
    openSync: ((path: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode | null) => {
      if (flags !== "r") throw denied(path);
      return fs.openSync(path, flags, mode);
    }) as typeof fs.openSync,
  };
  await assert.rejects(open(directory, { fs: readOnly }), (error: unknown) => {
    assert.ok(error instanceof HistoryStoreError);
    assert.equal(error.code, "WFS_STORE_IO");
    assert.equal(
      error.message,
      `Cannot create lock file '${join(directory, "lock")}' of history store '${directory}': the folder is read-only or not writable by this process ` +
        `(EACCES: permission denied, open '${join(directory, "lock")}'). ` +
        `Give the worker write access to '${directory}', or choose a writable folder with the 'directory' option (WFS_STORE_IO)`,
    );
    return true;
  });
});

test("a real read-only folder fails with the same error (skipped as root, who may write anywhere)", async () => {
  if (process.getuid?.() === 0 || process.platform === "win32") return;
  const directory = newFolder();
  fs.mkdirSync(directory);
  fs.chmodSync(directory, 0o555);
  try {
    await assert.rejects(open(directory), /Cannot create lock file .*: the folder is read-only or not writable by this process \(.*\)\. Give the worker write access/);
  } finally {
    fs.chmodSync(directory, 0o755);
  }
});

test("a file where the folder should be fails with the fix", async () => {
  const directory = newFolder();
  fs.writeFileSync(directory, "not a folder");
  await assert.rejects(open(directory), /Cannot create folder '.*store' of history store '.*store': a file stands where a folder is needed/);
});

test("optimistic concurrency: of two writers at the same event id, the second gets a conflict and is not written", async () => {
  const directory = newFolder();
  const store = await open(directory);
  await store.createExecution(started("wf"));
  const key = { workflowId: "wf", runId: "r1" };
  const results = await Promise.allSettled([
    store.append(key, { expectedLastEventId: 1, events: [event(2, "SignalReceived", { from: "first" })] }),
    store.append(key, { expectedLastEventId: 1, events: [event(2, "WorkflowTaskCompleted", { from: "second" })] }),
  ]);
  assert.equal(results[0].status, "fulfilled");
  assert.equal(results[1].status, "rejected");
  assert.match(String((results[1] as PromiseRejectedResult).reason), /expected last event id 1 but it is 2.*\(WFS_STORE_CONFLICT\)/);
  await store.close();
  const reopened = await open(directory);
  assert.deepEqual((await reopened.readEvents(key)).map((e) => e.from), [undefined, "first"]);
  await reopened.close();
});

test("every write is flushed before it resolves: the file on append, the file and its folder on create", async () => {
  const directory = newFolder();
  const log: string[] = [];
  const paths = new Map<number, string>();
  const name = (path: string) =>
    path === directory ? "<store>" : directory.startsWith(path) ? "<parent>" : path.slice(directory.length + 1)
      .replace(/-[0-9a-f]{16}\.history/, ".history")
      .replace(/\.history\.\d+\.tmp$/, ".tmp");
  const spy: FileHistoryStoreFs = {
    ...fs,
    openSync: ((path: string, flags: fs.OpenMode, mode?: fs.Mode | null) => {
      const fd = fs.openSync(path, flags, mode);
      paths.set(fd, name(String(path)));
      return fd;
    }) as typeof fs.openSync,
    writeSync: ((fd: number, ...rest: unknown[]) => {
      log.push(`write ${paths.get(fd)}`);
      return (fs.writeSync as (...args: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.writeSync,
    fsyncSync: (fd) => {
      log.push(`fsync ${paths.get(fd)}`);
      fs.fsyncSync(fd);
    },
    renameSync: (from, to) => {
      log.push(`rename ${name(String(from))} ${name(String(to))}`);
      fs.renameSync(from, to);
    },
  };
  const store = await open(directory, { fs: spy });
  assert.deepEqual(
    log,
    ["fsync <parent>", "write lock", "fsync lock", "fsync <store>", "fsync <store>"],
    "the new store folder, the lock file, the lock's folder entry, the new histories folder",
  );
  log.length = 0;
  await store.createExecution(started("wf"));
  log.push("resolved");
  assert.deepEqual(log, ["write histories/wf.tmp", "fsync histories/wf.tmp", "rename histories/wf.tmp histories/wf.history", "fsync histories", "resolved"]);
  log.length = 0;
  await store.append({ workflowId: "wf", runId: "r1" }, { expectedLastEventId: 1, events: [event(2, "SignalReceived")] });
  log.push("resolved");
  assert.deepEqual(log, ["write histories/wf.history", "fsync histories/wf.history", "resolved"]);
  log.length = 0;
  await store.createExecution(started("wf2"));
  await store.close();
  assert.deepEqual(log.slice(-1), ["fsync <store>"], "removing the lock flushes the folder");
});

test("a failed write stops further writes, and the file keeps only whole records", async () => {
  const directory = newFolder();
  let failFsync = false;
  const flaky: FileHistoryStoreFs = {
    ...fs,
    fsyncSync: (fd) => {
      if (failFsync) throw Object.assign(new Error("EIO: i/o error, fsync"), { code: "EIO" });
      fs.fsyncSync(fd);
    },
  };
  const store = await open(directory, { fs: flaky });
  await store.createExecution(started("wf"));
  failFsync = true;
  const key = { workflowId: "wf", runId: "r1" };
  await assert.rejects(store.append(key, { expectedLastEventId: 1, events: [event(2, "SignalReceived")] }), (error: unknown) => {
    assert.ok(error instanceof HistoryStoreError);
    assert.equal(error.code, "WFS_STORE_IO");
    assert.match(error.message, /^Cannot write history file '.*wf-[0-9a-f]{16}\.history' of history store '.*': EIO: i\/o error, fsync\. Check that '.*' is a folder on a local disk that this process can write \(WFS_STORE_IO\)$/);
    return true;
  });
  failFsync = false;
  await assert.rejects(store.append(key, { expectedLastEventId: 1, events: [event(2, "SignalReceived")] }), /an earlier write failed and left the disk state unknown \(.*\(WFS_STORE_IO\)\)\. Fix the cause, then restart the worker to reopen the store \(WFS_STORE_UNAVAILABLE\)$/);
  assert.deepEqual(await eventIds(store), [1], "reads still answer from the last durable state");
  await store.close();
  const reopened = await open(directory);
  assert.deepEqual(await eventIds(reopened), [1]);
  assert.deepEqual(warnings, [], "the partial record was cut off when the write failed");
  await reopened.close();
});

test.run();
