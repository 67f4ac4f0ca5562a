// Deterministic mode end to end (issue 15, docs/determinism.md), with the real packages of
// tests/fixtures/determinism (installed from its own lockfile by scripts/test.mjs):
// - every package workflow imports and runs with the default policy, and a worker resuming its
//   history in another process, in another time zone and with the environment's clock a year
//   later, replays it to the same values and the same events;
// - with strict mode for all code, the same workflows fail with RestrictedWorkflowAccessError
//   (at import, failing Worker.create, or in the workflow task), immer excepted: NODE_ENV is a
//   constant in both modes;
// - lodash.random(), dayjs(), uuid.v4() and nanoid() called from workflow code are refused in
//   strict mode and get deterministic values by default (their replay is the 'callers' workflow of
//   the first test); the workflow's own Date.now() still fails
//   its task with the file:line and the fix.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  type DeterminismOptions,
  type Logger,
  Replayer,
  type SandboxWarning,
  SandboxedWorkflowRunner,
  SandboxRestrictions,
  Worker,
  WorkflowEnvironment,
  WorkflowValidationError,
} from "../mod.ts";
import { isDeno } from "../loader/runtime.ts";
import { PACKAGES } from "./fixtures/determinism/packages.ts";

const FIXTURE = new URL("./fixtures/determinism/", import.meta.url);
const CHILD = fileURLToPath(new URL("replay_child.ts", FIXTURE));
const STRICT: DeterminismOptions = { otherPackages: "strict" };
// The recording environment's clock ran a few hours ahead (each workflow's one-hour timer is
// skipped); the resuming one starts 365 days ahead of the host's.
const ALMOST_A_YEAR_MS = 364 * 24 * 3_600_000;

if (!existsSync(fileURLToPath(new URL("node_modules/lodash/package.json", FIXTURE)))) {
  throw new Error("tests/fixtures/determinism/node_modules is missing: run `npm ci --prefix tests/fixtures/determinism` (scripts/test.mjs does it)");
}

const quiet = (errors: string[] = []): Logger => ({
  log: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: (message: string) => void errors.push(message),
});

