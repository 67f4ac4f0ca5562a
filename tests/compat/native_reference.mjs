// The native side of the compatibility corpus: runs every hook-free workflow copy in
// tests/compat/generated/native/ (written by tests/compat/generate.ts) in this process, which has
// no workflow-sandbox hook registered, and prints one line per file:
//
//   @@compat {"file":"ms.cjs","value":"<the result, tests/compat/canonical.mjs>"}   or  {"file":..., "error":{"name","message"}}
//
// (with --only=<slug>,..., the files of those packages only) and, for each package name given as
// an argument, where `import` and `require` resolve it:
//
//   @@compat {"package":"ms","import":"file:///.../ms/index.js","require":"/.../ms/index.js"}
//
// tests/compat_test.ts starts it with the runtime it runs on (Node, with --experimental-strip-types
// where TypeScript is not on by default, or `deno run -A`) and compares the sandboxed runs with
// these results: the test process itself has the sandbox's hooks registered, so its own imports
// could differ from what the runtime does alone.

import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { canonical } from "./canonical.mjs";

const DIR = fileURLToPath(new URL("./generated/native/", import.meta.url));
const require = createRequire(import.meta.url);

function print(record) {
  process.stdout.write(`@@compat ${JSON.stringify(record)}\n`);
}

function describe(error) {
  return { name: error?.name ?? typeof error, message: String(error?.message ?? error) };
}

const args = process.argv.slice(2);
// --only=ms,zod: the files of these slugs only (tests/compat_test.ts passes the packages it runs).
const only = args.find((arg) => arg.startsWith("--only="))?.slice("--only=".length).split(",");
for (const name of args.filter((arg) => !arg.startsWith("--"))) {
  const record = { package: name };
  try {
    record.import = import.meta.resolve(name);
  } catch (error) {
    record.import = `error: ${describe(error).message}`;
  }
  try {
    record.require = require.resolve(name);
  } catch (error) {
    record.require = `error: ${describe(error).message}`;
  }
  print(record);
}

const files = readdirSync(DIR)
  .filter((file) => /\.(ts|js|mjs|cjs)$/.test(file) && (!only || only.includes(file.replace(/\.[^.]+$/, ""))))
  .sort();
for (const file of files) {
  try {
    const module = await import(pathToFileURL(join(DIR, file)).href);
    const value = await module.run();
    print({ file, value: canonical(value) });
  } catch (error) {
    print({ file, error: describe(error) });
  }
}
