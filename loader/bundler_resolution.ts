/**
 * Opt-in bundler-style resolution of relative and absolute specifiers, as tsconfig
 * `moduleResolution: "bundler"` allows (https://www.typescriptlang.org/tsconfig/#moduleResolution)
 * and bundlers do: Temporal TypeScript projects write `import { bump } from './counter'`, which
 * Node's ESM resolver and Deno reject. The loader tries it only after the runtime's own
 * resolution failed (docs/resolution.md).
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The file I/O and settings the resolver needs, as plain functions over absolute paths: the
 * loader passes `node:fs` functions, tests may pass an in-memory tree.
 *
 * @example
 * ```ts
 * import { createBundlerResolver, type BundlerResolverOptions } from "./loader/bundler_resolution.ts";
 *
 * const files = new Set(["/app/counter.ts", "/app/lib/index.ts"]);
 * const memory: BundlerResolverOptions = {
 *   fileExists: (path) => files.has(path),
 *   isDirectory: (path) => path === "/app/lib" || path === "/app/lib/",
 *   extensions: [".ts"],
 * };
 * createBundlerResolver(memory).resolve("./lib", "file:///app/main.ts"); // "file:///app/lib/index.ts"
 * ```
 */
export interface BundlerResolverOptions {
  /** Whether a regular file (not a folder) exists at an absolute path. */
  fileExists(path: string): boolean;
  /** Whether a folder exists at an absolute path. */
  isDirectory(path: string): boolean;
  /**
   * Extensions tried, in order, after an extensionless specifier and after a folder's `index`.
   * TypeScript tries `.ts`, `.tsx`, `.js`, `.jsx` (its `tryAddingExtensions`); this list adds the
   * module kinds the loader also runs.
   *
   * @default [".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs", ".json"]
   */
  extensions?: readonly string[];
}

/**
 * What {@linkcode createBundlerResolver} returns.
 *
 * @example
 * ```ts
 * import { createBundlerResolver, type BundlerResolver } from "./loader/bundler_resolution.ts";
 *
 * const files = new Set(["/app/counter.ts"]);
 * const bundler: BundlerResolver = createBundlerResolver({
 *   fileExists: (path) => files.has(path),
 *   isDirectory: () => false,
 * });
 * bundler.resolve("./counter.js", "file:///app/main.ts"); // "file:///app/counter.ts"
 * bundler.resolve("./missing", "file:///app/main.ts"); // undefined
 * ```
 */
export interface BundlerResolver {
  /**
   * Resolves a relative (`./`, `../`) or absolute (`/`, `file:`) specifier to the `file:` URL of
   * an existing file, or returns undefined: for any other specifier, or when nothing matches.
   * A query or fragment on the specifier is kept on the result.
   */
  resolve(specifier: string, parentURL: string | undefined): string | undefined;
}

/** The default of {@linkcode BundlerResolverOptions.extensions}. */
const DEFAULT_EXTENSIONS: readonly string[] = [
  ".ts",
  ".tsx",
  ".mts",
  ".js",
  ".mjs",
  ".cjs",
  ".json",
];

/**
 * The TypeScript sources an emitted JavaScript name stands for, in TypeScript's order
 * (`tryAddingExtensions` in TypeScript's src/compiler/moduleNameResolver.ts: `.js` tries `.ts`
 * then `.tsx`; `.jsx` tries `.tsx` then `.ts`; `.mjs` tries `.mts`; `.cjs` tries `.cts`).
 */
const TYPESCRIPT_SOURCES: Readonly<Record<string, readonly string[]>> = {
  ".js": [".ts", ".tsx"],
  ".jsx": [".tsx", ".ts"],
  ".mjs": [".mts"],
  ".cjs": [".cts"],
};

