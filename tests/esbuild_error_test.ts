import { test } from "uvu";
import * as assert from "node:assert/strict";
import { createRequire } from "node:module";
import { esbuildFailure, esbuildSyntaxError } from "../loader/esbuild_error.ts";

const esbuild = createRequire(import.meta.url)("esbuild") as typeof import("esbuild");

function esbuildThrown(source: string): unknown {
  try {
    esbuild.transformSync(source, { loader: "ts", logLevel: "silent" });
  } catch (error) {
    return error;
  }
  return assert.fail("esbuild accepted the source");
}

test("an esbuild failure becomes a native SyntaxError at the file's line and column", () => {
  const thrown = esbuildThrown("const a = 1;\nconst b = ;");
  const error = esbuildSyntaxError("/app/w.ts", thrown) as SyntaxError & { code: string; location: string; hint: string };
  assert.ok(error instanceof SyntaxError);
  assert.equal(error.code, "WFS_COMPILE");
  assert.equal(error.location, "/app/w.ts:2:11");
  assert.match(error.message, /^Cannot compile \/app\/w\.ts:2:11: Unexpected ";"\. Fix the syntax at that position \(WFS_COMPILE\)$/);
  assert.equal(error.cause, thrown, "esbuild's own error is kept");
});

test("any other error is returned as it is, and has no esbuild failure", () => {
  const other = new RangeError("not esbuild's");
  assert.equal(esbuildSyntaxError("/app/w.ts", other), other);
  assert.equal(esbuildFailure("/app/w.ts", other), undefined);
  assert.equal(esbuildFailure("/app/w.ts", undefined), undefined);
});

test("a failure without a position names the file alone", () => {
  assert.deepEqual(esbuildFailure("/app/w.ts", { errors: [{ text: "boom", location: null }] }), { text: "boom", where: "/app/w.ts" });
});

test.run();
