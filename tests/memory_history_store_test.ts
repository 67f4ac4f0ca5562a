import assert from "node:assert/strict";
import { test } from "uvu";
import { HistoryStoreError } from "../worker/history_store.ts";
import { type HistoryChange, MemoryHistoryStore } from "../worker/memory_history_store.ts";
import { addHistoryStoreContract } from "./_history_store_contract.ts";

addHistoryStoreContract(test, {
  open: () => Promise.resolve(new MemoryHistoryStore()),
  reopen: (store) => Promise.resolve(store),
});

const started = { eventId: 1, type: "WorkflowExecutionStarted", timestamp: 1_000 };

test("journal receives each validated change as a JSON copy, before it is applied", async () => {
  const changes: HistoryChange[] = [];
  const store = new MemoryHistoryStore({ journal: (change) => changes.push(change) });
  await store.createExecution({ workflowId: "a", runId: "r1", workflowType: "t", taskQueue: "q", events: [{ ...started, at: new Date(0) }] });
  await store.append({ workflowId: "a", runId: "r1" }, { expectedLastEventId: 1, workflowTaskPending: false, step: "workflow-task-complete" });
  await assert.rejects(store.append({ workflowId: "a", runId: "r1" }, { expectedLastEventId: 0 }), HistoryStoreError);
  assert.deepEqual(changes, [
    {
      op: "create",
      execution: { workflowId: "a", runId: "r1", workflowType: "t", taskQueue: "q", events: [{ ...started, at: "1970-01-01T00:00:00.000Z" }] },
    },
    { op: "append", key: { workflowId: "a", runId: "r1" }, batch: { expectedLastEventId: 1, workflowTaskPending: false, step: "workflow-task-complete" } },
  ], "the rejected (stale) write is not journaled");
});

test("a journal that throws leaves the store unchanged and rejects the call with its error", async () => {
  let fail = false;
  const store = new MemoryHistoryStore({
    journal: () => {
      if (fail) throw new Error("disk full");
    },
  });
  await store.createExecution({ workflowId: "a", runId: "r1", workflowType: "t", taskQueue: "q", events: [started] });
  fail = true;
  await assert.rejects(
    store.append({ workflowId: "a", runId: "r1" }, { expectedLastEventId: 1, events: [{ eventId: 2, type: "X", timestamp: 2 }], status: "completed" }),
    /disk full/,
  );
  await assert.rejects(store.createExecution({ workflowId: "b", runId: "r1", workflowType: "t", taskQueue: "q", events: [started] }), /disk full/);
  assert.deepEqual((await store.listExecutions()).map((i) => [i.workflowId, i.status, i.lastEventId]), [["a", "running", 1]]);
});

test("methods reject instead of throwing synchronously on bad arguments", async () => {
  const store = new MemoryHistoryStore();
  const result = store.append(undefined as never, undefined as never);
  assert.ok(result instanceof Promise);
  await assert.rejects(result, /Cannot append to workflow 'undefined' run 'undefined': the key must be/);
  await assert.rejects(store.createExecution(undefined as never), /the value is undefined, not an object/);
  await assert.rejects(store.readEvents({ workflowId: "a", runId: 3 as never }), /the key must be/);
});

test("a store's error is a branded HistoryStoreError with its code, hint and docs page", async () => {
  const store = new MemoryHistoryStore();
  const error = await store.readEvents({ workflowId: "nope" }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof HistoryStoreError);
  assert.ok(HistoryStoreError.is(error));
  assert.equal(error.name, "HistoryStoreError");
  assert.equal(error.code, "WFS_STORE_NOT_FOUND");
  assert.equal(error.hint, "Check the id, or start the workflow first");
  assert.ok(error.docs.endsWith("/docs/errors/WFS_STORE_NOT_FOUND.md"), error.docs);
  assert.equal(
    String(error),
    "HistoryStoreError: Cannot read the history of workflow 'nope': no workflow has this id. Check the id, or start the workflow first (WFS_STORE_NOT_FOUND)",
  );
});

test("HistoryStoreError's constructor still builds one: (code, message, options), with a hint of its own or the code's", () => {
  const cause = new Error("connection reset");
  const plain = new HistoryStoreError("WFS_STORE_IO", "Cannot write to bucket 'histories'", { cause });
  assert.equal(plain.message, "Cannot write to bucket 'histories' (WFS_STORE_IO)", "the message as given, then the code");
  assert.equal(plain.code, "WFS_STORE_IO");
  assert.equal(plain.cause, cause);
  assert.match(plain.hint, /^Fix the cause/);
  assert.ok(plain.docs.endsWith("/docs/errors/WFS_STORE_IO.md"), plain.docs);
  assert.equal(plain.name, "HistoryStoreError");
  assert.ok(HistoryStoreError.is(plain) && plain instanceof HistoryStoreError && plain instanceof Error);
  const hinted = new HistoryStoreError("WFS_STORE_IO", "Cannot write to bucket 'histories'", { hint: "Check the credentials" });
  assert.equal(hinted.message, "Cannot write to bucket 'histories'. Check the credentials (WFS_STORE_IO)");
  assert.equal(hinted.hint, "Check the credentials");
  assert.equal(HistoryStoreError.is(new Error("x (WFS_STORE_IO)")), false);
});

test("stores are isolated from each other", async () => {
  const one = new MemoryHistoryStore();
  const two = new MemoryHistoryStore();
  await one.createExecution({ workflowId: "a", runId: "r1", workflowType: "t", taskQueue: "q", events: [started] });
  assert.equal((await two.listExecutions()).length, 0);
});

test.run();
