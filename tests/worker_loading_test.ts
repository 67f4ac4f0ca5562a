// Loading errors of the workflows module, from Worker.create() and from the Replayer: a missing
// file, a syntax error (TypeScript, and JavaScript that the runtime parses itself), a module that
// exports no workflow, an import that throws, an import of a module that does not exist. Each is a
// WorkflowValidationError (WFS_VALIDATION) with the file:line where it is known, the fix, and the
// underlying error as its cause (a compile error's cause is the native SyntaxError).
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Replayer, Worker, WorkflowEnvironment, WorkflowValidationError } from "../mod.ts";
import { capturingLogger } from "./fixtures/worker/harness.ts";

const folder = mkdtempSync(join(tmpdir(), "wfs-loading-"));
test.after(() => rmSync(folder, { recursive: true, force: true }));
const mod = JSON.stringify(pathToFileURL(fileURLToPath(new URL("../mod.ts", import.meta.url))).href);
const history = { workflowId: "w", runId: "r", events: [{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: 0, workflowType: "greet", taskQueue: "q", args: [] }] };

/** Writes `files` into a fresh folder; returns the path of the first. */
function write(name: string, files: Record<string, string>): string {
  const dir = join(folder, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, source] of Object.entries(files)) writeFileSync(join(dir, file), source);
  return join(dir, Object.keys(files)[0]!);
}

/** The error of Worker.create() and of Replayer.replayWorkflow() for `workflowsPath`: both must be alike. */
async function loadingErrors(workflowsPath: string | URL): Promise<(WorkflowValidationError & { cause?: unknown })[]> {
  const env = await WorkflowEnvironment.startLocal();
  try {
    const errors = [];
    for (const attempt of [
      () => Worker.create(env, { taskQueue: "q", workflowsPath, logger: capturingLogger() }),
      () => Replayer.replayWorkflow(history as never, { workflowsPath }),
    ]) {
      const error = await attempt().then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof WorkflowValidationError, `a WorkflowValidationError, got ${String((error as Error)?.stack ?? error)}`);
      assert.ok(WorkflowValidationError.is(error));
      assert.equal(error.code, "WFS_VALIDATION");
      assert.ok(error.hint.length > 0, "it says the fix");
      assert.ok(error.message.endsWith(`. ${error.hint} (WFS_VALIDATION)`), error.message);
      assert.ok(error.docs.endsWith("/docs/errors/WFS_VALIDATION.md"));
      errors.push(error);
    }
    return errors;
  } finally {
    await env.teardown();
  }
}

const workflowSource = `import { workflow } from ${mod};\nexport const greet = workflow.defn(async function greet(name: string) { return name; });\n`;

test("a workflowsPath that does not exist names the file looked for and how a relative path was resolved", async () => {
  const missing = join(folder, "nowhere", "workflows.ts");
  for (const error of await loadingErrors(pathToFileURL(missing))) {
    assert.match(error.message, /^Cannot load the workflows of '[^']*nowhere[\\/]workflows\.ts': no such file/);
    assert.match(error.hint, /new URL\('\.\/workflows\.ts', import\.meta\.url\)/);
    assert.ok(error.cause instanceof Error, "the underlying error is the cause");
  }
  for (const error of await loadingErrors("./no/such/workflows.ts")) {
    assert.match(error.message, /no such file \(workflowsPath is '\.\/no\/such\/workflows\.ts', a relative path, resolved against the current directory '/);
  }
  const dir = join(folder, "a-folder");
  mkdirSync(dir, { recursive: true });
  for (const error of await loadingErrors(dir)) assert.match(error.message, /it is a folder, not a module/);
});

test("a syntax error names its file:line, and its cause is the native SyntaxError", async () => {
  const path = write("syntax", {
    "workflows.ts": `import { workflow } from ${mod};\nexport const greet = workflow.defn(async function greet(name: string) {\n  return name;\n);\n`,
  });
  for (const error of await loadingErrors(path)) {
    assert.equal(error.location, `${path}:4:1`);
    assert.ok(error.cause instanceof SyntaxError, `the cause is a SyntaxError: ${String(error.cause)}`);
    assert.equal((error.cause as { code?: string }).code, "WFS_COMPILE");
    assert.match(error.message, /Cannot compile .*workflows\.ts:4:1: .* \(WFS_COMPILE\)\. Fix the syntax at that position \(WFS_VALIDATION\)$/);
  }
});

test("a syntax error in an imported JavaScript module names that module's file:line", async () => {
  const path = write("syntax_js", {
    "workflows.ts": `${workflowSource}import { b } from "./helper.js";\nexport const c = b;\n`,
    "helper.js": "export const a = 1;\nexport const b = (;\n",
  });
  for (const error of await loadingErrors(path)) {
    assert.match(String(error.location), /syntax_js[\\/]helper\.js:2(:\d+)?$/);
    assert.ok(error.cause instanceof SyntaxError, `the cause is a SyntaxError: ${String(error.cause)}`);
  }
});

test("a module that exports no workflow is refused, naming what it exports", async () => {
  const path = write("none", { "workflows.ts": "export function greet(name: string) { return name; }\nexport const other = 1;\n" });
  for (const error of await loadingErrors(path)) {
    assert.match(error.message, /: it exports no workflow \(its exports: 'greet', 'other'\)\. Export each workflow wrapped in workflow\.defn/);
    assert.equal(error.workflowName, "");
  }
});

test("an import that throws names where it threw and keeps the error as the cause", async () => {
  const path = write("throws", {
    "workflows.ts": `import { helper } from "./dependency.ts";\n${workflowSource}export const h = helper;\n`,
    "dependency.ts": `export const helper = (s: string) => s;\nthrow new RangeError("the dependency refuses to load");\n`,
  });
  for (const error of await loadingErrors(path)) {
    assert.match(String(error.location), /throws[\\/]dependency\.ts:2:\d+$/);
    assert.ok(error.cause instanceof RangeError);
    assert.match(error.message, /importing it threw RangeError: the dependency refuses to load/);
  }
});

test("an import of a module that does not exist names the import's file:line", async () => {
  const path = write("missing_import", {
    "workflows.ts": `import { workflow } from ${mod};\nimport { helper } from "./nope.ts";\n` +
      "export const greet = workflow.defn(async function greet(name: string) { return helper(name); });\n",
  });
  for (const error of await loadingErrors(path)) {
    assert.equal(error.location, `${path}:2:24`);
    assert.match(error.message, /'[^']*missing_import[\\/]nope\.ts' does not exist/);
    assert.match(error.hint, /Fix that import/);
    assert.equal((error.cause as { code?: string }).code, "ERR_MODULE_NOT_FOUND");
  }
});

test.run();
