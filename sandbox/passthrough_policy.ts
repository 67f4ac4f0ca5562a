/**
 * Decides whether a resolved module is passed through (the host's own instance) or instantiated
 * per run. Matching is by resolved identity, never by specifier text, so import-map aliases,
 * `npm:` specifiers and relative paths that reach one module agree:
 * - a built-in id (`fs`, `node:fs`) matches that built-in and its subpaths (`fs/promises`);
 * - a package name (`zod`, `@scope/pkg`) matches every file whose nearest named package.json has
 *   that name, and Deno's `npm:zod@...` URLs; `zod` never matches `zod-extra`;
 * - a `file:` URL or absolute path matches that file, or everything below it if it is a folder
 *   (written with a trailing `/`).
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { isAbsolute } from "node:path";
import type { createPackageScopes } from "../loader/package_scope.ts";

/** The decision and its reason, for diagnostics and the `check` command. */
export interface PassthroughMatch {
  /** The configured entry that matched, or "all" for `passthroughAllModules`. */
  readonly entry: string;
}

/** Options of {@link createPassthroughPolicy}. */
export interface PassthroughPolicyOptions {
  readonly modules: Iterable<string>;
  readonly all: boolean;
  readonly scopes: ReturnType<typeof createPackageScopes>;
  /** Called once per package name found at two different roots (class identity splits). */
  readonly onDuplicatePackage?: (name: string, roots: readonly string[]) => void;
}

/** A passthrough decision function. */
export interface PassthroughPolicy {
  match(url: string): PassthroughMatch | undefined;
}

/**
 * Creates a passthrough policy.
 *
 * @example
 * ```ts
 * import { createPassthroughPolicy } from "./passthrough_policy.ts";
 * import { createPackageScopes } from "../loader/package_scope.ts";
 * const policy = createPassthroughPolicy({ modules: ["fs", "zod"], all: false, scopes: createPackageScopes() });
 * policy.match("node:fs/promises")?.entry; // "fs"
 * ```
 */
export function createPassthroughPolicy(options: PassthroughPolicyOptions): PassthroughPolicy {
  const builtins = new Set<string>();
  const packages = new Set<string>();
  const files = new Set<string>();
  const folders: string[] = [];
  for (const raw of options.modules) {
    const entry = raw.trim();
    if (entry.startsWith("node:")) builtins.add(entry.slice(5));
    else if (entry.startsWith("file:") || isAbsolute(entry)) {
      // pathToFileURL keeps a trailing slash, which marks a folder.
      const url = entry.startsWith("file:") ? entry : pathToFileURL(entry).href;
      if (url.endsWith("/")) folders.push(url);
      else files.add(url);
    } else {
      // A bare name may be a built-in ("fs") and a package at once; both readings apply.
      builtins.add(entry);
      packages.add(entry);
    }
  }
  const seenRoots = new Map<string, Set<string>>();
  const cache = new Map<string, PassthroughMatch | undefined>();
  const decide = (url: string): PassthroughMatch | undefined => {
    if (options.all) return { entry: "all" };
    if (url.startsWith("node:")) {
      const id = url.slice(5);
      for (let prefix = id;; prefix = prefix.slice(0, prefix.lastIndexOf("/"))) {
        if (builtins.has(prefix)) return { entry: prefix };
        if (!prefix.includes("/")) return undefined;
      }
    }
    if (url.startsWith("npm:")) {
      const name = npmPackageName(url);
      return name !== undefined && packages.has(name) ? { entry: name } : undefined;
    }
    if (!url.startsWith("file:")) return undefined;
    if (files.has(url)) return { entry: url };
    for (const folder of folders) if (url.startsWith(folder)) return { entry: folder };
    const scope = options.scopes.named(fileURLToPath(url));
    if (scope?.name === undefined) return undefined;
    trackRoot(scope.name, scope.root);
    return packages.has(scope.name) ? { entry: scope.name } : undefined;
  };
  const trackRoot = (name: string, root: string) => {
    let roots = seenRoots.get(name);
    if (!roots) seenRoots.set(name, roots = new Set());
    if (roots.has(root)) return;
    roots.add(root);
    if (roots.size === 2) options.onDuplicatePackage?.(name, [...roots]);
  };
  return {
    match(url) {
      if (cache.has(url)) return cache.get(url);
      const result = decide(url);
      cache.set(url, result);
      return result;
    },
  };
}

/** `npm:@scope/pkg@^1/sub` -> `@scope/pkg`; `npm:/zod@4.0.0/index.js` (Deno's form) -> `zod`. */
export function npmPackageName(url: string): string | undefined {
  const rest = url.slice(4).replace(/^\/+/, "");
  const match = /^(@[^/@]+\/[^/@]+|[^/@]+)/.exec(rest);
  return match?.[1];
}
