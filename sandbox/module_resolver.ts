/**
 * Resolves the imports of sandboxed modules with the runtime's own resolver (import maps,
 * `npm:`, package `exports` and conditions apply exactly as natively) through the marker
 * specifiers of `loader/resolve_marker.ts`, and `require()` calls with CommonJS resolution.
 * @module
 */
import { builtinModules, createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ensureRegistered } from "../loader/register.ts";
import { encodeResolveRequest } from "../loader/resolve_marker.ts";

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
  if (!result) throw new Error(`The resolve hook did not answer for '${specifier}' from '${parentURL}'`);
  if (result.error) throw result.error;
  return normalise(result.url!);
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
