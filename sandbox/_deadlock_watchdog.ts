/**
 * The deadlock guard's watchdog on Node: one worker thread per process that watches a heartbeat
 * in shared memory and interrupts the main thread's JavaScript through the inspector
 * (`Session#connectToMainThread()`, `Runtime.terminateExecution`) when a guarded stretch has run
 * past its limit. The main thread pays two `Atomics` operations per stretch (measured 0.03 to
 * 0.09 µs, against 115 µs to 1 ms for a `vm` timeout, which starts a thread per call).
 *
 * The protocol, on an `Int32Array` over a `SharedArrayBuffer`:
 * - `SEQ`: odd while a stretch runs (a new odd number per stretch), even between stretches. The
 *   main thread ends a stretch with a compare-and-exchange from its odd number; the watchdog claims
 *   a stretch with a compare-and-exchange from the same number to `CLAIMED`. Exactly one wins, so
 *   an interruption is requested only for a stretch the main thread has not ended, and a stretch
 *   that ends just after the claim knows that an interruption is on its way and absorbs it.
 * - `BUDGET`: the running stretch's limit, in milliseconds.
 * - `DONE`: the claimed stretch's number once the interruption has landed (the inspector answers
 *   `Runtime.terminateExecution` after V8 cancelled the termination).
 * - `READY`: 1 once the watchdog runs (it connects its inspector session only to interrupt).
 * - `START`: when the running stretch started, on the main thread's `performance.now()` clock in
 *   whole milliseconds modulo `CLOCK_WRAP` (the watchdog converts with both threads'
 *   `performance.timeOrigin`).
 *
 * Before it interrupts, the watchdog asks the main thread for its stack a few times
 * (`Runtime.evaluate`, which runs in an interrupt on top of the stuck code) and posts them on
 * `port`: the guard reads them with `receiveMessageOnPort` to say where the workflow was stuck.
 * @module
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";

export const SEQ = 0;
export const BUDGET = 1;
export const DONE = 2;
export const READY = 3;
/** When the running stretch started: the main thread's `performance.now()`, in whole milliseconds. */
export const START = 4;
/** `START` is the main thread's clock modulo this (2^30 ms, 12 days): it fits an `Int32`. */
export const CLOCK_WRAP = 2 ** 30;
/** `SEQ` of a stretch the watchdog claimed: even, so the watchdog itself treats it as idle. */
export const CLAIMED = -2;

/** How often the watchdog looks at an idle heartbeat, in milliseconds (detection is at most this late). */
const IDLE_TICK_MS = 100;
/** Stacks the watchdog reads before it interrupts, 1 ms apart. */
const STACK_SAMPLES = 4;

