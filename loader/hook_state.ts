/**
 * Builds the state the hooks run with, for the current runtime.
 * @module
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { createBundlerResolver } from "./bundler_resolution.ts";
import { createEsbuildLoader } from "./esbuild_loader.ts";
import { esbuildVersion } from "./esbuild_version.ts";
import type { HookState } from "./hooks.ts";
import { createHostTransform } from "./host_transform.ts";
import { createImportMapResolver } from "./import_map_resolver.ts";
import { createTransformCache } from "./transform_cache.ts";
import { createTsSettingsReader } from "./ts_settings.ts";
import { transpilesTypeScript } from "./runtime.ts";

/** Options a registration takes (see `register()`). */
export interface HookStateOptions {
  /** Opt-in bundler-style resolution. */
  readonly bundlerResolution: boolean;
  readonly emptyModuleUrl: string;
  /** Where esbuild and the package's own files are looked up from. */
  readonly packageUrl: string;
}

/**
 * Creates the hook state.
 *
 * @example
 * ```ts
 * import { createHookState } from "./hook_state.ts";
 * const state = createHookState({
 *   bundlerResolution: false, emptyModuleUrl: "file:///x/empty.mjs", packageUrl: import.meta.url,
 * });
 * typeof state.transformTs; // "function" on Node, "undefined" on Deno (it transpiles itself)
 * ```
 */
export function createHookState(options: HookStateOptions): HookState {
  const fileExists = (path: string) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  const isDirectory = (path: string) => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  };
  const bundler = options.bundlerResolution ? createBundlerResolver({ fileExists, isDirectory }) : undefined;
  if (transpilesTypeScript) {
    return { bundler, markerResults: new Map(), transpiled: new Map(), emptyModuleUrl: options.emptyModuleUrl };
  }
  const cache = createTransformCache();
  const transform = createHostTransform({
    cache,
    loadEsbuild: createEsbuildLoader(options.packageUrl),
    esbuildVersion: esbuildVersion(options.packageUrl),
  });
  const settings = createTsSettingsReader();
  return {
    bundler,
    emptyModuleUrl: options.emptyModuleUrl,
    importMap: createImportMapResolver({
      readFile: (path) => readFileSync(path, "utf8"),
      fileExists: (path) => existsSync(path) && fileExists(path),
      statFile: (path) => statSync(path, { throwIfNoEntry: false }),
    }),
    transformTs: (filePath, source, format) => transform(filePath, source, settings.forFile(filePath), format),
  };
}
