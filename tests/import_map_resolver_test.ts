import { test } from "uvu";
import * as assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  createImportMapResolver,
  type ImportMapResolverOptions,
} from "../loader/import_map_resolver.ts";

interface Project {
  root: string;
  /** Absolute path of a file in the project. */
  file(rel: string): string;
  /** file: URL of a file in the project. */
  url(rel: string): string;
  write(rel: string, content: string): void;
}

const roots: string[] = [];
test.after(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

/** Writes `files` (relative path -> content; objects become JSON) under a fresh temporary folder. */
function project(files: Record<string, string | object>): Project {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "wfs-import-map-")));
  roots.push(root);
  const p: Project = {
    root,
    file: (rel) => path.join(root, rel),
    url: (rel) => pathToFileURL(path.join(root, rel)).href,
    write(rel, content) {
      fs.mkdirSync(path.dirname(p.file(rel)), { recursive: true });
      fs.writeFileSync(p.file(rel), content);
    },
  };
  for (const [rel, content] of Object.entries(files)) {
    p.write(rel, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  }
  return p;
}

const nodeIO: ImportMapResolverOptions = {
  readFile: (file) => fs.readFileSync(file, "utf8"),
  fileExists: (file) => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false,
  statFile: (file) => fs.statSync(file, { throwIfNoEntry: false }),
};

function resolver(io: Partial<ImportMapResolverOptions> = {}) {
  return createImportMapResolver({ ...nodeIO, ...io });
}

/** Asserts that `fn` throws an Error whose message contains every one of `parts`. */
function throwsWith(fn: () => unknown, parts: string[], code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof Error, "an Error is thrown");
    for (const part of parts) {
      assert.ok(error.message.includes(part), `message should include ${JSON.stringify(part)}: ${error.message}`);
    }
    assert.equal((error as Error & { code?: string }).code, code);
    assert.ok(error.message.endsWith(`(${code})`), "the code closes the message");
    return true;
  });
}

test("imports: exact keys map to file URLs, npm: and node: addresses", () => {
  const p = project({
    "deno.json": {
      imports: {
        "counter": "./src/counter.ts",
        "zod": "npm:zod@^4",
        "fs": "node:fs",
        "abs": "/opt/shared/abs.ts",
        "url-key": "file:///opt/shared/url.ts",
      },
    },
  });
  const r = resolver();
  const main = p.url("main.ts");
  assert.equal(r.resolve("counter", main), p.url("src/counter.ts"));
  assert.equal(r.resolve("zod", main), "zod");
  assert.equal(r.resolve("fs", main), "node:fs");
  assert.equal(r.resolve("abs", main), "file:///opt/shared/abs.ts");
  assert.equal(r.resolve("url-key", main), "file:///opt/shared/url.ts");
});

test("imports: a specifier no entry matches returns undefined", () => {
  const p = project({ "deno.json": { imports: { "counter": "./src/counter.ts" } } });
  const r = resolver();
  assert.equal(r.resolve("other", p.url("main.ts")), undefined);
  assert.equal(r.resolve("./local.ts", p.url("main.ts")), undefined);
  assert.equal(r.resolve("node:fs", p.url("main.ts")), undefined);
  assert.equal(r.resolve("toString", p.url("main.ts")), undefined, "no prototype keys");
  assert.equal(r.resolve("counter/x", p.url("main.ts")), undefined, "an exact key is no prefix");
});

test("imports: targets resolve against the deno.json folder, not the importer", () => {
  const p = project({ "deno.json": { imports: { "counter": "./src/counter.ts" } } });
  assert.equal(resolver().resolve("counter", p.url("deep/er/main.ts")), p.url("src/counter.ts"));
});

test("imports: URL-like keys remap relative and absolute specifiers", () => {
  const p = project({ "deno.json": { imports: { "./old.ts": "./new.ts", "./legacy/": "./modern/" } } });
  const r = resolver();
  assert.equal(r.resolve("./old.ts", p.url("main.ts")), p.url("new.ts"));
  assert.equal(r.resolve("../old.ts", p.url("sub/main.ts")), p.url("new.ts"));
  assert.equal(r.resolve(p.url("old.ts"), p.url("main.ts")), p.url("new.ts"));
  assert.equal(r.resolve("./legacy/a/b.ts", p.url("main.ts")), p.url("modern/a/b.ts"));
});

