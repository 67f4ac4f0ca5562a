/**
 * The deadlock guard. Workflow code runs in *guarded stretches*: one call, then every microtask it
 * queued, drained synchronously inside the stretch (loader/runtime.ts `drainMicrotasks`), so a
 * stretch ends when the workflow is quiescent. A loop in the call, in a microtask, after an
 * `await`, in a signal or query handler or in a module's top-level code is inside a stretch, and a
 * stretch that runs past its limit is interrupted (V8's TerminateExecution). Only a stretch's own
 * time counts: the engine's and the store's work between stretches (a synchronous flush, another
 * workflow's I/O) never does.
 *
 * Stretches run from a macrotask (a `setImmediate` callback, where Node and Deno both allow a
 * microtask checkpoint; inside a microtask V8 makes it a no-op), one after the other, each after
 * the host's own pending microtasks have run unguarded. An interrupted stretch skipped its
 * `finally` blocks and lost the microtasks it had queued: the caller gets a `DeadlockError` and
 * must discard the run (the runners do; the worker rebuilds it by replay).
 *
 * How a stretch is interrupted, per runtime (measured candidates in docs/design.md):
 * - **watchdog** (Node): a heartbeat in shared memory, two `Atomics` operations per stretch, and a
 *   worker thread that interrupts through the inspector (./_deadlock_watchdog.ts). The stretch's
 *   call runs as a promise reaction inside the stretch's microtask checkpoint, where V8's inspector
 *   cancels the termination when the checkpoint ends: it never reaches the host code around it.
 * - **vm** (Deno; Node until the watchdog is connected, or where it cannot start): `vm` `timeout`
 *   around the stretches queued at once, up to {@link VM_BATCH_MS} of them per call, since each
 *   call costs a thread (9 to 35 µs on Deno, 115 µs to 1 ms on Node).
 * - **synchronous only** (a runtime without `drainMicrotasks`): `vm` `timeout` around the call; its
 *   microtasks run after the stretch, unguarded (docs/known-limits.md, "Deadlock guard").
 * @module
 */
import { AsyncResource, executionAsyncId } from "node:async_hooks";
import process from "node:process";
import { setImmediate, setTimeout } from "node:timers";
import vm from "node:vm";
import { drainMicrotasks, interruptsFromThread, terminationUnbalancesAsyncContext } from "../loader/runtime.ts";
import { codedError } from "./coded_error.ts";
import { enterRun, type RunSlotValue } from "./current_run.ts";
import { captureStackTrace } from "./host_intrinsics.ts";
import { type DeadlockPhase, deadlockError } from "./deadlock_error.ts";
import { BUDGET, CLOCK_WRAP, DONE, SEQ, START, startWatchdog, type Watchdog } from "./_deadlock_watchdog.ts";

const SLOT = Symbol.for("workflow-sandbox.deadlock-guard.job");
const WHERE = Symbol.for("workflow-sandbox.deadlock-guard.where");
const host = globalThis as Record<symbol, unknown>;
const HostError = Error;
const then = Promise.prototype.then;
const RESOLVED = Promise.resolve();
const perfNow = performance.now.bind(performance);
// Defined when the module loads, before any mutation-report snapshot: created during the first
// activation, the slots were reported as writes to the shared global.
host[SLOT] ??= undefined;
// What the watchdog evaluates on the main thread, in an interrupt on top of the stuck code.
host[WHERE] ??= () => {
  const limit = HostError.stackTraceLimit;
  HostError.stackTraceLimit = 64;
  try {
    const holder: { stack?: string } = {};
    captureStackTrace?.(holder);
    return holder.stack;
  } finally {
    HostError.stackTraceLimit = limit;
  }
};
const script = new vm.Script(`globalThis[Symbol.for("workflow-sandbox.deadlock-guard.job")]()`, {
  filename: "workflow-sandbox:deadlock-guard",
});

/** Whether stretches drain their microtasks themselves (false: the caller waits a macrotask). */
export const drainsMicrotasks: boolean = drainMicrotasks !== undefined;

/**
 * The most time the `vm` mechanism spends starting further stretches in one guarded call, in
 * milliseconds: a stretch started later than this in the call would have less than its limit.
 */
