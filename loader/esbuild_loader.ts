/**
 * Loads esbuild lazily: native `esbuild` when its binary is installed (about 1 ms per transform),
 * `esbuild-wasm` otherwise (it works everywhere but compiles its wasm on first use, 1.5 to 3.5 s,
 * then 20 to 40 ms per transform). A warm start with a full transform cache never calls this.
 * @module
 */
import { createRequire } from "node:module";

/** The subset of esbuild's API the loader uses. */
export interface Esbuild {
  readonly version: string;
  transformSync(
    source: string,
    options: Record<string, unknown>,
  ): { code: string; warnings: ReadonlyArray<{ text: string }> };
}

/** Which esbuild package is in use, for cache keys and diagnostics. */
export interface LoadedEsbuild {
  readonly esbuild: Esbuild;
  readonly flavour: "native" | "wasm";
}

/**
 * Returns a function that loads esbuild on first call and caches it. The loader is a factory so
 * that each hook registration owns its state (tsx learned this: registrations sharing module
 * state interfered with each other).
 *
 * @example
 * ```ts
 * import { createEsbuildLoader } from "./esbuild_loader.ts";
 * const load = createEsbuildLoader(import.meta.url);
 * const { esbuild } = load();
 * esbuild.transformSync("let a: number = 1", { loader: "ts" });
 * ```
 */
export function createEsbuildLoader(fromUrl: string): () => LoadedEsbuild {
  let loaded: LoadedEsbuild | undefined;
  return () => {
    if (loaded) return loaded;
    const require = createRequire(fromUrl);
    const errors: string[] = [];
    for (const [name, flavour] of [["esbuild", "native"], ["esbuild-wasm", "wasm"]] as const) {
      if (process.env.WORKFLOW_SANDBOX_ESBUILD === "wasm" && flavour === "native") continue;
      try {
        const esbuild = require(name) as Esbuild;
        // The native package installs without its binary on unsupported platforms; the first
        // call is what proves it works.
        esbuild.transformSync("", {});
        loaded = { esbuild, flavour };
        return loaded;
      } catch (error) {
        errors.push(`'${name}': ${(error as Error).message.split("\n")[0]}`);
      }
    }
    throw new Error(
      `Cannot load esbuild to transform TypeScript: ${errors.join("; ")}. ` +
        `Install one of them next to workflow-sandbox ('npm install esbuild' or 'npm install esbuild-wasm')`,
    );
  };
}