test("prefix keys ending in / map every specifier under them; the longest key wins", () => {
  const p = project({
    "deno.json": {
      imports: {
        "@/": "./src/",
        "lib/": "./vendor/lib/",
        "lib/special/": "./special/",
        "lib/exact": "./exact.ts",
      },
    },
  });
  const r = resolver();
  const main = p.url("main.ts");
  assert.equal(r.resolve("@/counter.ts", main), p.url("src/counter.ts"));
  assert.equal(r.resolve("@/a/b/c.ts", main), p.url("src/a/b/c.ts"));
  assert.equal(r.resolve("lib/x.ts", main), p.url("vendor/lib/x.ts"));
  assert.equal(r.resolve("lib/special/y.ts", main), p.url("special/y.ts"));
  assert.equal(r.resolve("lib/exact", main), p.url("exact.ts"), "an exact key beats a prefix");
  assert.equal(r.resolve("@", main), undefined, "the prefix without its slash does not match");
});

test("prefix keys: the rest of the specifier is URL-parsed, so it cannot backtrack out", () => {
  const p = project({ "deno.json": { imports: { "@/": "./src/" } } });
  const r = resolver();
  assert.equal(r.resolve("@/a/../b.ts", p.url("main.ts")), p.url("src/b.ts"));
  throwsWith(
    () => r.resolve("@/../secret.ts", p.url("main.ts")),
    ['"@/../secret.ts"', 'key "@/"', p.file("deno.json"), "leaves the folder"],
    "WFS_IMPORT_MAP_INVALID",
  );
});

test("npm: addresses become bare specifiers: plain, subpath, prefix, scoped, no version", () => {
  const p = project({
    "deno.json": {
      imports: {
        "zod": "npm:zod@^4",
        "zod/mini": "npm:zod@^4/mini",
        "zod/": "npm:zod@^4/",
        "myzod": "npm:zod@4.1.0",
        "@scope/pkg": "npm:@scope/pkg@1/x",
        "@scope/pkg/": "npm:@scope/pkg@1/",
        "unversioned": "npm:left-pad",
        "slashed": "npm:/chalk@5",
        "@std/path": "npm:@jsr/std__path@^1",
      },
    },
  });
  const r = resolver();
  const main = p.url("main.ts");
  assert.equal(r.resolve("zod", main), "zod");
  assert.equal(r.resolve("zod/mini", main), "zod/mini");
  assert.equal(r.resolve("zod/v4/core", main), "zod/v4/core");
  assert.equal(r.resolve("myzod", main), "zod", "an alias names the real package");
  assert.equal(r.resolve("@scope/pkg", main), "@scope/pkg/x");
  assert.equal(r.resolve("@scope/pkg/sub/path.js", main), "@scope/pkg/sub/path.js");
  assert.equal(r.resolve("unversioned", main), "left-pad");
  assert.equal(r.resolve("slashed", main), "chalk");
  assert.equal(r.resolve("@std/path", main), "@jsr/std__path");
});

test("npm: specifiers written in code become bare specifiers, with or without a deno.json", () => {
  const withConfig = project({ "deno.json": { imports: {} } });
  const without = project({ "main.ts": "" });
  const r = resolver();
  for (const main of [withConfig.url("main.ts"), without.url("main.ts"), undefined]) {
    assert.equal(r.resolve("npm:zod@^4", main), "zod");
    assert.equal(r.resolve("npm:zod@^4/mini", main), "zod/mini");
    assert.equal(r.resolve("npm:@scope/pkg@1/x", main), "@scope/pkg/x");
  }
  throwsWith(() => r.resolve("npm:@scope", without.url("main.ts")), ['"npm:@scope"', "does not name a package"], "WFS_IMPORT_MAP_INVALID");
});