export const VM_BATCH_MS = 10;

/** Options of {@link runStretch}. */
export interface StretchOptions {
  /** Interrupt the stretch after this many milliseconds; 0 or undefined: no limit (debug mode). */
  readonly timeoutMs?: number;
  /** The current-run slot during the stretch. */
  readonly run?: RunSlotValue;
  /** The workflow type, for the error. */
  readonly workflow?: string;
  /** What the stretch runs ("its modules' top-level code", ...), for the error; read when it is interrupted. */
  readonly during?: string | (() => string | undefined);
  /** The workflow position (`file:line:col`) in the stack of interrupted code. */
  readonly locate?: (stack: string) => string | undefined;
}

/** What a stretch did. */
export interface StretchResult<T> {
  readonly value: T;
  /** Time spent in the stretch (its call and its microtasks), in milliseconds. */
  readonly elapsedMs: number;
}

interface Stretch {
  readonly fn: () => unknown;
  readonly options: StretchOptions;
  readonly resolve: (result: StretchResult<unknown>) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
}

type Outcome =
  | { readonly kind: "ok"; readonly value: unknown; readonly elapsedMs: number }
  | { readonly kind: "threw"; readonly error: unknown }
  | { readonly kind: "interrupted"; readonly phase: DeadlockPhase; readonly stacks: readonly string[] };

const queue: Stretch[] = [];
let armed = false;
let watchdog: Watchdog | undefined;
let watchdogTried = false;
let seq = 1;
// The context the guard re-arms in after restoring Node's async context stack (module load time:
// no workflow's and no request's context).
const hostScope = terminationUnbalancesAsyncContext ? new AsyncResource("WorkflowSandboxDeadlockGuard") : undefined;

/**
 * Runs `fn` as one guarded stretch: in a macrotask, with its microtasks drained, interrupted after
 * `options.timeoutMs`. Resolves with what `fn` returned and the time the stretch took; rejects with
 * what `fn` threw, or with a `DeadlockError` when it was interrupted (the run must then be
 * discarded).
 *
 * @example
 * ```ts
 * import { runStretch } from "./deadlock_guard.ts";
 * const { value } = await runStretch(() => 1 + 1, { timeoutMs: 100 }); // 2
 * await runStretch(() => { for (;;) {} }, { timeoutMs: 100 }).catch((e) => e.code); // "WFS_DEADLOCK"
 * ```
 */
export function runStretch<T>(fn: () => T, options: StretchOptions = {}): Promise<StretchResult<T>> {
  return new Promise<StretchResult<T>>((resolve, reject) => {
    queue.push({ fn, options, resolve: resolve as (result: StretchResult<unknown>) => void, reject, settled: false });
    if (!armed) {
      armed = true;
      setImmediate(runQueue);
    }
  });
}

/**
 * Runs the queued stretches (the immediate's callback). `armed` stays set meanwhile: a stretch
 * queued by the host code it drains (the continuation of the previous one: an activation, then
 * the `workflow.condition` checks after it) runs in the same callback, without another turn of the
 * event loop.
 */
function runQueue(): void {
  const started = perfNow();
  const outer = terminationUnbalancesAsyncContext ? executionAsyncId() : 0;
  let ran = 0;
  try {
    for (;;) {
      // The host's pending microtasks first, unguarded: continuations of earlier stretches (which
      // may queue the next one), the store's, the client's.
      drainMicrotasks?.();
      if (queue.length === 0) break;
      const timeoutMs = queue[0]!.options.timeoutMs ?? 0;
      const mechanism = mechanismFor(timeoutMs);
      const batch = mechanism === "vm" ? takeBatch(timeoutMs) : [queue.shift()!];
      const outcomes = mechanism === "watchdog"
        ? [runWatched(batch[0]!, timeoutMs)]
        : mechanism === "vm"
        ? runVmBatch(batch, timeoutMs)
        : [mechanism === "sync" ? runSyncOnly(batch[0]!, timeoutMs) : runPlain(batch[0]!)];
      const interrupted = outcomes.some((outcome) => outcome.kind === "interrupted");
      if (interrupted && terminationUnbalancesAsyncContext && executionAsyncId() !== outer) {
        // Node's async context stack still holds the interrupted reaction's entry.
        hostScope!.runInAsyncScope(() => batch.forEach((stretch, i) => settle(stretch, outcomes[i]!, timeoutMs)));
        restoreAsyncContext();
      }
      batch.forEach((stretch, i) => settle(stretch, outcomes[i]!, timeoutMs));
      ran += batch.length;
      // Leave the event loop its turn (timers, I/O) now and then.
      if (ran >= 64 || perfNow() - started > 20) break;
    }
  } finally {
    armed = queue.length > 0;
    if (armed) {
      if (hostScope !== undefined) hostScope.runInAsyncScope(() => setImmediate(runQueue));
      else setImmediate(runQueue);
    }
  }
}

