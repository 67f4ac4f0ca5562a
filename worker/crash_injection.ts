/**
 * Crash injection: kill the process right after a named persistence step is durable, so tests can
 * stop a worker at every step deterministically and check what a restart recovers.
 *
 * Set `WORKFLOW_SANDBOX_CRASH_AFTER=<step>[:<n>]` (for example `append:3` or `timer-fire`): the
 * `n`-th time (default the first) a history store reaches `<step>`, after its fsync, the process
 * writes one line to stderr and dies with SIGKILL, so no `finally`, `exit` handler or buffered write
 * runs, as in a power cut after the disk acknowledged the write.
 *
 * @module
 */

import { writeSync } from "node:fs";
import { codedError } from "../sandbox/coded_error.ts";

/**
 * The persistence steps a history store reports, with what is durable when each is reached. The
 * first rows are reported by the store itself; the others are labels the worker gives a write
 * (`AppendBatch.step`) so a test can name the step it means instead of counting appends. A write
 * with a label reaches both `append` and its label. Adding a step means adding a row.
 *
 * @example
 * ```ts
 * import { PERSISTENCE_STEPS } from "./crash_injection.ts";
 *
 * for (const step of Object.keys(PERSISTENCE_STEPS)) console.log(step);
 * ```
 */
export const PERSISTENCE_STEPS = {
  lock: "the store's lock file is written and flushed",
  start: "a new execution (a new workflow id, or a new run of a closed one) is flushed",
  append: "any batch of events and bookkeeping is flushed (counted across all labels)",
  recover: "a torn record at the end of a history file was dropped and the file flushed, on open",
  "workflow-task-complete": "a workflow task's commands (scheduled activities, timers, markers, completion) are flushed",
  "workflow-task-fail": "a failed workflow task's attempt, message and next retry time are flushed",
  "activity-complete": "an activity's final result (completed, failed or cancelled) is flushed",
  "activity-retry": "a failed activity attempt and its next retry time are flushed",
  "timer-fire": "a timer's fired event is flushed and the timer removed",
  signal: "a received signal is flushed",
  "cancel-request": "a cancellation request is flushed",
  terminate: "a termination is flushed",
  "continue-as-new": "a run closed as continued-as-new and its next run are flushed together",
} as const;

/**
 * The name of a persistence step: a key of {@linkcode PERSISTENCE_STEPS}.
 *
 * @example
 * ```ts
 * import type { PersistenceStep } from "./crash_injection.ts";
 *
 * const step: PersistenceStep = "timer-fire";
 * ```
 */
export type PersistenceStep = keyof typeof PERSISTENCE_STEPS;

/**
 * The environment variable read by {@linkcode createCrashInjector}.
 *
 * @example
 * ```ts
 * import { CRASH_AFTER_ENV } from "./crash_injection.ts";
 *
 * console.log(`${CRASH_AFTER_ENV}=append:2`);
 * ```
 */
export const CRASH_AFTER_ENV = "WORKFLOW_SANDBOX_CRASH_AFTER";

/**
 * What a store calls after each durable step.
 *
 * @example
 * ```ts
 * import { createCrashInjector } from "./crash_injection.ts";
 *
 * const crash = createCrashInjector({ value: "" });
 * crash.reached("append"); // never dies: crash injection is off
 * ```
 */
export interface CrashInjector {
  /** The step and occurrence the process dies after, or `undefined` when injection is off. */
  readonly target: { readonly step: PersistenceStep; readonly occurrence: number } | undefined;
  /** Reports that `step` is durable; dies if this is the targeted occurrence. */
  reached(step: PersistenceStep): void;
}

/**
 * Options of {@linkcode createCrashInjector}.
 *
 * @example
 * ```ts
 * import { createCrashInjector, type CreateCrashInjectorOptions } from "./crash_injection.ts";
 *
 * const options: CreateCrashInjectorOptions = { value: "append:2", kill: (step) => console.log(step) };
 * createCrashInjector(options);
 * ```
 */
