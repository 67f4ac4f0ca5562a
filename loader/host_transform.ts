/**
 * Transforms a TypeScript file for the host's own loader (Node has no TypeScript support before
 * 22.18, and none for enums or decorators after): the file stays an ES module, with an inline
 * source map. Used by the load hook for files imported natively: the worker's entry point,
 * `workflowsPath` during discovery, and passed-through modules.
 * @module
 */
import { fileURLToPath } from "node:url";
import { esbuildSyntaxError } from "./esbuild_error.ts";
import type { LoadedEsbuild } from "./esbuild_loader.ts";
import { withFasterNames } from "./esbuild_helpers.ts";
import { cacheKey, type TransformCache } from "./transform_cache.ts";
import type { TsSettings } from "./ts_settings.ts";

// This package's folder: loader/host_transform.ts and dist/<chunk>.js are both one level down.
const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));
const OWN_FOLDERS = ["loader/", "sandbox/", "worker/", "cli/", "temporal/"].map((folder) => PACKAGE_ROOT + folder);
const OWN_FILES = ["mod.ts", "workflow.ts"].map((file) => PACKAGE_ROOT + file);

/** The package's own sources (not its tests, examples or benches, which hold workflows). */
const isOwnSource = (path: string): boolean =>
  OWN_FILES.includes(path) || OWN_FOLDERS.some((folder) => path.startsWith(folder));

/** Options of {@link createHostTransform}. */
export interface HostTransformOptions {
  readonly cache: TransformCache;
  readonly loadEsbuild: () => LoadedEsbuild;
  readonly esbuildVersion: string;
}

/**
 * Creates the host transform.
 *
 * @example
 * ```ts
 * import { createHostTransform } from "./host_transform.ts";
 * import { createTransformCache } from "./transform_cache.ts";
 * import { createEsbuildLoader } from "./esbuild_loader.ts";
 * const transform = createHostTransform({
 *   cache: createTransformCache(), loadEsbuild: createEsbuildLoader(import.meta.url), esbuildVersion: "0.28.2",
 * });
 * transform("/app/a.ts", "export const a: number = 1", { compilerOptions: {}, source: undefined, key: "{}" });
 * ```
 */
export function createHostTransform(
  options: HostTransformOptions,
): (filePath: string, source: string, settings: TsSettings, format?: "esm" | "cjs") => string {
  return (filePath, source, settings, format = "esm") => {
    const keepNames = !isOwnSource(filePath);
    const key = cacheKey(["host", "6", options.esbuildVersion, filePath, format, String(keepNames), settings.key, source]);
    const cached = options.cache.read(key, format === "esm" ? "mjs" : "cjs");
    if (cached !== undefined) return cached;
    let code: string;
    try {
      code = options.loadEsbuild().esbuild.transformSync(source, {
        loader: filePath.endsWith(".tsx") ? "tsx" : "ts",
        format,
        target: "es2022",
        // See functor_compiler.ts: workflow names come from `.name`. This package's own sources
        // (run from TypeScript by its tests and benches) read no renamed name, as its bundled
        // dist/ does not, and must not pay a defineProperty per closure created.
        keepNames,
        // Keep `with { type: "json" }`: es2022 predates import attributes, and Node needs them.
        supported: { "import-attributes": true },
        sourcefile: filePath,
        sourcemap: "inline",
        sourcesContent: true,
        tsconfigRaw: { compilerOptions: settings.compilerOptions },
        logLevel: "silent",
      }).code;
      if (keepNames) code = withFasterNames(code);
    } catch (error) {
      throw esbuildSyntaxError(filePath, error);
    }
    options.cache.write(key, format === "esm" ? "mjs" : "cjs", code);
    return code;
  };
}