// CommonJS, evaluated by the worker thread (`eval: true`): no loader hooks run there.
const WATCHDOG_SOURCE = `
"use strict";
const { workerData } = require("node:worker_threads");
const { Session } = require("node:inspector");
const { state, port, where, origin } = workerData;
const hb = new Int32Array(state);
const [SEQ, BUDGET, DONE, READY, START, CLAIMED, TICK, SAMPLES, CLOCK_WRAP] =
  [${SEQ}, ${BUDGET}, ${DONE}, ${READY}, ${START}, ${CLAIMED}, ${IDLE_TICK_MS}, ${STACK_SAMPLES}, ${CLOCK_WRAP}];
// The main thread's performance.now(), read here.
const mainNow = () => performance.timeOrigin + performance.now() - origin;
// Connected only while interrupting: a session left connected makes Node print "Waiting for the
// debugger to disconnect..." when the process exits through process.exit() or an uncaught error.
// Connect once to learn that it can (no inspector, or a permission model refusing it, throws here,
// and the guard keeps its vm mechanism).
const probe = new Session();
probe.connectToMainThread();
probe.disconnect();
Atomics.store(hb, READY, 1);
function tick() {
  const seq = Atomics.load(hb, SEQ);
  let wait = TICK;
  if ((seq & 1) === 1) {
    // Both clocks modulo 2^30 ms (12 days), so a long-running process never wraps an Int32.
    const elapsed = (((mainNow() % CLOCK_WRAP) - Atomics.load(hb, START)) + CLOCK_WRAP) % CLOCK_WRAP;
    const left = Atomics.load(hb, BUDGET) - elapsed;
    if (left <= 0) {
      if (Atomics.compareExchange(hb, SEQ, seq, CLAIMED) === seq) return interrupt(seq);
    } else {
      wait = Math.min(TICK, Math.ceil(left));
    }
  }
  setTimeout(tick, wait);
}
function interrupt(seq) {
  // The inspector's answers do not keep this thread's event loop alive; a timer does.
  const alive = setInterval(() => {}, 1000);
  const session = new Session();
  session.connectToMainThread();
  const stacks = [];
  // A few samples: one may land between two of the workflow's microtasks, with no frame of its own.
  const sample = () => session.post("Runtime.evaluate", { expression: where, returnByValue: true }, (error, answer) => {
    const stack = error ? undefined : answer && answer.result && answer.result.value;
    if (typeof stack === "string") stacks.push(stack);
    if (stacks.length < SAMPLES && !error) return setTimeout(sample, 1);
    port.postMessage({ seq, stacks });
    terminate(session, seq, 0, alive);
  });
  sample();
}
function terminate(session, seq, attempt, alive) {
  session.post("Runtime.terminateExecution", (error) => {
    // Refused only while an earlier termination is in progress: ask again shortly.
    if (error && attempt < 50) return setTimeout(() => terminate(session, seq, attempt + 1, alive), 10);
    session.disconnect();
    clearInterval(alive);
    Atomics.store(hb, DONE, seq);
    Atomics.notify(hb, DONE);
    setTimeout(tick, 0);
  });
}
tick();
`;

/** The main thread's side of the watchdog. */
export interface Watchdog {
  /** The shared heartbeat. */
  readonly heartbeat: Int32Array;
  /** Whether the worker thread is connected and watching. */
  ready(): boolean;
  /** Whether the worker thread failed to start or stopped. */
  failed(): boolean;
  /** The stacks the watchdog read before interrupting stretch `seq` (none if it could not). */
  takeStacks(seq: number): string[];
}

/**
 * Starts the watchdog thread; `undefined` when the runtime refuses (no inspector, a permission
 * model without `--allow-worker`, ...). It connects in the background: until `ready()`, the
 * guard uses its `vm` mechanism.
 *
 * @example
 * ```ts
 * import { startWatchdog } from "./_deadlock_watchdog.ts";
 * const watchdog = startWatchdog('globalThis[Symbol.for("where")]()');
 * ```
 */
export function startWatchdog(whereExpression: string): Watchdog | undefined {
  let worker: Worker;
  let port: MessagePort;
  const heartbeat = new Int32Array(new SharedArrayBuffer(8 * Int32Array.BYTES_PER_ELEMENT));
  try {
    const channel = new MessageChannel();
    port = channel.port1;
    worker = new Worker(WATCHDOG_SOURCE, {
      eval: true,
      // Not the host's --import/--require preloads (a loader, an APM agent): the watchdog needs none.
      execArgv: [],
      workerData: { state: heartbeat.buffer, port: channel.port2, where: whereExpression, origin: performance.timeOrigin },
      transferList: [channel.port2],
      // A small isolate: it holds a few closures.
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2, stackSizeMb: 1 },
      stdout: false,
      stderr: false,
    });
  } catch {
    return undefined;
  }
  let failed = false;
  worker.on("error", () => (failed = true));
  worker.on("exit", () => (failed = true));
  worker.unref();
  port.unref();
  return {
    heartbeat,
    ready: () => !failed && Atomics.load(heartbeat, READY) === 1,
    failed: () => failed,
    takeStacks(seq: number): string[] {
      let stacks: string[] = [];
      for (let message = receiveMessageOnPort(port); message !== undefined; message = receiveMessageOnPort(port)) {
        const data = message.message as { seq: number; stacks: string[] };
        if (data.seq === seq) stacks = data.stacks;
      }
      return stacks;
    },
  };
}