/**
 * Creates a resolver for bundler-style relative imports. For the target path it tries, in order:
 *
 * 1. the file itself, when it exists (so `./a.js` is `a.js` whenever that file exists);
 * 2. for a `.js`, `.jsx`, `.mjs` or `.cjs` name, the TypeScript source it is emitted from
 *    (`./a.js` -> `a.ts`, `a.tsx`; `./a.mjs` -> `a.mts`; `./a.cjs` -> `a.cts`; `./a.jsx` ->
 *    `a.tsx`, `a.ts`);
 * 3. the path plus each of `extensions` (`./counter` -> `counter.ts`, ...);
 * 4. for a folder, its `index` plus each of `extensions` (`./lib` -> `lib/index.ts`, ...).
 *
 * A file wins over a folder of the same name, as in TypeScript (files are tried before
 * directories). Unlike TypeScript's type checker, which prefers `a.ts` to an existing `a.js`,
 * the existing file wins, as bundlers do at run time. A folder's package.json `main` is not
 * read: only `index` counts.
 *
 * @example
 * ```ts
 * import fs from "node:fs";
 * import os from "node:os";
 * import path from "node:path";
 * import { pathToFileURL } from "node:url";
 * import { createBundlerResolver } from "./loader/bundler_resolution.ts";
 *
 * const root = fs.mkdtempSync(path.join(os.tmpdir(), "app-"));
 * fs.mkdirSync(path.join(root, "lib"));
 * fs.writeFileSync(path.join(root, "counter.ts"), "export let count = 0;");
 * fs.writeFileSync(path.join(root, "lib", "index.ts"), "export {};");
 * const bundler = createBundlerResolver({
 *   fileExists: (file) => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false,
 *   isDirectory: (file) => fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false,
 * });
 * const main = pathToFileURL(path.join(root, "main.ts")).href;
 * bundler.resolve("./counter", main); // the file: URL of <root>/counter.ts
 * bundler.resolve("./counter.js", main); // the same: counter.js does not exist
 * bundler.resolve("./lib", main); // the file: URL of <root>/lib/index.ts
 * bundler.resolve("zod", main); // undefined: bare specifiers are not handled
 * ```
 */
export function createBundlerResolver(options: BundlerResolverOptions): BundlerResolver {
  const { fileExists, isDirectory } = options;
  const extensions = options.extensions ?? DEFAULT_EXTENSIONS;

  function firstFile(candidates: Iterable<string>): string | undefined {
    for (const candidate of candidates) if (fileExists(candidate)) return candidate;
    return undefined;
  }

  function* fileCandidates(path: string): Generator<string> {
    if (!path.endsWith("/") && !path.endsWith("\\")) {
      yield path;
      const extension = extensionOf(path);
      for (const source of TYPESCRIPT_SOURCES[extension] ?? []) {
        yield path.slice(0, -extension.length) + source;
      }
      for (const extension of extensions) yield path + extension;
    }
  }

  function resolve(specifier: string, parentURL: string | undefined): string | undefined {
    const url = targetURL(specifier, parentURL);
    if (url === undefined) return undefined;
    const suffix = url.search + url.hash;
    url.search = "";
    url.hash = "";
    const path = fileURLToPath(url);
    let found = firstFile(fileCandidates(path));
    if (found === undefined && isDirectory(path)) {
      const folder = path.endsWith("/") || path.endsWith("\\") ? path : `${path}/`;
      found = firstFile(extensions.map((extension) => `${folder}index${extension}`));
    }
    return found === undefined ? undefined : pathToFileURL(found).href + suffix;
  }

  return { resolve };
}

/** The file URL a relative or absolute specifier names, or undefined for any other specifier. */
function targetURL(specifier: string, parentURL: string | undefined): URL | undefined {
  if (specifier.startsWith("file:")) return new URL(specifier);
  const relative = specifier.startsWith("./") || specifier.startsWith("../") ||
    specifier === "." || specifier === "..";
  if (!relative && !specifier.startsWith("/")) return undefined;
  if (parentURL === undefined || !parentURL.startsWith("file:")) {
    // An absolute path still resolves without a file parent (an entry point); a relative one
    // cannot.
    return relative ? undefined : pathToFileURL(specifier);
  }
  // "." and ".." name folders: resolve them as "./" and "../" so the URL keeps the folder.
  return new URL(specifier === "." || specifier === ".." ? `${specifier}/` : specifier, parentURL);
}

/** The final extension of a path (`.js`), or "" when its last segment has none. */
function extensionOf(path: string): string {
  const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot);
}
