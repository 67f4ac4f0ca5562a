/**
 * The disk cache of transforms: compiled functors and host-side TypeScript transforms. A warm
 * start reads files and never starts esbuild. Writes are atomic (write to a temporary name, then
 * rename), so processes sharing one cache (CI runs several) never read a half-written file. A
 * read-only cache folder is not an error: the cache falls back to memory.
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { mapsNodeModulesSources } from "./runtime.ts";

/** A content-addressed store of transform outputs. */
export interface TransformCache {
  /** The folder in use, or undefined when the cache lives in memory only. */
  readonly dir: string | undefined;
  /** Reads an entry; `kind` is the file extension (`cjs`, `mjs`, `json`). */
  read(key: string, kind: string): string | undefined;
  /** Writes an entry and returns its path on disk, or undefined when in memory only. */
  write(key: string, kind: string, content: string): string | undefined;
  /** The path an entry has (or would have) on disk. */
  pathOf(key: string, kind: string): string | undefined;
}

/** Options of {@link createTransformCache}. */
export interface TransformCacheOptions {
  /**
   * The cache folder.
   * @default env WORKFLOW_SANDBOX_CACHE_DIR, else node_modules/.cache/workflow-sandbox above the
   * working directory, else a folder in the OS temporary directory
   */
  readonly dir?: string;
}

/**
 * Hashes the parts of a cache key. Parts are separated by a NUL so that `["ab","c"]` and
 * `["a","bc"]` differ.
 *
 * @example
 * ```ts
 * import { cacheKey } from "./transform_cache.ts";
 * cacheKey(["functor", "1", "/app/w.ts", "export const a = 1"]).length; // 40
 * ```
 */
export function cacheKey(parts: ReadonlyArray<string>): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex").slice(0, 40);
}

/**
 * Creates the transform cache.
 *
 * @example
 * ```ts
 * import { createTransformCache, cacheKey } from "./transform_cache.ts";
 * const cache = createTransformCache({ dir: "/tmp/wfs-cache" });
 * const key = cacheKey(["example"]);
 * cache.write(key, "json", "{}");
 * cache.read(key, "json"); // "{}"
 * ```
 */
export function createTransformCache(options: TransformCacheOptions = {}): TransformCache {
  const memory = new Map<string, string>();
  const dir = usableDir(options.dir ?? defaultCacheDir());
  const pathOf = (key: string, kind: string) =>
    dir === undefined ? undefined : join(dir, key.slice(0, 2), `${key}.${kind}`);
  return {
    dir,
    pathOf,
    read(key, kind) {
      const inMemory = memory.get(`${key}.${kind}`);
      if (inMemory !== undefined) return inMemory;
      const path = pathOf(key, kind);
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    write(key, kind, content) {
      const path = pathOf(key, kind);
      if (path !== undefined) {
        try {
          mkdirSync(dirname(path), { recursive: true });
          const temporary = `${path}.${process.pid}.${Math.floor(Math.random() * 1e9)}.tmp`;
          writeFileSync(temporary, content);
          renameSync(temporary, path);
          return path;
        } catch {
          // Read-only or full disk: keep going from memory.
        }
      }
      memory.set(`${key}.${kind}`, content);
      return undefined;
    },
  };
}

/** The cache folder used when none is given. */
export function defaultCacheDir(cwd: string = process.cwd()): string {
  const fromEnv = process.env.WORKFLOW_SANDBOX_CACHE_DIR;
  if (fromEnv) return fromEnv;
  // Where stack positions below node_modules are not mapped (Deno), the cache lives in the user's
  // cache folder, as Deno's own does.
  if (mapsNodeModulesSources) {
    for (let dir = cwd;; dir = dirname(dir)) {
      if (existsSync(join(dir, "node_modules"))) return join(dir, "node_modules", ".cache", "workflow-sandbox");
      if (dirname(dir) === dir) break;
    }
  }
  const home = process.env.XDG_CACHE_HOME ?? (process.env.HOME ? join(process.env.HOME, ".cache") : undefined);
  if (home) return join(home, "workflow-sandbox");
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  return join(tmpdir(), `workflow-sandbox-${uid}`);
}

function usableDir(dir: string): string | undefined {
  // No write probe here: every start would pay for it, and `write` already falls back to memory
  // when the folder turns out to be read-only (entries written earlier are still read).
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    // read-only: may still hold entries
  }
  try {
    return statSync(dir).isDirectory() ? dir : undefined;
  } catch {
    return undefined;
  }
}