function mechanismFor(timeoutMs: number): "plain" | "watchdog" | "vm" | "sync" {
  if (!timeoutMs) return "plain";
  if (drainMicrotasks === undefined) return "sync";
  tryWatchdog();
  return watchdog?.ready() ? "watchdog" : "vm";
}

function tryWatchdog(): void {
  if (!interruptsFromThread || watchdogTried) return;
  watchdogTried = true;
  watchdog = startWatchdog(`globalThis[Symbol.for("workflow-sandbox.deadlock-guard.where")]()`);
}

/** How the guard interrupts a stretch now. */
export type GuardMechanism = "watchdog" | "vm" | "synchronous-only";

/**
 * Starts the guard's watchdog where the runtime has one (Node) and resolves once it watches (at
 * most `waitMs` later), with the mechanism stretches use from then on. `Worker.create` calls it
 * while it loads the workflows, so the first workflow task already runs under the watchdog; until
 * it watches, stretches are guarded by a `vm` timeout instead.
 *
 * @example
 * ```ts
 * import { startDeadlockGuard } from "./deadlock_guard.ts";
 * await startDeadlockGuard(); // "watchdog" on Node, "vm" on Deno
 * ```
 */
export async function startDeadlockGuard(waitMs = 2_000): Promise<GuardMechanism> {
  if (drainMicrotasks === undefined) return "synchronous-only";
  tryWatchdog();
  const deadline = perfNow() + waitMs;
  while (watchdog !== undefined && !watchdog.ready() && !watchdog.failed() && perfNow() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return watchdog?.ready() ? "watchdog" : "vm";
}

/** The stretches at the head of the queue with the same limit (one `vm` call). */
function takeBatch(timeoutMs: number): Stretch[] {
  let count = 1;
  while (count < queue.length && (queue[count]!.options.timeoutMs ?? 0) === timeoutMs) count++;
  return queue.splice(0, count);
}

function settle(stretch: Stretch, outcome: Outcome, timeoutMs: number): void {
  if (stretch.settled) return;
  stretch.settled = true;
  if (outcome.kind === "ok") {
    stretch.resolve({ value: outcome.value, elapsedMs: outcome.elapsedMs });
  } else if (outcome.kind === "threw") {
    stretch.reject(outcome.error);
  } else {
    stretch.reject(interruptedError(stretch.options, timeoutMs, outcome.phase, outcome.stacks));
  }
}

function interruptedError(options: StretchOptions, timeoutMs: number, phase: DeadlockPhase, stacks: readonly string[]) {
  // The first sample with a frame of the workflow's own (one may have landed between microtasks).
  let frames: string | undefined;
  let location: string | undefined;
  for (const stack of stacks) {
    const these = interruptedFrames(stack);
    const here = options.locate?.(these);
    frames ??= these;
    if (here !== undefined) {
      [frames, location] = [these, here];
      break;
    }
  }
  const during = typeof options.during === "function" ? options.during() : options.during;
  const error = deadlockError(timeoutMs, phase, undefined, { workflow: options.workflow, location, during });
  // The stack of the interrupted code, not the guard's own.
  if (frames !== undefined && frames !== "") error.stack = `${error.name}: ${error.message}\n${frames}`;
  return error;
}

/** The frames of the stack the watchdog read, below its own evaluation. */
function interruptedFrames(stack: string): string {
  const lines = stack.split("\n");
  const evaluated = lines.findIndex((line) => /^\s+at <anonymous>:1:\d+$/.test(line));
  const frames = lines.slice(evaluated >= 0 ? evaluated + 1 : 2);
  // Below the stretch, the frames are the guard's and the event loop's.
  const own = frames.findIndex((line) => /runNextTicks|[\\/]sandbox[\\/]deadlock_guard\.ts:/.test(line));
  return (own >= 0 ? frames.slice(0, own) : frames).join("\n");
}

// ---- the mechanisms (each returns one outcome per stretch and never throws) ----

function runPlain(stretch: Stretch): Outcome {
  const leave = enterRun(stretch.options.run);
  const start = perfNow();
  let outcome: Outcome;
  try {
    const value = stretch.fn();
    outcome = { kind: "ok", value, elapsedMs: 0 };
  } catch (error) {
    outcome = { kind: "threw", error };
  }
  try {
    drainMicrotasks?.();
  } catch (error) {
    if (outcome.kind === "ok") outcome = { kind: "threw", error };
  } finally {
    leave();
  }
  return outcome.kind === "ok" ? { ...outcome, elapsedMs: perfNow() - start } : outcome;
}

function runWatched(stretch: Stretch, timeoutMs: number): Outcome {
  const heartbeat = watchdog!.heartbeat;
  let value: unknown;
  let error: unknown;
  let threw = false;
  let returned = false;
  const job = () => {
    try {
      value = stretch.fn();
    } catch (thrown) {
      error = thrown;
      threw = true;
    }
    returned = true;
  };
  const leave = enterRun(stretch.options.run);
  const mine = seq = (seq + 2) | 1;
  const start = perfNow();
  Atomics.store(heartbeat, BUDGET, timeoutMs);
  Atomics.store(heartbeat, START, start % CLOCK_WRAP);
  Atomics.store(heartbeat, SEQ, mine);
  then.call(RESOLVED, job);
  drainGuarded((thrown) => {
    if (!threw) {
      error = thrown;
      threw = true;
    }
  });
  const elapsedMs = perfNow() - start;
  if (Atomics.compareExchange(heartbeat, SEQ, mine, mine + 1) === mine) {
    leave();
    return threw ? { kind: "threw", error } : { kind: "ok", value, elapsedMs };
  }
  // Claimed: the interruption has landed, or lands now, inside this checkpoint (the watchdog sets
  // DONE once the inspector answered, after V8 cancelled the termination).
  then.call(RESOLVED, () => waitForDone(heartbeat, mine, 10_000));
  drainGuarded(() => {});
  // Interrupted while waiting: the answer is on its way.
  waitForDone(heartbeat, mine, 1_000);
  Atomics.store(heartbeat, DONE, 0);
  Atomics.store(heartbeat, SEQ, seq = mine + 1);
  leave();
  return { kind: "interrupted", phase: returned ? "microtasks" : "synchronous", stacks: watchdog!.takeStacks(mine) };
}

/** Blocks until the watchdog reports that stretch `mine` was interrupted, at most `ms`. */
function waitForDone(heartbeat: Int32Array, mine: number, ms: number): void {
  const deadline = perfNow() + ms;
  for (let done = Atomics.load(heartbeat, DONE); done !== mine; done = Atomics.load(heartbeat, DONE)) {
    const left = deadline - perfNow();
    if (left <= 0) return;
    Atomics.wait(heartbeat, DONE, done, left);
  }
}

/** Drains the microtask queue; an error thrown by a tick callback goes to `onError`. */
function drainGuarded(onError: (error: unknown) => void): void {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      drainMicrotasks!();
      return;
    } catch (error) {
      onError(error);
    }
  }
}

