/**
 * Loads esbuild lazily: native `esbuild` when its binary is installed (about 1 ms per transform),
 * `esbuild-wasm` otherwise (it works everywhere but compiles its wasm on first use, 1.5 to 3.5 s,
 * then 20 to 40 ms per transform). A warm start with a full transform cache never calls this.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { createRequire } from "node:module";

/** The subset of esbuild's API the loader uses. */
export interface Esbuild {
  readonly version: string;
  transformSync(
    source: string,
    options: Record<string, unknown>,
  ): { code: string; warnings: ReadonlyArray<{ text: string }> };
  transform(
    source: string,
    options: Record<string, unknown>,
  ): Promise<{ code: string; warnings: ReadonlyArray<{ text: string }> }>;
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
    const errors: string[] = [];
    for (const [name, flavour] of flavours()) {
      try {
        const esbuild = createRequire(fromUrl)(name) as Esbuild;
        // The native package installs without its binary on unsupported platforms; the first
        // call is what proves it works.
        esbuild.transformSync("", {});
        return loaded = { esbuild, flavour };
      } catch (error) {
        errors.push(failure(name, error));
      }
    }
    throw notFound(errors);
  };
}

/**
 * {@link createEsbuildLoader} for esbuild's asynchronous API, proved by an asynchronous call:
 * native esbuild then talks to its service from this thread, which starts in about 30 ms, where
 * the first synchronous call starts a worker thread first (about 120 ms, measured on Node 20).
 *
 * @example
 * ```ts
 * import { createAsyncEsbuildLoader } from "./esbuild_loader.ts";
 * const load = createAsyncEsbuildLoader(import.meta.url);
 * const { esbuild } = await load();
 * await esbuild.transform("let a: number = 1", { loader: "ts" });
 * ```
 */
export function createAsyncEsbuildLoader(fromUrl: string): () => Promise<LoadedEsbuild> {
  let loaded: Promise<LoadedEsbuild> | undefined;
  return () => loaded ??= (async () => {
    const errors: string[] = [];
    for (const [name, flavour] of flavours()) {
      try {
        const esbuild = createRequire(fromUrl)(name) as Esbuild;
        await esbuild.transform("", {});
        return { esbuild, flavour };
      } catch (error) {
        errors.push(failure(name, error));
      }
    }
    throw notFound(errors);
  })();
}

/** The packages to try, in order; `WORKFLOW_SANDBOX_ESBUILD=wasm` skips the native one. */
const flavours = () =>
  ([["esbuild", "native"], ["esbuild-wasm", "wasm"]] as const)
    .filter(([, flavour]) => !(process.env.WORKFLOW_SANDBOX_ESBUILD === "wasm" && flavour === "native"));

const failure = (name: string, error: unknown) => `'${name}': ${(error as Error).message.split("\n")[0]}`;

const notFound = (errors: readonly string[]) =>
  codedError(Error, {
    code: "WFS_COMPILE",
    message: `Cannot load esbuild to transform TypeScript: ${errors.join("; ")}`,
    hint: "Install one of them next to workflow-sandbox ('npm install esbuild' or 'npm install esbuild-wasm')",
  });
