// The module graph's precompile: a module and its relative imports compiled ahead, into the
// shared cache, without becoming records of the graph that compiled them.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createLoaderServices } from "../loader/loader_services.ts";
import { esbuildVersion } from "../loader/esbuild_version.ts";
import { createFunctorCompiler } from "../loader/functor_compiler.ts";
import { createTransformCache } from "../loader/transform_cache.ts";
import { ModuleGraph } from "../sandbox/module_graph.ts";
import { createPassthroughPolicy } from "../sandbox/passthrough_policy.ts";

/** Every file below `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile()).map((entry) => entry.name);
}

test("precompile compiles a module and its relative imports, and the graph that loads them later compiles nothing", async () => {
  const root = mkdtempSync(join(tmpdir(), "wfs-precompile-"));
  try {
    const app = join(root, "app");
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), '{ "type": "module" }');
    writeFileSync(join(app, "workflows.ts"), 'import { bump } from "./counter.ts";\nimport { EventEmitter } from "node:events";\nexport const run = (): number => bump() + (EventEmitter ? 0 : 1);\n');
    writeFileSync(join(app, "counter.ts"), "let count: number = 0;\nexport const bump = (): number => ++count;\n");
    const cacheDir = join(root, "cache");
    const services = createLoaderServices({ cacheDir });
    const policy = () => createPassthroughPolicy({ modules: [], all: false, scopes: services.scopes });
    const entry = pathToFileURL(join(app, "workflows.ts")).href;

    const ahead = new ModuleGraph(services, policy());
    await ahead.precompile(entry);
    assert.equal(ahead.records.size, 0, "precompile adds no records");
    const compiled = filesUnder(cacheDir);
    // A functor and its metadata for each of the two files; node:events (not relative) is not followed.
    assert.equal(compiled.filter((name) => name.endsWith(".cjs")).length, 2);

    // A compiler that cannot start esbuild: the load must find everything in the cache.
    const noEsbuild = () => assert.fail("the load compiled a file precompile had compiled");
    const cacheOnly = {
      ...services,
      compiler: createFunctorCompiler({
        cache: createTransformCache({ dir: cacheDir }),
        loadEsbuild: noEsbuild,
        loadEsbuildAsync: noEsbuild,
        esbuildVersion: esbuildVersion(new URL("../loader/loader_services.ts", import.meta.url).href),
      }),
    };
    const graph = new ModuleGraph(cacheOnly, policy());
    await graph.load(entry);
    assert.deepEqual(
      [...graph.records.keys()].map((url) => url.slice(url.lastIndexOf("/") + 1)).sort(),
      ["counter.ts", "workflows.ts"],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("precompile leaves errors to the load that needs the module", async () => {
  const root = mkdtempSync(join(tmpdir(), "wfs-precompile-"));
  try {
    writeFileSync(join(root, "package.json"), '{ "type": "module" }');
    writeFileSync(join(root, "broken.ts"), "export const a = ;\n");
    const services = createLoaderServices({ cacheDir: join(root, "cache") });
    const graph = new ModuleGraph(services, createPassthroughPolicy({ modules: [], all: false, scopes: services.scopes }));
    const url = pathToFileURL(join(root, "broken.ts")).href;
    await graph.precompile(url); // resolves
    await graph.precompile(pathToFileURL(join(root, "missing.ts")).href); // resolves
    await assert.rejects(graph.load(url), /Cannot compile .*broken\.ts:1:18/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