function runVmBatch(batch: readonly Stretch[], timeoutMs: number): Outcome[] {
  const outcomes: Outcome[] = [];
  let index = 0;
  let returned = false;
  let leave: (() => void) | undefined;
  const previous = host[SLOT];
  while (index < batch.length) {
    const callStart = perfNow();
    const first = index;
    host[SLOT] = () => {
      for (; index < batch.length; index++) {
        if (index > first && perfNow() - callStart >= VM_BATCH_MS) return;
        const stretch = batch[index]!;
        returned = false;
        leave = enterRun(stretch.options.run);
        const start = perfNow();
        let outcome: Outcome;
        try {
          const value = stretch.fn();
          outcome = { kind: "ok", value, elapsedMs: 0 };
        } catch (error) {
          outcome = { kind: "threw", error };
        }
        returned = true;
        drainGuarded((error) => {
          if (outcome.kind === "ok") outcome = { kind: "threw", error };
        });
        leave();
        leave = undefined;
        outcomes[index] = outcome.kind === "ok" ? { ...outcome, elapsedMs: perfNow() - start } : outcome;
      }
    };
    try {
      script.runInThisContext({ timeout: timeoutMs + VM_BATCH_MS });
    } catch (error) {
      leave?.();
      leave = undefined;
      outcomes[index] = (error as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT"
        ? { kind: "interrupted", phase: returned ? "microtasks" : "synchronous", stacks: [] }
        : { kind: "threw", error };
      index++;
    } finally {
      host[SLOT] = previous;
    }
  }
  return outcomes;
}

function runSyncOnly(stretch: Stretch, timeoutMs: number): Outcome {
  const leave = enterRun(stretch.options.run);
  const start = perfNow();
  try {
    const value = runWithDeadline(stretch.fn, timeoutMs);
    return { kind: "ok", value, elapsedMs: perfNow() - start };
  } catch (error) {
    if ((error as { code?: string })?.code === "WFS_DEADLOCK") return { kind: "interrupted", phase: "synchronous", stacks: [] };
    return { kind: "threw", error };
  } finally {
    leave();
  }
}

/**
 * After an interruption inside a promise reaction with promise hooks on, Node's async context
 * stack keeps the reaction's entry and Node aborts at the next callback's end ("async hook stack
 * has become corrupted"). The only public way to reset it is Node's own handling of an uncaught
 * exception, which empties the stack: this throws one out of the immediate, caught by a one-time
 * capture callback. `uncaughtExceptionMonitor` listeners see it (its message says why); where the
 * `domain` module refuses capture callbacks, a one-time `uncaughtException` listener catches it,
 * and the process's other `uncaughtException` listeners see it too.
 */
function restoreAsyncContext(): never {
  const error = codedError(Error, {
    code: "WFS_DEADLOCK",
    message: "workflow-sandbox interrupted a deadlocked workflow inside a promise callback while async hooks " +
      "were on, and throws this error to have Node reset its async context stack; the workflow's task " +
      "fails with DeadlockError and nothing else is affected",
    hint: "Nothing to do about this error itself; fix the workflow the DeadlockError names",
  });
  let captured = false;
  try {
    if (!process.hasUncaughtExceptionCaptureCallback()) {
      process.setUncaughtExceptionCaptureCallback((thrown) => {
        process.setUncaughtExceptionCaptureCallback(null);
        if (thrown !== error) throw thrown;
      });
      captured = true;
    }
  } catch {
    // The `domain` module, once loaded, refuses capture callbacks (ERR_DOMAIN_CANNOT_SET_UNCAUGHT_EXCEPTION_CAPTURE).
  }
  // Otherwise a one-time listener: Node then emits 'uncaughtException' to every listener.
  if (!captured) process.prependOnceListener("uncaughtException", () => {});
  throw error;
}

/**
 * Calls `fn`, interrupting its synchronous part after `timeoutMs` (no limit when undefined or 0),
 * with a `vm` timeout. Its microtasks run after it returns, unguarded; the reference worker's
 * runners use {@link runStretch}, which guards them too. Kept for the Temporal adapter, whose
 * activations follow the SDK's own call pattern.
 *
 * @example
 * ```ts
 * import { runWithDeadline } from "./deadlock_guard.ts";
 * runWithDeadline(() => 1 + 1, 100); // 2
 * ```
 */
export function runWithDeadline<T>(fn: () => T, timeoutMs: number | undefined): T {
  if (!timeoutMs) return fn();
  const previous = host[SLOT];
  host[SLOT] = fn;
  try {
    return script.runInThisContext({ timeout: timeoutMs }) as T;
  } catch (error) {
    if ((error as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
      throw deadlockError(timeoutMs, "synchronous", error);
    }
    throw error;
  } finally {
    host[SLOT] = previous;
  }
}