test("scopes: the most specific matching scope wins, then less specific ones, then imports", () => {
  const p = project({
    "deno.json": {
      imports: { "a": "./a-top.ts", "b": "./b-top.ts", "c": "./c-top.ts" },
      scopes: {
        "./vendor/": { "a": "./a-vendor.ts", "b": "./b-vendor.ts" },
        "./vendor/inner/": { "a": "./a-inner.ts" },
        "./vendor/inner/exact.ts": { "c": "./c-exact.ts" },
      },
    },
  });
  const r = resolver();
  assert.equal(r.resolve("a", p.url("main.ts")), p.url("a-top.ts"), "outside every scope");
  assert.equal(r.resolve("a", p.url("vendor/x.ts")), p.url("a-vendor.ts"));
  assert.equal(r.resolve("a", p.url("vendor/inner/x.ts")), p.url("a-inner.ts"), "most specific");
  assert.equal(r.resolve("b", p.url("vendor/inner/x.ts")), p.url("b-vendor.ts"), "falls back a scope");
  assert.equal(r.resolve("c", p.url("vendor/inner/x.ts")), p.url("c-top.ts"), "falls back to imports");
  assert.equal(r.resolve("c", p.url("vendor/inner/exact.ts")), p.url("c-exact.ts"), "a file scope");
  assert.equal(r.resolve("a", p.url("vendorish/x.ts")), p.url("a-top.ts"), "scopes match by prefix of URL");
});

test("scopes: a scoped prefix key and npm: address", () => {
  const p = project({
    "deno.json": {
      scopes: { "./legacy/": { "zod": "npm:zod@^3", "util/": "./legacy/util/" } },
    },
  });
  const r = resolver();
  assert.equal(r.resolve("zod", p.url("legacy/w.ts")), "zod");
  assert.equal(r.resolve("util/x.ts", p.url("legacy/w.ts")), p.url("legacy/util/x.ts"));
  assert.equal(r.resolve("zod", p.url("w.ts")), undefined);
});

test("importMap: the file it names is used, relative to that file", () => {
  const p = project({
    "deno.json": { importMap: "./maps/import_map.json" },
    "maps/import_map.json": {
      imports: { "counter": "../src/counter.ts", "zod": "npm:zod@^4" },
      scopes: { "../vendor/": { "counter": "./vendored.ts" } },
    },
  });
  const r = resolver();
  assert.equal(r.resolve("counter", p.url("main.ts")), p.url("src/counter.ts"));
  assert.equal(r.resolve("zod", p.url("main.ts")), "zod");
  assert.equal(r.resolve("counter", p.url("vendor/w.ts")), p.url("maps/vendored.ts"));
});

test("importMap with inline imports: the inline map wins whole, as Deno 2.9.6 does", () => {
  // Deno ignores "importMap" when "imports" or "scopes" is present (with a warning), so a key
  // only the file has must not resolve either, or the project would diverge between runtimes.
  const p = project({
    "deno.json": { importMap: "./import_map.json", imports: { "a": "./a-inline.ts" } },
    "import_map.json": { imports: { "a": "./a-file.ts", "b": "./b-file.ts" } },
  });
  const r = resolver();
  assert.equal(r.resolve("a", p.url("main.ts")), p.url("a-inline.ts"));
  assert.equal(r.resolve("b", p.url("main.ts")), undefined);
});

test("importMap: a missing file, a remote URL and a non-string value are errors naming deno.json", () => {
  const missing = project({ "deno.json": { importMap: "./nope.json" } });
  throwsWith(
    () => resolver().resolve("x", missing.url("main.ts")),
    [missing.file("nope.json"), missing.file("deno.json"), "does not exist"],
    "WFS_IMPORT_MAP_INVALID",
  );
  const remote = project({ "deno.json": { importMap: "https://example.com/map.json" } });
  throwsWith(
    () => resolver().resolve("x", remote.url("main.ts")),
    ["https://example.com/map.json", remote.file("deno.json"), "not supported on Node", "run under Deno"],
    "WFS_IMPORT_MAP_UNSUPPORTED",
  );
  const wrong = project({ "deno.json": { importMap: 42 } });
  throwsWith(
    () => resolver().resolve("x", wrong.url("main.ts")),
    ['"importMap"', wrong.file("deno.json"), "current value is 42"],
    "WFS_IMPORT_MAP_INVALID",
  );
});

