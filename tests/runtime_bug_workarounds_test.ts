// The runtime bugs of `module.registerHooks` that the load hook works around (docs/runtime-bugs.md):
// each reproduction's shape, run through the package's hooks in a child process of the runtime
// running this suite, must give what the runtime gives without hooks; then each workaround with a
// stub `next`, on any runtime.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { createSyncHooks, type RuntimeBugs } from "../loader/hooks.ts";
import { isDeno } from "../loader/runtime.ts";
import { commandFor } from "../scripts/runtimes.mjs";

const EMPTY = "file:///pkg/loader/__workflow_sandbox_empty__.mjs";
const REGISTER = new URL("../loader/register.ts", import.meta.url).href;

/** The reproductions' files, one folder each (a module loaded once stays loaded). */
const SHAPES: Record<string, { files: Record<string, string>; main: string; native: unknown }> = {
  // Deno 2.9.6: SyntaxError: Unexpected token ':'
  "require-json": {
    files: { "data.json": `{ "a": 1 }` },
    main: `out = require("./data.json");`,
    native: { a: 1 },
  },
  // Deno 2.9.6: Cannot resolve module "./value.js"
  "require-esm-importing-cjs": {
    files: { "lib.mjs": `import value from "./value.js";\nexport default value;`, "value.js": `module.exports = 42;` },
    main: `out = require("./lib.mjs").default;`,
    native: 42,
  },
  // Deno 2.9.6 too, for an ES module of a `"type": "module"` package.
  "require-type-module-esm": {
    files: {
      "lib/package.json": `{ "type": "module" }`,
      "lib/index.js": `import value from "../value.cjs";\nimport { twice } from "./twice.js";\nexport default twice(value);`,
      "lib/twice.js": `export const twice = (n) => n * 2;`,
      "value.cjs": `module.exports = 21;`,
    },
    main: `out = require("./lib/index.js").default;`,
    native: 42,
  },
  // Node 22.15.0: request for './value.js' is not in cache
  "import-cjs-requiring-esm": {
    files: {
      "consumer.cjs": `module.exports = require("./lib.mjs");`,
      "lib.mjs": `import value from "./value.js";\nexport default value;`,
      "value.js": `module.exports = 42;`,
    },
    main: `out = (await import("./consumer.cjs")).default.default;`,
    native: 42,
  },
  // Node 22.15.0 (docs/runtime-bugs.md, require.cache): gone with the CommonJS loader.
  "import-cjs-require-cache": {
    files: { "lib.cjs": `module.exports = typeof require.cache;` },
    main: `out = (await import("./lib.cjs")).default;`,
    native: "object",
  },
};

function runShape(name: string): { output: unknown; stderr: string; status: number | null } {
  const shape = SHAPES[name]!;
  const dir = mkdtempSync(join(tmpdir(), `wfs-runtime-bug-${name}-`));
  try {
    writeFileSync(join(dir, "package.json"), `{ "type": "commonjs" }\n`);
    for (const [file, text] of Object.entries(shape.files)) {
      mkdirSync(join(dir, file, ".."), { recursive: true });
      writeFileSync(join(dir, file), `${text}\n`);
    }
    // On Node the command line registers the hooks already (`--import`); register() is idempotent.
    writeFileSync(
      join(dir, "main.mjs"),
      `import { createRequire } from "node:module";\n` +
        `const { register } = await import(${JSON.stringify(REGISTER)});\n` +
        `register();\n` +
        `const require = createRequire(import.meta.url);\n` +
        `let out;\n` +
        `try {\n  ${shape.main}\n} catch (error) {\n  out = { error: String(error?.message ?? error).split("\\n")[0] };\n}\n` +
        `console.log(JSON.stringify(out));\n`,
    );
    const [bin, ...args] = commandFor({ kind: isDeno ? "deno" : "node", bin: process.execPath }, join(dir, "main.mjs"));
    const child = spawnSync(bin!, args, { cwd: dir, encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_OPTIONS: "" } });
    let output: unknown = child.stdout.trim();
    try {
      output = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "");
    } catch {
      // keep the text: the assertion shows it
    }
    return { output, stderr: child.stderr.trim(), status: child.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const name of Object.keys(SHAPES)) {
  test(`through the hooks, ${name} gives the native result`, () => {
    const { output, stderr, status } = runShape(name);
    assert.deepEqual(output, SHAPES[name]!.native, stderr);
    assert.equal(stderr, "");
    assert.equal(status, 0);
  });
}

// ------------------------------------------------------------------ each workaround, stub next

const NONE: RuntimeBugs = { requiredEsmNeedsNativeLoad: false, importedCommonJsNeedsCjsLoader: false };
const REQUIRE = { conditions: ["node", "require"] };
const IMPORT = { conditions: ["node", "import", "module-sync", "node-addons"] };

