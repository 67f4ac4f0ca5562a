// Every error code the code can throw has its page in docs/errors/, and every page has the same
// parts: a title naming its code, what happened, the fix, and an example.
//
// The codes are collected from the sources (every file outside tests, benches, examples, docs,
// scripts and build output): a code is a `WFS_` name in capitals, however it is written there (a
// string literal, a message, a constant, a union type), so a new code cannot ship without a page.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ERROR_CODES } from "../sandbox/coded_error.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const pagesDir = join(root, "docs", "errors");
const NOT_SOURCE = new Set([
  ".git",
  ".runtimes",
  ".wfs-cache",
  "bench",
  "coverage",
  "dist",
  "docs",
  "examples",
  "node_modules",
  "scripts",
  "tests",
]);
const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;
// A whole name: `WFS_STORE_*` in a comment is a family, not a code.
const CODE = /(?<![A-Za-z0-9_])WFS_[A-Z0-9]+(?:_[A-Z0-9]+)*(?![A-Za-z0-9_*])/g;

function sourceFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!NOT_SOURCE.has(entry.name) && !entry.name.startsWith(".")) found.push(...sourceFiles(path));
    } else if (SOURCE_FILE.test(entry.name)) {
      found.push(path);
    }
  }
  return found;
}

/** Code -> the source files that mention it. */
function codesInSources(): Map<string, string[]> {
  const codes = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    for (const [code] of readFileSync(file, "utf8").matchAll(CODE)) {
      const files = codes.get(code) ?? [];
      if (!files.includes(file)) files.push(file);
      codes.set(code, files);
    }
  }
  return codes;
}

const codes = codesInSources();
const pages = readdirSync(pagesDir).filter((name) => name.endsWith(".md"));
const read = (page: string) => readFileSync(join(pagesDir, page), "utf8");

test("the scan finds the codes of the loader, the sandbox and the worker", () => {
  // If the scan broke (a moved folder, a changed pattern), the other tests would pass on nothing.
  for (const code of ["WFS_COMPILE", "WFS_RESOLVE", "WFS_RESTRICTED", "WFS_DEADLOCK", "WFS_NONDETERMINISM", "WFS_PAYLOAD", "WFS_STORE_CORRUPT"]) {
    assert.ok(codes.has(code), `${code} is found in the sources`);
  }
  const folders = new Set([...codes.values()].flat().map((file) => relative(root, file).split(/[\\/]/)[0]));
  for (const folder of ["loader", "sandbox", "worker"]) assert.ok(folders.has(folder), `codes are found in ${folder}/`);
  assert.ok(codes.size >= 40, `at least 40 codes, found ${codes.size}`);
});

test("every error code has a page in docs/errors", () => {
  const missing = [...codes.keys()].filter((code) => !existsSync(join(pagesDir, `${code}.md`)));
  const where = missing.map((code) => `${code} (in ${codes.get(code)!.map((file) => relative(root, file)).join(", ")})`);
  assert.deepEqual(where, [], `codes without a docs/errors/<CODE>.md page: ${where.join("; ")}`);
});

test("the factory's table of codes is exactly the codes of the sources, each with its page", () => {
  const table = new Set<string>(ERROR_CODES);
  const notInTable = [...codes.keys()].filter((code) => !table.has(code) && !isFamilyIndex(code));
  assert.deepEqual(notInTable, [], `codes in the sources missing from ERROR_CODES (sandbox/coded_error.ts): ${notInTable.join(", ")}`);
  for (const code of table) assert.ok(existsSync(join(pagesDir, `${code}.md`)), `${code} of ERROR_CODES has a page`);
});

test("every code page has a title naming its code, what happened, the fix and an example", () => {
  for (const page of pages.filter((name) => codes.has(name.slice(0, -3)))) {
    const code = page.slice(0, -3);
    const text = read(page);
    assert.match(text, new RegExp(`^# ${code}: \\S`), `${page} starts with '# ${code}: <what it means>'`);
    const parts = ["**What happened.**", "**Fix.**", "**Example.**"].map((part) => text.indexOf(part));
    assert.ok(parts.every((at) => at > 0), `${page} has the parts What happened, Fix and Example`);
    assert.deepEqual([...parts].sort((a, b) => a - b), parts, `${page} has them in the order What happened, Fix, Example`);
    assert.match(text.slice(parts[2]), /\n```[a-z]*\n[\s\S]+?\n```/, `${page} has a code block in its example`);
  }
});

test("a page that names no code is an index whose codes all exist and are linked", () => {
  for (const page of pages.filter((name) => !codes.has(name.slice(0, -3)))) {
    // WFS_STORE.md: the family WFS_STORE_*, one row per code.
    const family = page.slice(0, -3);
    const members = [...codes.keys()].filter((code) => code.startsWith(`${family}_`));
    assert.ok(members.length > 0, `${page} names no code of the sources and no family of codes: a page for a removed code?`);
    const text = read(page);
    for (const code of members) assert.ok(text.includes(`](${code}.md)`), `${page} links ${code}.md`);
    for (const [code] of text.matchAll(CODE)) assert.ok(codes.has(code), `${page} lists ${code}, which the sources no longer have`);
  }
});

test("every code in docs/worker.md's table of error codes exists and has a page", () => {
  const worker = readFileSync(join(root, "docs", "worker.md"), "utf8");
  const table = worker.slice(worker.indexOf("## Error codes"), worker.indexOf("\n## ", worker.indexOf("## Error codes") + 1));
  const listed = [...table.matchAll(CODE)].map(([code]) => code);
  assert.ok(listed.length >= 15, "the table lists the worker's codes");
  for (const code of listed) {
    assert.ok(codes.has(code), `docs/worker.md lists ${code}, which the sources do not have`);
    assert.ok(existsSync(join(pagesDir, `${code}.md`)), `docs/worker.md lists ${code}, which has no page`);
  }
});

test("relative links in the error pages point at files that exist", () => {
  for (const page of pages) {
    for (const [, target] of read(page).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // https: and other absolute links
      const path = resolve(dirname(join(pagesDir, page)), target);
      assert.ok(existsSync(path), `${page} links '${target}', which does not exist`);
    }
  }
});

/** A page naming a family of codes (WFS_STORE for WFS_STORE_*), not a code. */
function isFamilyIndex(code: string): boolean {
  return [...codes.keys()].some((other) => other.startsWith(`${code}_`)) && !(ERROR_CODES as readonly string[]).includes(code);
}

test.run();
