// The Temporal adapter's acceptance: the same histories replayed through Temporal's own worker
// (reuseV8Context true and false) and through SandboxedTemporalWorker complete with the same
// payload bytes. Core compares only command types during replay and runReplayHistories returns no
// payloads, so tests/fixtures/temporal/replay_report.ts records each completion by wrapping the
// workers' creators; it runs in a child process (bundler resolution for the unmodified sample's
// `import { bump } from './counter'`, and Temporal's in-thread creators install process-wide
// handlers).
//
// Node only: the Temporal SDK's native core bridge does not load in Deno, so on Deno this file
// registers no tests.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadsTemporalCore } from "../loader/runtime.ts";

if (loadsTemporalCore) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const script = fileURLToPath(new URL("./fixtures/temporal/replay_report.ts", import.meta.url));

  interface Outcome {
    payload?: string;
    result?: unknown;
    error?: { name: string; message: string };
  }
  type Results = Record<"samples" | "handBuilt" | "mismatch", Record<string, Outcome>>;
  interface Report {
    samples: string[];
    historyPayloads: Record<string, string>;
    results: Record<"temporalReuse" | "temporalNoReuse" | "sandbox", Results>;
  }

  let report: Report;
  test.before(async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [...process.execArgv, script],
        {
          cwd: root,
          env: { ...process.env, WORKFLOW_SANDBOX_RESOLUTION: "bundler" },
          timeout: 300_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    // Core logs to stdout as well: the report is the line after the marker.
    report = JSON.parse(stdout.split("\n@@REPORT@@\n")[1].split("\n")[0]);
  });

  const TEMPORAL = ["temporalReuse", "temporalNoReuse"] as const;

  test("Temporal's own worker replays the samples to the payloads their histories hold (the oracle)", () => {
    assert.deepEqual(report.samples, ["history-greet-sample.json", "history-greetCounted-sample.json"]);
    for (const creator of TEMPORAL) {
      for (const name of report.samples) {
        const id = name.replace(/\.json$/, "");
        const outcome = report.results[creator].samples[id];
        assert.equal(outcome.error, undefined, `${creator} ${id}`);
        assert.equal(outcome.payload, report.historyPayloads[id], `${creator} ${id}`);
      }
    }
  });

  test("the adapter completes every sample and every copy with Temporal's payload bytes", () => {
    const temporal = report.results.temporalReuse.samples;
    const ids = Object.keys(temporal);
    assert.equal(ids.length, 2 + 2 * 6, "the two samples and six copies of each with distinct ids");
    for (const id of ids) {
      const sandboxed = report.results.sandbox.samples[id];
      assert.equal(sandboxed.error, undefined, id);
      assert.ok(sandboxed.payload, `${id} completed`);
      assert.equal(sandboxed.payload, temporal[id].payload, id);
      assert.equal(sandboxed.payload, report.results.temporalNoReuse.samples[id].payload, id);
    }
  });

  test("greetCounted shows counter === 1 on every run", () => {
    const runs = Object.entries(report.results.sandbox.samples).filter(([id]) => id.includes("greetCounted"));
    assert.equal(runs.length, 7);
    for (const [id, outcome] of runs) {
      assert.equal(JSON.parse(outcome.result as string).counter, 1, id);
    }
  });

  test("histories with an activity, a timer and a signal replay to the same payloads in both workers", () => {
    const ids = ["withActivity-replay", "withTimer-replay", "withSignal-replay"];
    for (const id of ids) {
      for (const creator of [...TEMPORAL, "sandbox"] as const) {
        const outcome = report.results[creator].handBuilt[id];
        assert.equal(outcome.error, undefined, `${creator} ${id}: ${outcome.error?.message}`);
        assert.equal(outcome.payload, report.historyPayloads[id], `${creator} ${id}`);
      }
    }
    const timer = JSON.parse(report.results.sandbox.handBuilt["withTimer-replay"].result as string);
    assert.equal(timer.after - timer.before, 1020, "Date.now() follows the history's workflow task times");
  });

  test("a history with a different ending raises DeterminismViolationError, as with Temporal's worker", () => {
    for (const creator of [...TEMPORAL, "sandbox"] as const) {
      const outcome = report.results[creator].mismatch["different-ending"];
      assert.equal(outcome.error?.name, "DeterminismViolationError", creator);
      assert.match(outcome.error!.message, /Nondeterminism error/, creator);
    }
  });
}

test.run();