test("jsr: addresses are errors naming the deno.json file, the key and the fix", () => {
  const p = project({ "deno.json": { imports: { "@std/path": "jsr:@std/path@^1", "std/": "jsr:/@std/" } } });
  const r = resolver();
  throwsWith(
    () => r.resolve("@std/path", p.url("main.ts")),
    [
      p.file("deno.json"),
      'key "@std/path"',
      '"jsr:@std/path@^1"',
      "not supported on Node",
      '"npx jsr add @std/path"',
      "run under Deno",
    ],
    "WFS_IMPORT_MAP_UNSUPPORTED",
  );
  throwsWith(
    () => r.resolve("std/fs", p.url("main.ts")),
    [p.file("deno.json"), 'key "std/"', '"jsr:/@std/fs"', "not supported on Node"],
    "WFS_IMPORT_MAP_UNSUPPORTED",
  );
});

test("https: and http: addresses are errors naming the deno.json file, the scope and the key", () => {
  const p = project({
    "deno.jsonc": JSON.stringify({
      imports: { "lodash": "https://esm.sh/lodash@4" },
      scopes: { "./old/": { "preact": "http://cdn.example/preact.js" } },
    }),
  });
  const r = resolver();
  throwsWith(
    () => r.resolve("lodash", p.url("main.ts")),
    [p.file("deno.jsonc"), 'key "lodash"', '"https://esm.sh/lodash@4"', "https: specifiers are not supported on Node", "npm", "run under Deno"],
    "WFS_IMPORT_MAP_UNSUPPORTED",
  );
  throwsWith(
    () => r.resolve("preact", p.url("old/w.ts")),
    [p.file("deno.jsonc"), 'key "preact" in scope "./old/"', "http: specifiers are not supported on Node"],
    "WFS_IMPORT_MAP_UNSUPPORTED",
  );
});

test("errors for entries of an importMap file name that file and the deno.json", () => {
  const p = project({
    "deno.json": { importMap: "./import_map.json" },
    "import_map.json": { imports: { "@std/fmt": "jsr:@std/fmt@1" } },
  });
  throwsWith(
    () => resolver().resolve("@std/fmt", p.url("main.ts")),
    [p.file("import_map.json"), p.file("deno.json"), 'key "@std/fmt"', "not supported on Node"],
    "WFS_IMPORT_MAP_UNSUPPORTED",
  );
});

test("jsr: specifiers written in code are errors naming the importing file", () => {
  const p = project({ "main.ts": "" });
  throwsWith(
    () => resolver().resolve("jsr:@std/assert@1/equals", p.url("main.ts")),
    ['"jsr:@std/assert@1/equals"', p.file("main.ts"), "not supported on Node", '"npx jsr add @std/assert"'],
    "WFS_IMPORT_MAP_UNSUPPORTED",
  );
});

test("invalid addresses block their key, as the spec's null entries do", () => {
  const p = project({
    "deno.json": {
      imports: { "bare": "zod", "dir/": "./dir", "num": 3, "fallback/": "./ok/", "fallback/x": "nope" },
    },
  });
  const r = resolver();
  throwsWith(() => r.resolve("bare", p.url("main.ts")), ['key "bare"', p.file("deno.json"), "bare addresses are not allowed"], "WFS_IMPORT_MAP_INVALID");
  throwsWith(() => r.resolve("dir/a.ts", p.url("main.ts")), ['key "dir/"', 'must end in "/"'], "WFS_IMPORT_MAP_INVALID");
  throwsWith(() => r.resolve("num", p.url("main.ts")), ['key "num"', "must be strings"], "WFS_IMPORT_MAP_INVALID");
  throwsWith(() => r.resolve("fallback/x", p.url("main.ts")), ['key "fallback/x"'], "WFS_IMPORT_MAP_INVALID");
  assert.equal(r.resolve("fallback/y", p.url("main.ts")), p.url("ok/y"), "other keys still work");
});