export interface CreateCrashInjectorOptions {
  /**
   * The setting, `<step>[:<n>]`; empty means off.
   * @default the value of the `WORKFLOW_SANDBOX_CRASH_AFTER` environment variable
   */
  value?: string;
  /**
   * Called instead of killing the process, for testing the injector itself.
   * @default writes a line to stderr, then SIGKILLs the process (exit code 137 where a signal cannot be sent)
   */
  kill?: (step: PersistenceStep, occurrence: number) => void;
}

/**
 * Creates a crash injector from `WORKFLOW_SANDBOX_CRASH_AFTER` (or `options.value`). Counters live
 * in the injector, so each store counts its own steps. An unknown step name throws at once, so a
 * typo fails the test instead of silently never crashing.
 *
 * @example
 * ```ts
 * import { createCrashInjector } from "./crash_injection.ts";
 *
 * const seen: string[] = [];
 * const crash = createCrashInjector({ value: "append:2", kill: (step, n) => seen.push(`${step}:${n}`) });
 * crash.reached("append");
 * crash.reached("append"); // the second append "dies"
 * console.log(seen); // ["append:2"]
 * ```
 */
export function createCrashInjector(options: CreateCrashInjectorOptions = {}): CrashInjector {
  const value = options.value ?? readCrashSetting();
  const target = parseCrashSetting(value);
  const kill = options.kill ?? killNow;
  const counts = new Map<PersistenceStep, number>();
  return {
    target,
    reached(step) {
      if (target === undefined || step !== target.step) return;
      const count = (counts.get(step) ?? 0) + 1;
      counts.set(step, count);
      if (count === target.occurrence) kill(step, count);
    },
  };
}

function readCrashSetting(): string {
  try {
    return process.env[CRASH_AFTER_ENV] ?? "";
  } catch {
    // Deno without --allow-env throws NotCapable on reading a variable: no permission means no
    // test harness set it, so injection is off.
    return "";
  }
}

function parseCrashSetting(value: string): CrashInjector["target"] {
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  const match = /^([a-z-]+)(?::(\d+))?$/.exec(trimmed);
  const step = match?.[1];
  const steps = Object.keys(PERSISTENCE_STEPS);
  if (match === null || step === undefined || !steps.includes(step)) {
    throw codedError(Error, {
      code: "WFS_INVALID_OPTION",
      message: `Cannot enable crash injection: ${CRASH_AFTER_ENV} is '${value}', which does not name a persistence step`,
      hint: `Set it to '<step>' or '<step>:<n>' with a step among ${steps.map((s) => `'${s}'`).join(", ")}`,
    }, { option: CRASH_AFTER_ENV });
  }
  const occurrence = match[2] === undefined ? 1 : Number(match[2]);
  if (occurrence < 1) {
    throw codedError(Error, {
      code: "WFS_INVALID_OPTION",
      message: `Cannot enable crash injection: ${CRASH_AFTER_ENV} is '${value}', whose occurrence must be 1 or more`,
      hint: `Use '${step}' or '${step}:1' for the first time the step is reached`,
    }, { option: CRASH_AFTER_ENV });
  }
  return { step: step as PersistenceStep, occurrence };
}

function killNow(step: PersistenceStep, occurrence: number): void {
  // writeSync, not console.error: the line must reach the parent before the signal, and a
  // console stream may buffer it (it is asynchronous for pipes on Node).
  try {
    writeSync(2, `workflow-sandbox: crash injected after step '${step}' (occurrence ${occurrence}) by ${CRASH_AFTER_ENV}\n`);
  } catch {
    // stderr closed: die anyway.
  }
  try {
    process.kill(process.pid, "SIGKILL");
  } catch {
    // Deno without --allow-run cannot signal itself; the exit below stops the process instead.
  }
  // kill() of the calling process delivers SIGKILL before returning, so this is only reached when
  // the signal could not be sent. 137 is 128 + SIGKILL, what a shell reports for a killed process.
  process.exit(137);
}
