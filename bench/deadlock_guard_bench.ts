// The deadlock guard's cost, in one run on one runtime: what each candidate mechanism costs per
// guarded call (the measurements docs/design.md records), then what the guard the runners use
// costs per activation at the batch sizes the worker produces (1: a sequential workflow; 8 and
// 64: many workflows in flight), against the same stretches with the guard off.
//
//   node --conditions=workflow-sandbox-source --import ./dist/register.js bench/deadlock_guard_bench.ts
//   deno run -A bench/deadlock_guard_bench.ts
//
// Medians of 9 rounds. On a busy machine the `vm` timeout's thread start varies most.
import process from "node:process";
import { setImmediate } from "node:timers";
import vm from "node:vm";
import { drainMicrotasks, interruptsFromThread, runtimeName } from "../loader/runtime.ts";
import { runStretch, startDeadlockGuard } from "../sandbox/deadlock_guard.ts";
import { median, us } from "./_stats.ts";

const ROUNDS = 9;
const quick = process.argv.includes("--quick");
const slot = Symbol.for("workflow-sandbox.bench.guard-job");
const script = new vm.Script(`globalThis[Symbol.for("workflow-sandbox.bench.guard-job")]()`);
const host = globalThis as Record<symbol, unknown>;
const heartbeat = new Int32Array(new SharedArrayBuffer(16));
const noop = () => {};
let counter = 0;
const job = () => {
  counter++;
};

/** Per-call candidates: the body of one guarded call, each with a trivial job. */
const candidates: [string, () => void][] = [
  ["plain call (no guard)", () => job()],
  ["vm runInThisContext, no options", () => {
    host[slot] = job;
    script.runInThisContext();
  }],
  ["vm runInThisContext { timeout }", () => {
    host[slot] = job;
    script.runInThisContext({ timeout: 2000 });
  }],
  ...(interruptsFromThread
    ? [["vm runInThisContext { breakOnSigint }", () => {
      host[slot] = job;
      script.runInThisContext({ breakOnSigint: true });
    }] as [string, () => void]]
    : []),
  ["Atomics heartbeat (2 stores)", () => {
    Atomics.add(heartbeat, 0, 1);
    job();
    Atomics.add(heartbeat, 0, 1);
  }],
  ...(drainMicrotasks
    ? [
      ["microtask checkpoint (job as a reaction, drained)", () => {
        Promise.resolve().then(job);
        drainMicrotasks!();
      }] as [string, () => void],
      ["heartbeat + checkpoint (the watchdog's stretch)", () => {
        Atomics.add(heartbeat, 0, 1);
        Promise.resolve().then(job);
        drainMicrotasks!();
        Atomics.add(heartbeat, 0, 1);
      }] as [string, () => void],
      ["vm { timeout } + checkpoint (the vm stretch)", () => {
        host[slot] = () => {
          job();
          Promise.resolve().then(noop);
          drainMicrotasks!();
        };
        script.runInThisContext({ timeout: 2000 });
      }] as [string, () => void],
    ]
    : []),
];

/** µs per call of `fn`, `n` calls in one macrotask (where a checkpoint may run). */
function perCall(fn: () => void, n: number): Promise<number> {
  return new Promise((resolve) =>
    setImmediate(() => {
      const start = performance.now();
      for (let i = 0; i < n; i++) fn();
      resolve((performance.now() - start) * 1000 / n);
    })
  );
}

/** µs per stretch: `batches` times, `size` stretches queued at once, awaited together. */
async function perStretch(size: number, batches: number, timeoutMs: number): Promise<number> {
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < size; i++) pending.push(runStretch(job, { timeoutMs }));
    await Promise.all(pending);
  }
  return (performance.now() - start) * 1000 / (size * batches);
}

console.log(`deadlock guard bench, ${runtimeName}`);
console.log("");
console.log("Per guarded call (a trivial job), median of 9 rounds:");
for (const [name, fn] of candidates) {
  const slow = name.includes("timeout") || name.includes("Sigint");
  const n = quick ? (slow ? 50 : 2000) : (slow ? 500 : 20_000);
  await perCall(fn, Math.min(n, 100));
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await perCall(fn, n));
  console.log(`  ${name.padEnd(50)} ${us(median(rounds)).padStart(10)}`);
}

const mechanism = await startDeadlockGuard();
console.log("");
console.log(`The guard the runners use (mechanism: ${mechanism}), per activation, guard on minus guard off:`);
console.log("  batch   guard off     guard on    guard cost");
for (const size of [1, 8, 64]) {
  const total = quick ? 2_000 : 20_000;
  const batches = Math.max(1, Math.round(total / size));
  await perStretch(size, Math.min(batches, 50), 2000);
  const off: number[] = [];
  const on: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    off.push(await perStretch(size, batches, 0));
    on.push(await perStretch(size, batches, 2000));
  }
  const [offUs, onUs] = [median(off), median(on)];
  console.log(`  ${String(size).padStart(5)}  ${us(offUs).padStart(10)}  ${us(onUs).padStart(10)}  ${us(onUs - offUs).padStart(12)}`);
}
void counter;
