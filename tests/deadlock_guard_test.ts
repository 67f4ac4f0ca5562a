// The deadlock guard on its own (sandbox/deadlock_guard.ts): a guarded stretch runs its call and
// every microtask it queued before it resolves, with the run in the current-run slot, in the order
// stretches were queued; a stretch that never yields is interrupted with DeadlockError, wherever
// the loop is, and the next stretch runs normally. The worker's view: tests/worker_deadlock_test.ts.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { isDeno } from "../loader/runtime.ts";
import { currentRun, type RunSlotValue } from "../sandbox/current_run.ts";
import { DeadlockError } from "../sandbox/deadlock_error.ts";
import { runStretch, runWithDeadline, startDeadlockGuard } from "../sandbox/deadlock_guard.ts";

const run: RunSlotValue = { importing: false, sandboxed: true, host: "guard test" };

test("a stretch drains the microtasks its call queued, with the run in the slot, before it resolves", async () => {
  const seen: unknown[] = [];
  const { value, elapsedMs } = await runStretch(() => {
    seen.push(currentRun()?.host);
    (async () => {
      await null;
      await null;
      seen.push(currentRun()?.host);
    })();
    queueMicrotask(() => seen.push("microtask"));
    return 42;
  }, { timeoutMs: 1000, run });
  assert.equal(value, 42);
  assert.ok(elapsedMs >= 0 && elapsedMs < 1000);
  assert.deepEqual(seen, ["guard test", "microtask", "guard test"], "everything ran inside the stretch");
  assert.equal(currentRun(), undefined, "the slot is restored");
});

test("stretches run in the order they were queued, guarded or not, and rethrow what their call threw", async () => {
  const order: number[] = [];
  const results = await Promise.allSettled([
    runStretch(() => order.push(1), { timeoutMs: 1000 }),
    runStretch(() => order.push(2)),
    runStretch(() => {
      throw new Error("boom");
    }, { timeoutMs: 1000 }),
    runStretch(() => order.push(4), { timeoutMs: 500 }),
  ]);
  assert.deepEqual(order, [1, 2, 4]);
  assert.equal(results[2]!.status, "rejected");
  assert.equal(((results[2] as PromiseRejectedResult).reason as Error).message, "boom");
});

for (const [name, fn, phase] of [
  ["a synchronous loop", () => {
    for (;;) {
      // never yields
    }
  }, "synchronous"],
  ["a loop after an await", () => {
    void (async () => {
      await null;
      for (;;) {
        // never yields
      }
    })();
  }, "microtasks"],
  ["a microtask that queues itself", () => {
    const again = (): void => queueMicrotask(again);
    again();
  }, "microtasks"],
] as const) {
  test(`${name} is interrupted with DeadlockError (${phase}), and the next stretch runs normally`, async () => {
    await startDeadlockGuard();
    const started = Date.now();
    const error = await runStretch(fn, { timeoutMs: 100, run, workflow: "spinner" }).then(() => undefined, (e) => e);
    const took = Date.now() - started;
    assert.ok(DeadlockError.is(error), String(error));
    assert.equal(error.phase, phase);
    assert.equal(error.workflow, "spinner");
    assert.match(error.message, /^Potential deadlock: (the microtasks of )?workflow 'spinner'/);
    assert.ok(took < 1100, `within the limit plus one second (${took} ms)`);
    assert.equal(currentRun(), undefined, "the slot is restored after an interruption");
    const after: string[] = [];
    const { value } = await runStretch(() => {
      Promise.resolve().then(() => after.push("microtask"));
      return "next";
    }, { timeoutMs: 100 });
    assert.equal(value, "next");
    assert.deepEqual(after, ["microtask"], "microtasks work again");
  });
}

test("the interrupted code's stack is read where the runtime allows (Node's watchdog), for the error's location", async () => {
  const mechanism = await startDeadlockGuard();
  assert.equal(mechanism, isDeno ? "vm" : "watchdog");
  let seen: string | undefined;
  const error = await runStretch(function spinsHere() {
    for (;;) {
      // never yields
    }
  }, { timeoutMs: 100, locate: (stack) => (seen = stack, "/app/workflows.ts:1:1") }).then(() => undefined, (e) => e);
  assert.ok(DeadlockError.is(error));
  if (isDeno) {
    assert.equal(seen, undefined);
    assert.equal(error.location, undefined);
  } else {
    assert.match(seen ?? "", /at (Object\.)?spinsHere /);
    assert.equal(error.location, "/app/workflows.ts:1:1");
    assert.match(error.message, / at \/app\/workflows\.ts:1:1\. /);
    assert.match(error.stack ?? "", /^DeadlockError: [^\n]*\n\s+at (Object\.)?spinsHere /, "the stack is the interrupted code's");
  }
});

test("runWithDeadline (the Temporal adapter's guard) interrupts a synchronous call", () => {
  assert.equal(runWithDeadline(() => 7, 100), 7);
  assert.throws(() =>
    runWithDeadline(() => {
      for (;;) {
        // never yields
      }
    }, 100), (error: unknown) => DeadlockError.is(error) && (error as DeadlockError).phase === "synchronous");
});

test.run();
