// The disk cache of transforms: atomic, keyed on every input, memory fallback when read-only.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheKey, createTransformCache } from "../loader/transform_cache.ts";

test("keys differ when any part differs, including where parts split", () => {
  assert.notEqual(cacheKey(["ab", "c"]), cacheKey(["a", "bc"]));
  assert.equal(cacheKey(["a", "b"]), cacheKey(["a", "b"]));
});

test("entries round-trip on disk and leave no temporary file", () => {
  const dir = mkdtempSync(join(tmpdir(), "wfs-cache-"));
  try {
    const cache = createTransformCache({ dir });
    const key = cacheKey(["x"]);
    const path = cache.write(key, "cjs", "module.exports = 1");
    assert.ok(path?.startsWith(dir));
    assert.equal(createTransformCache({ dir }).read(key, "cjs"), "module.exports = 1");
    assert.deepEqual(readdirSync(join(dir, key.slice(0, 2))), [`${key}.cjs`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a read-only cache folder still serves what it holds and keeps new entries in memory", () => {
  if (process.getuid?.() === 0) {
    // root ignores permission bits: use a folder that cannot be created (below a regular file)
    const file = join(mkdtempSync(join(tmpdir(), "wfs-cache-file-")), "not-a-folder");
    writeFileSync(file, "");
    const cache = createTransformCache({ dir: join(file, "cache") });
    assert.equal(cache.dir, undefined);
    assert.equal(cache.write("k1", "cjs", "a"), undefined);
    assert.equal(cache.read("k1", "cjs"), "a");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "wfs-cache-ro-"));
  try {
    createTransformCache({ dir }).write("k0", "cjs", "old");
    chmodSync(dir, 0o555);
    const cache = createTransformCache({ dir });
    assert.equal(cache.read("k0", "cjs"), "old");
    assert.equal(cache.write("k1", "cjs", "new"), undefined);
    assert.equal(cache.read("k1", "cjs"), "new");
  } finally {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
