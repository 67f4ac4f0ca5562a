// Crash injection end to end: a worker process running a workflow with an activity, a timer, a
// signal and a query on the durable file store is killed (SIGKILL) right after each persistence
// step, then restarted. The run must finish with the result and history of an uninterrupted run
// (no lost event), and the activity must have run exactly once (a completed activity is never
// repeated; in this workflow no crash point falls inside its attempt).
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { CRASH_AFTER_ENV, FileHistoryStore } from "../mod.ts";
import { isDeno } from "../loader/runtime.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCENARIO = fileURLToPath(new URL("./fixtures/worker/crash/scenario.ts", import.meta.url));

interface Outcome {
  value: string;
  stage: string;
  events: string[];
}

interface ChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** The same runtime as this test: Node with its flags, or `deno run -A`. */
function command(): [string, string[]] {
  // Under Deno, process.execPath is the deno binary, which needs `run`.
  if (isDeno) return [process.execPath, ["run", "-A", SCENARIO]];
  return [process.execPath, [...process.execArgv, SCENARIO]];
}

function runChild(folder: string, crashAfter?: string): Promise<ChildResult> {
  const [bin, args] = command();
  const env: Record<string, string | undefined> = { ...process.env };
  if (crashAfter === undefined) delete env[CRASH_AFTER_ENV];
  else env[CRASH_AFTER_ENV] = crashAfter;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, join(folder, "store"), join(folder, "activity.log")], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function parse(result: ChildResult, what: string): Outcome {
  assert.equal(result.code, 0, `${what} exited ${result.code} (${result.signal}): ${result.stderr}`);
  assert.equal(result.stderr, "", `${what} wrote to stderr`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as Outcome;
}

function activityRuns(folder: string): number {
  const log = join(folder, "activity.log");
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean).length : 0;
}

/** The event types durable in the store now (read in this process between two children). */
async function durableEvents(folder: string): Promise<string[]> {
  const store = await FileHistoryStore.open({ directory: join(folder, "store"), warn: () => {} });
  try {
    const info = await store.getExecution({ workflowId: "crash-1" });
    return info === undefined ? [] : (await store.readEvents(info)).map((e) => e.type);
  } finally {
    await store.close();
  }
}

const EXPECTED: Outcome = {
  value: "Hello, Ada! Approved by Grace.",
  stage: "done",
  events: [
    "WorkflowExecutionStarted",
    "WorkflowTaskCompleted",
    "ActivityTaskScheduled",
    "ActivityTaskCompleted",
    "WorkflowTaskCompleted",
    "TimerStarted",
    "TimerFired",
    "WorkflowTaskCompleted",
    "WorkflowExecutionSignaled",
    "WorkflowTaskCompleted",
    "WorkflowExecutionCompleted",
  ],
};

// One chain of processes: the first dies right after taking the store's lock, the second right
// after starting the workflow, and every later one right after its first write ('append:1'), so
// each persistence step of the run is followed by a kill and a restart. The last process gets
// through and prints the outcome.
test("killed after every persistence step and restarted each time, the workflow ends with the same result and history, its activity run once", async () => {
  const folder = mkdtempSync(join(tmpdir(), "wfs-crash-"));
  try {
    const killedAfter: string[] = [];
    let seen: string[] = [];
    let outcome: Outcome | undefined;
    for (const step of ["lock", "start", ...Array.from({ length: 15 }, () => "append:1")]) {
      const result = await runChild(folder, step);
      if (result.code === 0) {
        outcome = parse(result, "the last restart");
        break;
      }
      assert.ok(result.signal === "SIGKILL" || result.code === 137, `crash after ${step}: exited ${result.code} ${result.signal}: ${result.stderr}`);
      assert.match(result.stderr, new RegExp(`crash injected after step '${step.split(":")[0]}'`));
      const events = await durableEvents(folder);
      // No lost event: what was durable before this process stays, in order; at most the writes
      // of one step are added.
      assert.deepEqual(events.slice(0, seen.length), seen, `after the crash at ${step}`);
      assert.deepEqual(events, EXPECTED.events.slice(0, events.length), `history after the crash at ${step}`);
      killedAfter.push(`${step} (${events.length} events)`);
      seen = events;
    }
    assert.ok(outcome !== undefined, `the chain never completed: ${killedAfter.join(", ")}`);
    assert.deepEqual(outcome, EXPECTED);
    assert.equal(activityRuns(folder), 1, "the completed activity never ran again");
    // lock, start, then one kill per write: 4 workflow tasks, the activity, the timer, the signal.
    assert.ok(killedAfter.length >= 9, `kills: ${killedAfter.join(", ")}`);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test("killed once right after the activity's result is durable, the restart does not run it again", async () => {
  const folder = mkdtempSync(join(tmpdir(), "wfs-crash-"));
  try {
    const crashed = await runChild(folder, "activity-complete");
    assert.ok(crashed.signal === "SIGKILL" || crashed.code === 137, crashed.stderr);
    assert.equal(activityRuns(folder), 1);
    assert.deepEqual(parse(await runChild(folder), "the restart"), EXPECTED);
    assert.equal(activityRuns(folder), 1);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test.run();