function child(mode: "record" | "resume", directory: string, zone: string): Record<string, any> {
  // Under Deno, process.execPath is the deno binary, which needs `run`.
  const [command, args] = isDeno
    ? [process.execPath, ["run", "-A", CHILD, mode, directory]]
    : [process.execPath, [...process.execArgv, CHILD, mode, directory]];
  const result = spawnSync(command, args, { env: { ...process.env, TZ: zone }, encoding: "utf8", timeout: 300_000 });
  assert.equal(result.status, 0, `${mode} in ${zone} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout);
}

test("every package imports and runs by default, and replays to the same values and events a year later in another time zone", () => {
  const directory = mkdtempSync(join(tmpdir(), "wfs-determinism-"));
  try {
    const recorded = child("record", directory, "America/Los_Angeles");
    const resumed = child("resume", directory, "Asia/Kolkata");
    assert.equal(recorded.zone, "America/Los_Angeles");
    assert.match(resumed.zone, /^Asia\/(Kolkata|Calcutta)$/);
    for (const file of Object.keys(PACKAGES)) {
      const { echoes, history, envTime } = recorded.out[file];
      const { result, history: replayed, envTime: resumedAt } = resumed.out[file];
      assert.ok(resumedAt - envTime >= ALMOST_A_YEAR_MS, `${file}: the resuming worker's clock is a year later`);
      // Computed again while the history replayed: the same values as the first execution.
      assert.deepEqual(result.first, echoes[0], `${file}: first task replayed to other values`);
      assert.deepEqual(result.echoedFirst, echoes[0], file);
      assert.deepEqual(result.second, echoes[1], `${file}: task after the timer replayed to other values`);
      assert.deepEqual(result.echoedSecond, echoes[1], file);
      // The same events, then the signal and the completion.
      assert.deepEqual(replayed.slice(0, history.length), history, `${file}: history changed`);
      assert.deepEqual(replayed.slice(history.length), ["WorkflowExecutionSignaled", "WorkflowTaskCompleted", "WorkflowExecutionCompleted"]);
    }
    // The values do depend on time and the seed: two tasks an hour apart differ.
    assert.notDeepEqual(recorded.out.lodash.echoes[0].now, recorded.out.lodash.echoes[1].now);
    assert.equal(recorded.out.luxon.echoes[0].zone, "UTC");
    assert.equal(recorded.out.luxon.echoes[0].parsed, "2024-03-10T02:30:00.000+00:00");
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

/** What strict mode for all code does to a package workflow: where it failed, and with which rule. */
async function strictOutcome(file: string, type: string): Promise<{ phase: "import" | "run" | "none"; code?: string; rule?: string }> {
  const env = await WorkflowEnvironment.startTimeSkipping();
  try {
    let worker: Worker;
    try {
      worker = await Worker.create(env, {
        taskQueue: `strict-${file}`,
        workflowsPath: new URL(`workflows/${file}.ts`, FIXTURE),
        activities: { echo: (value: unknown) => value },
        determinism: STRICT,
        deadlockTimeoutMs: 60_000,
        logger: quiet(),
      });
    } catch (error) {
      assert.ok(WorkflowValidationError.is(error), String(error));
      const cause = (error as { cause?: { code?: string; rule?: string } }).cause;
      return { phase: "import", code: cause?.code, rule: cause?.rule };
    }
    return await worker.runUntil(async () => {
      const handle = await env.client.startWorkflow(type, { id: `strict-${file}`, taskQueue: `strict-${file}` });
      for (;;) {
        const described = await handle.describe();
        if (described.taskFailure) {
          const match = /restricted by rule '([^']+)'/.exec(described.taskFailure.message);
          return { phase: "run" as const, code: described.taskFailure.type, rule: match?.[1] };
        }
        const history = await handle.fetchHistory();
        if (history.events.some((event) => event.type === "ActivityTaskCompleted")) return { phase: "none" as const };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
  } finally {
    await env.teardown();
  }
}

test("strict mode for all code: the package workflows fail with RestrictedWorkflowAccessError, as before deterministic mode", async () => {
  const outcomes: Record<string, unknown> = {};
  for (const [file, type] of Object.entries(PACKAGES)) {
    if (file === "callers") continue;
    outcomes[file] = await strictOutcome(file, type);
  }
  const refused = (phase: string, rule: string) => ({ phase, code: phase === "import" ? "WFS_RESTRICTED" : "RestrictedWorkflowAccessError", rule });
  assert.deepEqual(outcomes, {
    lodash: refused("import", "globalThis.Date.now.__call__"),
    lodash_es: refused("import", "globalThis.Date.now.__call__"),
    immutable: refused("import", "globalThis.Math.random.__call__"),
    bignumber: refused("import", "globalThis.Math.random.__call__"),
    mathjs: refused("import", "globalThis.Math.random.__call__"),
    luxon: refused("run", "globalThis.Date.now.__call__"),
    // process.env.NODE_ENV is a constant in both modes (docs/determinism.md): immer runs.
    immer: { phase: "none" },
    yaml: refused("run", "process.env"),
    cron_parser: refused("run", "globalThis.Math.random.__call__"),
  });
});

/** Runs one workflow of workflows/one_call.ts to its result, or to its task failure. */
async function oneCall(type: string, determinism?: DeterminismOptions): Promise<{ result?: unknown; failure?: { type: string; message: string } }> {
  const env = await WorkflowEnvironment.startTimeSkipping();
  try {
    const worker = await Worker.create(env, {
      taskQueue: "one-call",
      workflowsPath: new URL("workflows/one_call.ts", FIXTURE),
      ...(determinism ? { determinism } : {}),
      deadlockTimeoutMs: 60_000,
      logger: quiet(),
    });
    return await worker.runUntil(async () => {
      const handle = await env.client.startWorkflow(type, { id: `${type}-${determinism ? "strict" : "default"}`, taskQueue: "one-call" });
      for (;;) {
        const described = await handle.describe();
        if (described.taskFailure) return { failure: { type: String(described.taskFailure.type), message: described.taskFailure.message } };
        if (described.status.name === "COMPLETED") return { result: await handle.result() };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    });
  } finally {
    await env.teardown();
  }
}

test("lodash.random(), dayjs(), uuid.v4() and nanoid() from workflow code: refused in strict mode, replay-stable by default", async () => {
  const rules: Record<string, RegExp> = {
    lodashRandom: /restricted by rule 'globalThis\.Date\.now\.__call__'/, // lodash reads the clock while it loads
    dayjsNow: /restricted by rule 'globalThis\.Date\.__new__\.\(no arguments\)'/,
    uuidV4: /restricted by rule 'globalThis\.crypto\.randomUUID\.__call__'/,
    nanoidId: /restricted by rule 'crypto\.webcrypto'/,
  };
  for (const [type, rule] of Object.entries(rules)) {
    const strict = await oneCall(type, STRICT);
    assert.equal(strict.failure?.type, "RestrictedWorkflowAccessError", `${type}: ${JSON.stringify(strict)}`);
    assert.match(strict.failure!.message, rule);
    assert.match(strict.failure!.message, /node_modules\/(lodash|dayjs|uuid|nanoid)\//, "the location is in the package");

    // By default the package gets deterministic values (their replay: the 'callers' workflow above).
    const ran = await oneCall(type);
    assert.equal(ran.failure, undefined, `${type}: ${JSON.stringify(ran.failure)}`);
    assert.ok(ran.result !== undefined && ran.result !== null, type);
  }
});

test("the workflow's own Date.now() fails its task by default, with the file:line and the fix", async () => {
  const { failure } = await oneCall("ownClock");
  assert.equal(failure?.type, "RestrictedWorkflowAccessError");
  assert.match(failure!.message, /one_call\.ts:\d+:\d+/);
  assert.match(failure!.message, /restricted by rule 'globalThis\.Date\.now\.__call__'/);
  assert.match(failure!.message, /Use workflow\.now\(\) instead/);
});

test("each package given substituted values is reported once per worker, and the workflow's own code never is", async () => {
  const warnings: SandboxWarning[] = [];
  const runner = new SandboxedWorkflowRunner({ onWarning: (warning) => warnings.push(warning) });
  const env = await WorkflowEnvironment.startTimeSkipping();
  try {
    const worker = await Worker.create(env, {
      taskQueue: "reports",
      workflowsPath: new URL("workflows/one_call.ts", FIXTURE),
      workflowRunner: runner,
      deadlockTimeoutMs: 60_000,
      logger: quiet(),
    });
    await worker.runUntil(async () => {
      for (const type of ["lodashRandom", "dayjsNow", "dayjsNow", "uuidV4", "nanoidId"]) {
        await env.client.executeWorkflow(type, { id: `${type}-${Math.random()}`, taskQueue: "reports" });
      }
    });
  } finally {
    await env.teardown();
  }
  const substituted = warnings.filter((warning) => warning.kind === "substituted-value");
  const keys = substituted.map((warning) => warning.rule);
  assert.equal(new Set(keys).size, keys.length, `reported twice: ${keys.join(", ")}`);
  assert.deepEqual([...new Set(substituted.map((warning) => warning.module))].sort(), ["dayjs", "lodash", "nanoid", "uuid"]);
  const dayjs = substituted.find((warning) => warning.module === "dayjs" && warning.source === "clock")!;
  assert.match(dayjs.message, /^dayjs read the clock at dayjs\.min\.js:\d+ and got workflow time$/);
  assert.match(dayjs.location!, /node_modules\/dayjs\/dayjs\.min\.js:\d+:\d+$/);
});

test("a worker's determinism option is refused beside a custom runner, and checked", async () => {
  const env = await WorkflowEnvironment.startTimeSkipping();
  try {
    await assert.rejects(
      Worker.create(env, { taskQueue: "q", workflowsPath: new URL("workflows/one_call.ts", FIXTURE), workflowRunner: new SandboxedWorkflowRunner(), determinism: {} }),
      /both 'determinism' and 'workflowRunner'.*\(WFS_INVALID_OPTION\)/,
    );
    await assert.rejects(
      Worker.create(env, { taskQueue: "q", workflowsPath: new URL("workflows/one_call.ts", FIXTURE), determinism: { timeZone: "Mars/Olympus" } }),
      /Invalid option 'determinism' of Worker\.create\(\): .*'timeZone'/,
    );
  } finally {
    await env.teardown();
  }
  await assert.rejects(
    Replayer.replayWorkflow([], { workflowsPath: new URL("workflows/one_call.ts", FIXTURE), workflowRunner: new SandboxedWorkflowRunner(), determinism: {} }),
    /Replayer\.replayWorkflow\(\) was given both 'determinism' and 'workflowRunner'/,
  );
  assert.equal(SandboxRestrictions.default.withDeterminism(STRICT).determinism.otherPackages, "strict");
});

test.run();
