import { test } from "uvu";
import * as assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createBundlerResolver } from "../loader/bundler_resolution.ts";

const roots: string[] = [];
test.after(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

/** Writes `files` (relative path -> content) under a fresh temporary folder. */
function project(files: Record<string, string>): { root: string; url: (rel: string) => string } {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "wfs-bundler-")));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return { root, url: (rel) => pathToFileURL(path.join(root, rel)).href };
}

const io = {
  fileExists: (file: string) => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false,
  isDirectory: (file: string) =>
    fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false,
};

function resolver() {
  return createBundlerResolver(io);
}

test("extensionless specifier finds the .ts file", () => {
  const p = project({ "main.ts": "", "counter.ts": "" });
  assert.equal(resolver().resolve("./counter", p.url("main.ts")), p.url("counter.ts"));
});

test("extensionless specifier tries .ts, .tsx, .mts, .js, .mjs, .cjs, .json in that order", () => {
  const order = [".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs", ".json"];
  for (let i = 0; i < order.length; i++) {
    const files: Record<string, string> = { "main.ts": "" };
    for (const extension of order.slice(i)) files[`mod${extension}`] = "";
    const p = project(files);
    assert.equal(
      resolver().resolve("./mod", p.url("main.ts")),
      p.url(`mod${order[i]}`),
      `${order[i]} should win over ${order.slice(i + 1).join(", ")}`,
    );
  }
});

test("extensionless specifier in a parent folder and a subfolder", () => {
  const p = project({ "src/main.ts": "", "shared/util.ts": "", "src/a/b.mjs": "" });
  assert.equal(resolver().resolve("../shared/util", p.url("src/main.ts")), p.url("shared/util.ts"));
  assert.equal(resolver().resolve("./a/b", p.url("src/main.ts")), p.url("src/a/b.mjs"));
});

test("a name with a dot that is not an extension still gets extensions appended", () => {
  const p = project({ "main.ts": "", "user.service.ts": "" });
  assert.equal(resolver().resolve("./user.service", p.url("main.ts")), p.url("user.service.ts"));
});

test(".js maps to .ts when the .js file does not exist", () => {
  const p = project({ "main.ts": "", "counter.ts": "" });
  assert.equal(resolver().resolve("./counter.js", p.url("main.ts")), p.url("counter.ts"));
});

test(".js maps to .tsx when only the .tsx file exists", () => {
  const p = project({ "main.ts": "", "view.tsx": "" });
  assert.equal(resolver().resolve("./view.js", p.url("main.ts")), p.url("view.tsx"));
});

test(".js prefers .ts over .tsx, as TypeScript does", () => {
  const p = project({ "main.ts": "", "view.ts": "", "view.tsx": "" });
  assert.equal(resolver().resolve("./view.js", p.url("main.ts")), p.url("view.ts"));
});

test(".mjs maps to .mts, .cjs to .cts, .jsx to .tsx", () => {
  const p = project({ "main.ts": "", "a.mts": "", "b.cts": "", "c.tsx": "", "d.ts": "" });
  const r = resolver();
  assert.equal(r.resolve("./a.mjs", p.url("main.ts")), p.url("a.mts"));
  assert.equal(r.resolve("./b.cjs", p.url("main.ts")), p.url("b.cts"));
  assert.equal(r.resolve("./c.jsx", p.url("main.ts")), p.url("c.tsx"));
  assert.equal(r.resolve("./d.jsx", p.url("main.ts")), p.url("d.ts"), ".jsx falls back to .ts");
});

test("the .js file exists so it wins over the .ts file", () => {
  const p = project({ "main.ts": "", "counter.js": "", "counter.ts": "" });
  assert.equal(resolver().resolve("./counter.js", p.url("main.ts")), p.url("counter.js"));
});

test("an existing file with any extension resolves to itself", () => {
  const p = project({ "main.ts": "", "data.json": "{}", "counter.ts": "" });
  const r = resolver();
  assert.equal(r.resolve("./data.json", p.url("main.ts")), p.url("data.json"));
  assert.equal(r.resolve("./counter.ts", p.url("main.ts")), p.url("counter.ts"));
});

test("a folder resolves to its index with the same extension order", () => {
  const p = project({
    "main.ts": "",
    "lib/index.ts": "",
    "lib/index.js": "",
    "jsonly/index.js": "",
    "jsononly/index.json": "{}",
  });
  const r = resolver();
  assert.equal(r.resolve("./lib", p.url("main.ts")), p.url("lib/index.ts"));
  assert.equal(r.resolve("./lib/", p.url("main.ts")), p.url("lib/index.ts"));
  assert.equal(r.resolve("./jsonly", p.url("main.ts")), p.url("jsonly/index.js"));
  assert.equal(r.resolve("./jsononly", p.url("main.ts")), p.url("jsononly/index.json"));
});

