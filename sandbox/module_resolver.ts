/**
 * Resolves the imports of sandboxed modules with the runtime's own resolver (import maps,
 * `npm:`, package `exports` and conditions apply exactly as natively) through the marker
 * specifiers of `loader/resolve_marker.ts`, and `require()` calls with CommonJS resolution.
 * @module
 */
import { codedError } from "./coded_error.ts";
import { builtinModules, createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureRegistered } from "../loader/register.ts";
import { encodeResolveRequest } from "../loader/resolve_marker.ts";
import { SOURCE_PREFIX } from "../loader/hooks.ts";

const BUILTINS = new Set(builtinModules);

/**
 * Resolves an ES module import as the runtime would for `parentURL`.
 *
 * @example
 * ```ts
 * import { resolveImport } from "./module_resolver.ts";
 * await resolveImport("node:fs", import.meta.url); // "node:fs"
 * ```
 */
export async function resolveImport(specifier: string, parentURL: string): Promise<string> {
  const registration = ensureRegistered();
  const marker = encodeResolveRequest(specifier, parentURL);
  const results = registration.markerResults;
  if (!results) return normalise(import.meta.resolve(marker));
  // Deno's import.meta.resolve does not run hooks; a dynamic import does, and the hook reports
  // the answer here and serves one shared empty module (no module record per resolution). Deno
  // remembers a specifier it resolved once and does not ask the hook again, so answers are kept.
  if (!results.has(marker)) await import(marker);
  const result = results.get(marker);
  if (!result) {
    throw codedError(Error, {
      code: "WFS_INTERNAL",
      message: `The resolve hook did not answer for '${specifier}' from '${parentURL}'`,
      hint: "Report this bug with the whole error and your runtime's version",
    });
  }
  if (result.error) throw result.error;
  return normalise(result.url!);
}

/**
 * Resolves an ES module import synchronously, for `import.meta.resolve` in a sandboxed module.
 * Node answers through its resolve hooks. Deno's `import.meta.resolve` skips the hooks but applies
 * the project's import map itself; an answer the hook already gave for this parent is preferred.
 *
 * @example
 * ```ts
 * import { resolveImportSync } from "./module_resolver.ts";
 * resolveImportSync("node:fs", import.meta.url); // "node:fs"
 * ```
 */
export function resolveImportSync(specifier: string, parentURL: string): string {
  const registration = ensureRegistered();
  const marker = encodeResolveRequest(specifier, parentURL);
  const results = registration.markerResults;
  if (!results) return normalise(import.meta.resolve(marker));
  const known = results.get(marker);
  if (known?.error) throw known.error;
  return normalise(known?.url ?? import.meta.resolve(specifier));
}

let transpileRequests = 0;

/**
 * The runtime's own JavaScript for a TypeScript file, where the runtime transpiles it (Deno,
 * whose output carries an inline source map to the original); undefined elsewhere.
 *
 * @example
 * ```ts
 * import { runtimeTranspiled } from "./module_resolver.ts";
 * await runtimeTranspiled(new URL("./workflows.ts", import.meta.url).href); // a string on Deno
 * ```
 */
export async function runtimeTranspiled(url: string): Promise<string | undefined> {
  const results = ensureRegistered().transpiled;
  if (!results || !/\.(ts|mts|tsx)$/.test(url)) return undefined;
  const request = `${SOURCE_PREFIX}${url}#${++transpileRequests}`;
  await import(request);
  const result = results.get(request);
  results.delete(request);
  if (!result) return undefined;
  if (result.error) throw result.error;
  return result.source;
}

/**
 * Resolves a `require()` call of a CommonJS module with CommonJS rules.
 *
 * @example
 * ```ts
 * import { resolveRequire } from "./module_resolver.ts";
 * resolveRequire("fs", "file:///app/index.cjs"); // "node:fs"
 * ```
 */
export function resolveRequire(specifier: string, parentURL: string): string {
  if (specifier.startsWith("node:") || BUILTINS.has(specifier)) return normalise(specifier);
  const resolved = createRequire(parentURL.startsWith("file:") ? fileURLToPath(parentURL) : parentURL).resolve(specifier);
  return BUILTINS.has(resolved) || resolved.startsWith("node:") ? normalise(resolved) : pathToFileURL(resolved).href;
}

/** `fs` and `node:fs` are one module. */
function normalise(url: string): string {
  if (url.startsWith("node:")) return url;
  return BUILTINS.has(url) ? `node:${url}` : url;
}
