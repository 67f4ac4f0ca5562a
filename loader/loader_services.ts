/**
 * What the sandbox needs from the loader at run time: the functor compiler with its disk cache,
 * TypeScript settings and package scopes. One set per process is shared by all runners (the
 * compiled functors are immutable; per-runner state lives in each runner's module graph).
 * @module
 */
import { createAsyncEsbuildLoader, createEsbuildLoader } from "./esbuild_loader.ts";
import { esbuildVersion } from "./esbuild_version.ts";
import { createFunctorCompiler, type FunctorCompiler } from "./functor_compiler.ts";
import { createPackageScopes } from "./package_scope.ts";
import { createTransformCache } from "./transform_cache.ts";
import { createTsSettingsReader } from "./ts_settings.ts";
import { asyncEsbuild } from "./runtime.ts";

/** The loader's services for the sandbox. */
export interface LoaderServices {
  readonly compiler: FunctorCompiler;
  readonly tsSettings: ReturnType<typeof createTsSettingsReader>;
  readonly scopes: ReturnType<typeof createPackageScopes>;
}

/**
 * Creates loader services.
 *
 * @example
 * ```ts
 * import { createLoaderServices } from "./loader_services.ts";
 * const services = createLoaderServices({ cacheDir: "/tmp/wfs-cache" });
 * services.scopes.named("/app/node_modules/zod/index.js")?.name;
 * ```
 */
export function createLoaderServices(options: { cacheDir?: string } = {}): LoaderServices {
  const cache = createTransformCache({ dir: options.cacheDir });
  return {
    compiler: createFunctorCompiler({
      cache,
      loadEsbuild: createEsbuildLoader(import.meta.url),
      ...(asyncEsbuild ? { loadEsbuildAsync: createAsyncEsbuildLoader(import.meta.url) } : {}),
      esbuildVersion: esbuildVersion(import.meta.url),
    }),
    tsSettings: createTsSettingsReader(),
    scopes: createPackageScopes(),
  };
}

let shared: LoaderServices | undefined;

/** The process-wide services used when a runner is given none. */
export function sharedLoaderServices(): LoaderServices {
  return shared ??= createLoaderServices();
}