test("a required .json file that the runtime left without a format is JSON", () => {
  const hooks = createSyncHooks({ emptyModuleUrl: EMPTY, runtimeBugs: NONE });
  const loaded = hooks.load("file:///app/data.json", REQUIRE, () => ({ format: undefined!, source: `{"a": 1}`, shortCircuit: true }));
  assert.equal(loaded.format, "json");
  // Only for require(): an import of JSON needs its `with { type: "json" }`, which the runtime checks.
  const imported = hooks.load("file:///app/data.json", IMPORT, () => ({ format: undefined!, source: `{}` }));
  assert.equal(imported.format, undefined);
  // Node 22.15's require() path passes its conditions as a Set.
  const set = hooks.load("file:///app/data.json", { conditions: new Set(["node", "require"]) }, () => ({ format: undefined!, source: `{}` }));
  assert.equal(set.format, "json");
});

test("a required ES module no hook changed is loaded natively where its source would lose its imports", () => {
  const dir = mkdtempSync(join(tmpdir(), "wfs-runtime-bug-stub-"));
  try {
    const lib = join(dir, "lib.mjs");
    writeFileSync(lib, `import value from "./value.js";\nexport default value;\n`);
    writeFileSync(join(dir, "value.js"), `module.exports = 42;\n`);
    const url = pathToFileURL(lib).href;
    const own = () => ({ format: undefined!, source: `import value from "./value.js";\nexport default value;\n`, shortCircuit: true });
    const bugs = { ...NONE, requiredEsmNeedsNativeLoad: true };
    const hooks = createSyncHooks({ emptyModuleUrl: EMPTY, runtimeBugs: bugs });
    // No shortCircuit: the runtime checks the source only of a step that short-circuits.
    assert.deepEqual(hooks.load(url, REQUIRE, own), { format: undefined, source: null });
    // A source another hook changed is kept, as is every import and every CommonJS file.
    assert.equal(hooks.load(url, REQUIRE, () => ({ format: undefined!, source: "export default 1;" })).source, "export default 1;");
    assert.notEqual(hooks.load(url, IMPORT, own).source, null);
    const value = pathToFileURL(join(dir, "value.js")).href;
    assert.notEqual(hooks.load(value, REQUIRE, () => ({ format: undefined!, source: "module.exports = 42;\n" })).source, null);
    // A .js ES module of a "type": "module" package: the runtime resolves it itself, as without
    // hooks, because Deno compiles a hook-resolved path from its source alone.
    mkdirSync(join(dir, "esm"));
    writeFileSync(join(dir, "esm", "package.json"), `{ "type": "module" }`);
    writeFileSync(join(dir, "esm", "index.js"), `export default 1;\n`);
    const parentURL = pathToFileURL(join(dir, "main.cjs")).href;
    const byNext = (specifier: string) => ({ url: new URL(specifier, parentURL).href, shortCircuit: true });
    assert.equal(hooks.resolve("./esm/index.js", { ...REQUIRE, parentURL }, byNext).url, null);
    assert.equal(hooks.resolve("./esm/index.js", { ...IMPORT, parentURL }, byNext).url, pathToFileURL(join(dir, "esm", "index.js")).href);
    assert.equal(hooks.resolve("./value.js", { ...REQUIRE, parentURL }, byNext).url, pathToFileURL(join(dir, "value.js")).href);
    // Where the runtime has no such bug, the source and the URL stay.
    const plain = createSyncHooks({ emptyModuleUrl: EMPTY, runtimeBugs: NONE });
    assert.notEqual(plain.load(url, REQUIRE, own).source, null);
    assert.equal(plain.resolve("./esm/index.js", { ...REQUIRE, parentURL }, byNext).url, pathToFileURL(join(dir, "esm", "index.js")).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an imported CommonJS file goes through the CommonJS loader where the ES loader's require breaks", () => {
  const bugs = { ...NONE, importedCommonJsNeedsCjsLoader: true };
  const hooks = createSyncHooks({ emptyModuleUrl: EMPTY, runtimeBugs: bugs });
  const cjs = () => ({ format: "commonjs", source: "module.exports = 1;", shortCircuit: true });
  assert.equal(hooks.load("file:///app/a.cjs", IMPORT, cjs).format, "commonjs-sync");
  // require() keeps its format (the CommonJS loader is already the one loading it), as do ES modules.
  assert.equal(hooks.load("file:///app/a.cjs", { conditions: new Set(["node", "require"]) }, cjs).format, "commonjs");
  assert.equal(hooks.load("file:///app/a.mjs", IMPORT, () => ({ format: "module", source: "" })).format, "module");
  // A CommonJS TypeScript file the hooks transform themselves too.
  const dir = mkdtempSync(join(tmpdir(), "wfs-runtime-bug-stub-"));
  try {
    writeFileSync(join(dir, "value.cts"), "module.exports = 42 as number;\n");
    const ts = createSyncHooks({ emptyModuleUrl: EMPTY, runtimeBugs: bugs, transformTs: (_path, source) => source });
    const cts = pathToFileURL(join(dir, "value.cts")).href;
    assert.equal(ts.load(cts, IMPORT, () => assert.fail("TypeScript is not passed on")).format, "commonjs-sync");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(createSyncHooks({ emptyModuleUrl: EMPTY, runtimeBugs: NONE }).load("file:///app/a.cjs", IMPORT, cjs).format, "commonjs");
});

test.run();
