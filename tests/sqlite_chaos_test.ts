// Several processes on one SqliteHistoryStore database, killed at random: two worker processes
// and one client process (which starts 200 workflows and signals each twice, every call with a
// request id and made twice, as a caller retries after an unclear outcome). Workers are killed
// with SIGKILL at random moments (at least 20 kills) and restarted; the client is killed once and
// restarted, and resends everything. Then:
//
// - every workflow completed exactly once (one run) with the right result;
// - nothing acknowledged is lost: every start and signal the client saw acknowledged is in the
//   workflow's history and result;
// - a retried signal is delivered once (two signals in each history, whatever the retries);
// - an activity ran again only when its attempt was interrupted: every start of an activity but
//   the last is by a process the test killed, and each activity has one recorded outcome;
// - the database verifies (checksums, chains, SQLite's integrity_check).
//
// It takes 20-40 s per runtime on a loaded 2-core machine, so it is its own file.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import { isDeno } from "../loader/runtime.ts";
import { defaultPayloadConverter, type Payload } from "../worker/payload_converter.ts";
import { SqliteHistoryStore } from "../worker/sqlite_history_store.ts";

const PROCESS = fileURLToPath(new URL("./fixtures/worker/shared/process.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WORKFLOWS = 200;
const MIN_KILLS = 20;

function start(args: string[], onLine: (line: string) => void): ChildProcess {
  const [bin, base] = isDeno ? [process.execPath, ["run", "-A", PROCESS]] : [process.execPath, [...process.execArgv, PROCESS]];
  const child = spawn(bin, [...base, "--", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WFS_LEASE_TIMEOUT: "2s" } });
  let buffer = "";
  child.stdout!.on("data", (chunk) => {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
    }
  });
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr += chunk));
  child.on("close", (code, signal) => {
    if (code !== 0 && signal !== "SIGKILL" && !stopping) failures.push(`${args[0]} exited ${code} ${signal}: ${stderr.slice(-2_000)}`);
  });
  return child;
}

const failures: string[] = [];
let stopping = false;

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("close", () => resolve());
    child.kill("SIGKILL");
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test(`${WORKFLOWS} workflows, 2 worker processes and a client process, SIGKILLed at random at least ${MIN_KILLS} times: each completes once, right, nothing acknowledged lost`, async () => {
  const folder = fs.mkdtempSync(join(tmpdir(), "wfs-chaos-"));
  const path = join(folder, "histories.db");
  const log = join(folder, "activities.log");
  const startedAt = performance.now();
  const killedPids = new Set<number>();
  const acked = new Set<string>();
  const startedIds = new Set<string>();
  let clientDone = false;
  try {
    // The database exists before the processes race to open it.
    await (await SqliteHistoryStore.open({ path, warn: () => {} })).close();
    // A worker lives a random 0.2 to 1 s after it is ready, then is killed and restarted.
    const workers: { child: ChildProcess; readyAt?: number; life: number }[] = [];
    const spawnWorker = (slot: number) => {
      const entry: { child: ChildProcess; readyAt?: number; life: number } = { child: undefined as never, life: 200 + Math.random() * 800 };
      entry.child = start(["worker", path, log], (line) => {
        if (line.startsWith("ready")) entry.readyAt = performance.now();
      });
      workers[slot] = entry;
    };
    spawnWorker(0);
    spawnWorker(1);
    const spawnClient = () =>
      start(["client", path, String(WORKFLOWS), "2500"], (line) => {
        const [what, id] = line.split(" ");
        if (what === "acked") acked.add(id!);
        else if (what === "started") startedIds.add(id!);
        else if (what === "done") clientDone = true;
      });
    let client = spawnClient();
    let clientKilled = false;

    const watcher = await SqliteHistoryStore.open({ path, warn: () => {} });
    let kills = 0;
    let completed = 0;
    let lastCheck = 0;
    try {
      for (;;) {
        assert.deepEqual(failures, []);
        await sleep(50);
        const now = performance.now();
        if (now - lastCheck > 500) {
          lastCheck = now;
          completed = (await watcher.listExecutions({ status: "completed" })).length;
        }
        if (completed >= WORKFLOWS && kills >= MIN_KILLS && clientDone) break;
        assert.ok(now - startedAt < 240_000, `not done after 240 s: ${completed} completed, ${kills} kills, ${acked.size} signals acknowledged`);
        if (!clientKilled && acked.size > WORKFLOWS / 2) {
          // The client dies mid-way; its successor sends every start and signal again.
          clientKilled = true;
          killedPids.add(client.pid!);
          await killed(client);
          client = spawnClient();
        }
        for (const [slot, worker] of workers.entries()) {
          if (worker.readyAt === undefined || now - worker.readyAt < worker.life) continue;
          if (kills >= MIN_KILLS && completed >= WORKFLOWS) continue;
          killedPids.add(worker.child.pid!);
          await killed(worker.child);
          kills++;
          spawnWorker(slot);
        }
      }
    } finally {
      stopping = true;
      await Promise.all([...workers.map((w) => w.child), client].map(killed));
    }
    assert.deepEqual(failures, []);
    const seconds = (performance.now() - startedAt) / 1000;

    // Every workflow once, with the right result; every acknowledged call in it, retries once.
    const runs = await watcher.listExecutions();
    assert.equal(runs.length, WORKFLOWS, "one run per workflow id: a retried start created none");
    for (const id of startedIds) assert.ok(runs.some((run) => run.workflowId === id), `acknowledged start of ${id} is there`);
    for (const run of runs) {
      assert.equal(run.status, "completed", run.workflowId);
      const events = await watcher.readEvents(run);
      const n = Number(run.workflowId.split("-")[1]);
      const decoded = defaultPayloadConverter.fromPayload(events.at(-1)!.result as Payload);
      assert.deepEqual(decoded, { n, doubled: 4 * n, got: [`${run.workflowId}-s0`, `${run.workflowId}-s1`] }, run.workflowId);
      const count = (type: string) => events.filter((e) => e.type === type).length;
      assert.equal(count("WorkflowExecutionSignaled"), 2, `${run.workflowId}: each signal once, whatever the retries`);
      assert.equal(count("ActivityTaskCompleted"), 2, run.workflowId);
      assert.equal(count("TimerFired"), 1, run.workflowId);
      assert.equal(count("WorkflowExecutionCompleted"), 1, run.workflowId);
    }
    assert.equal(acked.size, 2 * WORKFLOWS, "the client saw every signal acknowledged");

    // An activity ran again only when its attempt was interrupted (its process killed).
    const starts = new Map<string, number[]>();
    for (const line of fs.readFileSync(log, "utf8").split("\n").filter(Boolean)) {
      const [what, workflowId, activityId, , pid] = line.split(" ");
      if (what !== "start") continue;
      const key = `${workflowId}/${activityId}`;
      starts.set(key, [...starts.get(key) ?? [], Number(pid)]);
    }
    assert.equal(starts.size, 2 * WORKFLOWS, "every activity ran");
    let reruns = 0;
    for (const [key, pids] of starts) {
      for (const pid of pids.slice(0, -1)) {
        assert.ok(killedPids.has(pid), `${key} ran again after a run by process ${pid}, which was not killed (runs: ${pids.join(", ")})`);
        reruns++;
      }
    }
    const report = await watcher.verify();
    assert.deepEqual(report.problems, []);
    console.log(`  chaos: ${WORKFLOWS} workflows, ${kills} worker kills and 1 client kill in ${seconds.toFixed(1)} s; ` +
      `${reruns} activity attempts ran again after their process was killed; ${acked.size} signals acknowledged`);
    await watcher.close();
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test.run();
