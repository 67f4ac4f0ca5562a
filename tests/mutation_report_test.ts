import { test } from "uvu";
import * as assert from "node:assert/strict";
import { moduleTargets, snapshot } from "../sandbox/mutation_report.ts";

const changesOf = (warnings: ReturnType<ReturnType<typeof snapshot>>) =>
  warnings.map((w) => `${w.change} ${w.property}`).sort();

test("reports added, changed and deleted properties, data and accessor alike", () => {
  const target: Record<string, unknown> = { keep: 1, change: 1, drop: 1, nan: Number.NaN };
  Object.defineProperty(target, "accessor", { get: () => 1, configurable: true, enumerable: true });
  const compare = snapshot([{ module: "m", label: "t", target }]);
  assert.deepEqual(compare(), [], "nothing written, nothing reported (NaN equals itself)");
  target.change = 2;
  delete target.drop;
  target.added = 1;
  Object.defineProperty(target, "accessor", { get: () => 2 });
  assert.deepEqual(changesOf(compare()), ["added t.added", "changed t.accessor", "changed t.change", "deleted t.drop"]);
});

test("a deletion and an addition in the same object are both reported", () => {
  const target: Record<string, unknown> = { a: 1 };
  const compare = snapshot([{ module: "m", label: "t", target }]);
  delete target.a;
  target.b = 1;
  assert.deepEqual(changesOf(compare()), ["added t.b", "deleted t.a"]);
});

test("a module's exported objects are watched one level deep, each once", () => {
  const shared = { x: 1 };
  const targets = moduleTargets("file:///m.js", { a: shared, b: shared, n: 1, f() {} });
  assert.deepEqual(targets.map((t) => t.label), ["a", "f"]);
});

test.run();