test("jsonc: comments and trailing commas parse; comment markers inside strings are kept", () => {
  const p = project({
    "deno.jsonc": `\ufeff{
  // line comment with "quotes" and a , comma
  "imports": {
    /* block
       comment */ "url//key": "./a.ts", // after an entry
    "star": "./x/*/y.ts",
    "quote\\"key": "./q.ts",
    "esc\\\\": "./e.ts", /* a comment right after an escaped backslash */
    "trailing": "./t.ts",
  },
  "scopes": { "./s/": { "k": "./k.ts", }, },
}
`,
  });
  const r = resolver();
  assert.equal(r.resolve("url//key", p.url("main.ts")), p.url("a.ts"));
  assert.equal(r.resolve("star", p.url("main.ts")), p.url("x/*/y.ts"));
  assert.equal(r.resolve('quote"key', p.url("main.ts")), p.url("q.ts"));
  assert.equal(r.resolve("esc\\", p.url("main.ts")), p.url("e.ts"));
  assert.equal(r.resolve("trailing", p.url("main.ts")), p.url("t.ts"));
  assert.equal(r.resolve("k", p.url("s/m.ts")), p.url("k.ts"));
});

test("jsonc: deno.json may hold comments too, and wins over deno.jsonc in the same folder", () => {
  const p = project({
    "deno.json": `{ "imports": { "a": "./from-json.ts" } // Deno reads deno.json as JSONC\n}`,
    "deno.jsonc": `{ "imports": { "a": "./from-jsonc.ts" } }`,
  });
  assert.equal(resolver().resolve("a", p.url("main.ts")), p.url("from-json.ts"));
});

test("a syntax error names the file and the position", () => {
  const p = project({ "deno.json": `{ "imports": { "a": "./a.ts" "b": "./b.ts" } }` });
  throwsWith(() => resolver().resolve("a", p.url("main.ts")), [`Cannot parse "${p.file("deno.json")}"`, "Fix the JSON syntax"], "WFS_IMPORT_MAP_INVALID");
  const notObject = project({ "deno.json": `{ "imports": ["a"] }` });
  throwsWith(() => resolver().resolve("a", notObject.url("main.ts")), ['"imports"', notObject.file("deno.json"), "must be an object"], "WFS_IMPORT_MAP_INVALID");
});

test("the nearest deno.json governs; folders without one inherit it", () => {
  const p = project({
    "deno.json": { imports: { "a": "./a-root.ts" } },
    "pkg/deno.json": { imports: { "a": "./a-pkg.ts" } },
  });
  const r = resolver();
  assert.equal(r.resolve("a", p.url("main.ts")), p.url("a-root.ts"));
  assert.equal(r.resolve("a", p.url("pkg/src/deep/m.ts")), p.url("pkg/a-pkg.ts"));
  assert.equal(r.resolve("a", p.url("other/deep/m.ts")), p.url("a-root.ts"));
});

test("workspace: a member's map is tried first, then the root's; a non-member config is ignored", () => {
  const p = project({
    "deno.json": { workspace: ["./packages/*"], imports: { "a": "./a-root.ts", "r": "./r-root.ts" } },
    "packages/one/deno.json": { imports: { "a": "./a-one.ts" } },
    "tools/deno.json": { imports: { "a": "./a-tools.ts", "t": "./t.ts" } },
  });
  const r = resolver();
  assert.equal(r.resolve("a", p.url("packages/one/mod.ts")), p.url("packages/one/a-one.ts"));
  assert.equal(r.resolve("r", p.url("packages/one/mod.ts")), p.url("r-root.ts"));
  assert.equal(r.resolve("a", p.url("tools/x.ts")), p.url("a-root.ts"), "as Deno 2.9.6 does");
  assert.equal(r.resolve("t", p.url("tools/x.ts")), undefined);
  const objectForm = project({
    "deno.json": { workspace: { members: ["sub"] }, imports: { "r": "./r.ts" } },
    "sub/deno.json": { imports: { "s": "./s.ts" } },
  });
  assert.equal(r.resolve("s", objectForm.url("sub/m.ts")), objectForm.url("sub/s.ts"));
  assert.equal(r.resolve("r", objectForm.url("sub/m.ts")), objectForm.url("r.ts"));
});

