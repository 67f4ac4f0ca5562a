/**
 * Reads the installed esbuild version without starting esbuild, for cache keys: a warm start
 * must not pay esbuild's start-up.
 * @module
 */
import { createRequire } from "node:module";

/**
 * Returns the version of the esbuild package that would be loaded, or "none".
 *
 * @example
 * ```ts
 * import { esbuildVersion } from "./esbuild_version.ts";
 * esbuildVersion(import.meta.url); // "0.28.2"
 * ```
 */
export function esbuildVersion(fromUrl: string): string {
  const require = createRequire(fromUrl);
  for (const name of ["esbuild", "esbuild-wasm"]) {
    try {
      return `${name}@${(require(`${name}/package.json`) as { version: string }).version}`;
    } catch {
      // try the next one
    }
  }
  return "none";
}