test("\".\" and \"..\" resolve to the index of the current and parent folder", () => {
  const p = project({ "index.ts": "", "sub/index.mts": "", "sub/main.ts": "" });
  const r = resolver();
  assert.equal(r.resolve(".", p.url("sub/main.ts")), p.url("sub/index.mts"));
  assert.equal(r.resolve("..", p.url("sub/main.ts")), p.url("index.ts"));
});

test("a file wins over a folder of the same name", () => {
  const p = project({ "main.ts": "", "lib.ts": "", "lib/index.ts": "" });
  assert.equal(resolver().resolve("./lib", p.url("main.ts")), p.url("lib.ts"));
});

test("a folder without an index is not found", () => {
  const p = project({ "main.ts": "", "empty/readme.md": "" });
  assert.equal(resolver().resolve("./empty", p.url("main.ts")), undefined);
});

test("not found returns undefined", () => {
  const p = project({ "main.ts": "" });
  const r = resolver();
  assert.equal(r.resolve("./missing", p.url("main.ts")), undefined);
  assert.equal(r.resolve("./missing.js", p.url("main.ts")), undefined);
  assert.equal(r.resolve("../nowhere/index", p.url("main.ts")), undefined);
});

test("bare, node: and other specifiers are not handled", () => {
  const p = project({ "main.ts": "", "zod.ts": "" });
  const r = resolver();
  assert.equal(r.resolve("zod", p.url("main.ts")), undefined);
  assert.equal(r.resolve("node:fs", p.url("main.ts")), undefined);
  assert.equal(r.resolve("https://example.com/x", p.url("main.ts")), undefined);
  assert.equal(r.resolve("#internal", p.url("main.ts")), undefined);
});

test("absolute paths and file: URLs resolve like relative ones", () => {
  const p = project({ "main.ts": "", "counter.ts": "", "lib/index.ts": "" });
  const r = resolver();
  assert.equal(r.resolve(path.join(p.root, "counter"), p.url("main.ts")), p.url("counter.ts"));
  assert.equal(r.resolve(p.url("counter.js"), p.url("main.ts")), p.url("counter.ts"));
  assert.equal(r.resolve(p.url("lib"), undefined), p.url("lib/index.ts"));
  assert.equal(r.resolve(path.join(p.root, "counter"), undefined), p.url("counter.ts"));
});

test("a relative specifier without a file parent is not handled", () => {
  const p = project({ "counter.ts": "" });
  const r = resolver();
  assert.equal(r.resolve("./counter", undefined), undefined);
  assert.equal(r.resolve("./counter", "data:text/javascript,"), undefined);
  assert.ok(p.root);
});

test("query and fragment are kept on the result", () => {
  const p = project({ "main.ts": "", "counter.ts": "" });
  assert.equal(
    resolver().resolve("./counter?v=1#x", p.url("main.ts")),
    `${p.url("counter.ts")}?v=1#x`,
  );
});

test("file names needing URL escapes round-trip", () => {
  const p = project({ "main.ts": "", "my dir/a b.ts": "", "my dir/100%/index.ts": "" });
  const r = resolver();
  assert.equal(r.resolve("./my dir/a b", p.url("main.ts")), p.url("my dir/a b.ts"));
  assert.equal(r.resolve("./my%20dir/a%20b", p.url("main.ts")), p.url("my dir/a b.ts"));
  assert.equal(r.resolve("./my%20dir/100%25", p.url("main.ts")), p.url("my dir/100%/index.ts"));
});

test("the extensions option replaces the default list", () => {
  const p = project({ "main.ts": "", "mod.js": "", "mod.ts": "", "dir/index.js": "" });
  const r = createBundlerResolver({ ...io, extensions: [".js"] });
  assert.equal(r.resolve("./mod", p.url("main.ts")), p.url("mod.js"));
  assert.equal(r.resolve("./dir", p.url("main.ts")), p.url("dir/index.js"));
});

test("I/O goes only through the functions passed in", () => {
  const seen: string[] = [];
  const r = createBundlerResolver({
    fileExists: (file) => {
      seen.push(file);
      return file === "/virtual/counter.ts";
    },
    isDirectory: () => false,
  });
  assert.equal(r.resolve("./counter", "file:///virtual/main.ts"), "file:///virtual/counter.ts");
  assert.deepEqual(seen, ["/virtual/counter", "/virtual/counter.ts"]);
});

test.run();