test("no deno.json, node_modules importers and non-file importers are left alone", () => {
  const bare = project({ "main.ts": "" });
  const p = project({ "deno.json": { imports: { "zod": "npm:zod@^4", "a": "./a.ts" } } });
  const r = resolver();
  assert.equal(r.resolve("a", bare.url("main.ts")), undefined);
  assert.equal(r.resolve("a", p.url("node_modules/pkg/index.js")), undefined);
  assert.equal(r.resolve("a", "data:text/javascript,export{}"), undefined);
  assert.equal(r.resolve("a", undefined), undefined);
});

test("the cache reads each config once per folder while it is unchanged", () => {
  const p = project({ "deno.json": { imports: { "a": "./a.ts" } } });
  const reads: string[] = [];
  const exists: string[] = [];
  const r = resolver({
    readFile: (file) => (reads.push(file), fs.readFileSync(file, "utf8")),
    fileExists: (file) => (exists.push(file), nodeIO.fileExists(file)),
  });
  for (let i = 0; i < 5; i++) {
    assert.equal(r.resolve("a", p.url("src/m.ts")), p.url("a.ts"));
    assert.equal(r.resolve("a", p.url("src/n.ts")), p.url("a.ts"));
  }
  assert.deepEqual(reads, [p.file("deno.json")]);
  const searched = exists.length;
  r.resolve("a", p.url("src/o.ts"));
  assert.equal(exists.length, searched, "the folder search is cached");
});

/** Rewrites a file with a later mtime, so the edit shows on file systems with coarse times. */
function edit(p: Project, rel: string, content: object, bumpSeconds: number): void {
  p.write(rel, JSON.stringify(content));
  const later = new Date(Date.now() + bumpSeconds * 1000);
  fs.utimesSync(p.file(rel), later, later);
}

test("the cache sees an edited deno.json and an edited importMap file", () => {
  const p = project({
    "deno.json": { imports: { "a": "./a1.ts" } },
    "map.json": { imports: { "b": "./b1.ts" } },
  });
  const r = resolver();
  assert.equal(r.resolve("a", p.url("main.ts")), p.url("a1.ts"));
  edit(p, "deno.json", { imports: { "a": "./a2.ts" } }, 10);
  assert.equal(r.resolve("a", p.url("main.ts")), p.url("a2.ts"));
  edit(p, "deno.json", { importMap: "./map.json" }, 20);
  assert.equal(r.resolve("a", p.url("main.ts")), undefined);
  assert.equal(r.resolve("b", p.url("main.ts")), p.url("b1.ts"));
  edit(p, "map.json", { imports: { "b": "./b2.ts" } }, 30);
  assert.equal(r.resolve("b", p.url("main.ts")), p.url("b2.ts"));
});

test("the cache sees a deleted deno.json and falls back to the next one up", () => {
  const p = project({
    "deno.json": { imports: { "a": "./a-root.ts" } },
    "pkg/deno.json": { imports: { "a": "./a-pkg.ts" } },
  });
  const r = resolver();
  assert.equal(r.resolve("a", p.url("pkg/m.ts")), p.url("pkg/a-pkg.ts"));
  fs.rmSync(p.file("pkg/deno.json"));
  assert.equal(r.resolve("a", p.url("pkg/m.ts")), p.url("a-root.ts"));
});

test("without statFile, the first read of a config is kept", () => {
  const p = project({ "deno.json": { imports: { "a": "./a1.ts" } } });
  const r = resolver({ statFile: undefined });
  assert.equal(r.resolve("a", p.url("main.ts")), p.url("a1.ts"));
  edit(p, "deno.json", { imports: { "a": "./a2.ts" } }, 10);
  assert.equal(r.resolve("a", p.url("main.ts")), p.url("a1.ts"));
  assert.equal(resolver().resolve("a", p.url("main.ts")), p.url("a2.ts"), "a new resolver reads it");
});

test("two resolvers share no state", () => {
  const p = project({ "deno.json": { imports: { "a": "./a1.ts" } } });
  const first = resolver({ statFile: undefined });
  assert.equal(first.resolve("a", p.url("main.ts")), p.url("a1.ts"));
  edit(p, "deno.json", { imports: { "a": "./a2.ts" } }, 10);
  assert.equal(resolver({ statFile: undefined }).resolve("a", p.url("main.ts")), p.url("a2.ts"));
});

test.run();
