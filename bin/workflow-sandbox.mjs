#!/usr/bin/env node
// The `workflow-sandbox` command (package.json "bin"). On Node it needs no flag: it imports the
// built dist/, whose first use of the sandbox registers the loader hooks (the library-import front
// door), so workflow files may be TypeScript. On Deno (`deno run -A bin/workflow-sandbox.mjs`) it
// runs the TypeScript sources, the same copy deno.json maps "workflow-sandbox" to.
import process from "node:process";

const entry = "Deno" in globalThis ? "../cli/main.ts" : "../dist/cli.js";
const { main } = await import(new URL(entry, import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
