/**
 * Finds the nearest package.json of a file: its `name` decides passthrough by package, its `type`
 * decides whether a `.js` file is ESM or CommonJS (as Node does).
 * @module
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** What the loader needs from a package.json. */
export interface PackageScope {
  /** Folder holding the package.json. */
  readonly root: string;
  readonly name: string | undefined;
  readonly version: string | undefined;
  readonly type: "module" | "commonjs";
}

/**
 * Creates a cached lookup of the nearest package.json above a folder. A package.json without a
 * `name` (a workspace or app root) still sets the `type` of the files below it.
 *
 * @example
 * ```ts
 * import { createPackageScopes } from "./package_scope.ts";
 * const scopes = createPackageScopes();
 * scopes.of("/work/app/node_modules/zod/index.js")?.name; // "zod"
 * ```
 */
export function createPackageScopes(
  readFile: (path: string) => string | undefined = readIfExists,
): {
  of(filePath: string): PackageScope | undefined;
  /** The nearest package.json that has a `name` (subfolders often hold one with only `type`). */
  named(filePath: string): PackageScope | undefined;
} {
  const byDir = new Map<string, PackageScope | undefined>();
  const lookup = (dir: string): PackageScope | undefined => {
    if (byDir.has(dir)) return byDir.get(dir);
    let found: PackageScope | undefined;
    const text = readFile(join(dir, "package.json"));
    if (text !== undefined) {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text);
      } catch {
        // Node ignores an unparsable package.json for scope purposes only when reading `type`
        // fails later; treating it as absent keeps going and the runtime reports the file.
      }
      found = {
        root: dir,
        name: typeof json.name === "string" ? json.name : undefined,
        version: typeof json.version === "string" ? json.version : undefined,
        type: json.type === "module" ? "module" : "commonjs",
      };
    } else {
      const parent = dirname(dir);
      found = parent === dir ? undefined : lookup(parent);
    }
    byDir.set(dir, found);
    return found;
  };
  const named = (dir: string): PackageScope | undefined => {
    const scope = lookup(dir);
    if (!scope || scope.name !== undefined) return scope;
    const parent = dirname(scope.root);
    return parent === scope.root ? undefined : named(parent);
  };
  return { of: (filePath) => lookup(dirname(filePath)), named: (filePath) => named(dirname(filePath)) };
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
