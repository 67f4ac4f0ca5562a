/**
 * Registers the loader hooks: `module.registerHooks` (in-thread, synchronous) where it works,
 * `module.register` (off-thread) on Node 20.6 to 22.14, and a clear error anywhere else.
 * Registering twice (the `--import` flag and a library import) is idempotent; two different
 * copies of the package in one process are an error, because class identity would split.
 * @module
 */
import * as nodeModule from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createHookState } from "./hook_state.ts";
import { createSyncHooks, type HookState, PROBE_SPECIFIER } from "./hooks.ts";

/** Options of {@link register}. */
export interface RegisterOptions {
  /**
   * Resolve relative imports as bundlers and tsconfig `moduleResolution: "bundler"` do
   * (extensionless, `.js` to `.ts`, folder `index`), for projects written that way.
   * @default env WORKFLOW_SANDBOX_RESOLUTION === "bundler"
   */
  readonly bundlerResolution?: boolean;
}

/** How the hooks were registered. */
export type RegistrationMode = "registerHooks" | "register";

/** The result of {@link register}. */
export interface Registration {
  readonly mode: RegistrationMode;
  /** The package root this registration belongs to. */
  readonly root: string;
  readonly version: string;
  /** Marker results for runtimes whose `import.meta.resolve` skips hooks (Deno). */
  readonly markerResults: HookState["markerResults"];
  /** The runtime's transpiled output of files, when it transpiles TypeScript itself (Deno). */
  readonly transpiled: HookState["transpiled"];
  readonly emptyModuleUrl: string;
  readonly bundlerResolution: boolean;
  /** Removes the hooks (`module.register` hooks cannot be removed: Node offers no way). */
  deregister(): void;
}

const STATE_KEY = Symbol.for("workflow-sandbox.registration");
const isDeno = "Deno" in globalThis;

/**
 * Registers the hooks once per process and returns the registration.
 *
 * @example
 * ```ts
 * import { register } from "workflow-sandbox";
 * const registration = register();
 * registration.mode; // "registerHooks" on Node >= 22.15 and Deno, "register" on Node 20
 * ```
 */
export function register(options: RegisterOptions = {}): Registration {
  const here = packageRoot();
  const existing = (globalThis as Record<symbol, Registration | undefined>)[STATE_KEY];
  if (existing) {
    if (existing.root !== here.root) {
      throw new Error(
        `Two copies of workflow-sandbox are loaded: '${existing.root}' (${existing.version}) and ` +
          `'${here.root}' (${here.version}). Workflow code would see classes from one copy and the ` +
          `worker from the other. Make every import resolve to one copy: deduplicate dependencies ` +
          `('npm dedupe') or map 'workflow-sandbox' to one path in your import map (WFS_DUPLICATE_PACKAGE)`,
      );
    }
    return existing;
  }
  const bundlerResolution = options.bundlerResolution ?? process.env.WORKFLOW_SANDBOX_RESOLUTION === "bundler";
  const emptyModuleUrl = pathToFileURL(join(here.root, "loader", "__workflow_sandbox_empty__.mjs")).href;
  const registration = registerHooks(here, bundlerResolution, emptyModuleUrl);
  // Node maps stack positions only when asked. Deno always maps modules it loaded, and its
  // `process.setSourceMapsEnabled` switches to Node's map cache, which knows none of them.
  if (!isDeno) (process as { setSourceMapsEnabled?: (on: boolean) => void }).setSourceMapsEnabled?.(true);
  Object.defineProperty(globalThis, STATE_KEY, { value: registration, configurable: true });
  return registration;
}

/** The current registration, registering first if needed (the library-import front door). */
export function ensureRegistered(): Registration {
  return (globalThis as Record<symbol, Registration | undefined>)[STATE_KEY] ?? register();
}

function registerHooks(
  here: { root: string; version: string },
  bundlerResolution: boolean,
  emptyModuleUrl: string,
): Registration {
  const base = { root: here.root, version: here.version, emptyModuleUrl, bundlerResolution };
  const api = nodeModule as unknown as {
    registerHooks?: (hooks: object) => { deregister(): void };
    register?: (specifier: string | URL, options?: object) => void;
  };
  if (typeof api.registerHooks === "function") {
    const state = createHookState({ bundlerResolution, deno: isDeno, emptyModuleUrl, packageUrl: import.meta.url });
    const handle = api.registerHooks(createSyncHooks(state));
    if (probe()) {
      return {
        ...base,
        mode: "registerHooks",
        markerResults: state.markerResults,
        transpiled: state.transpiled,
        deregister: () => handle.deregister(),
      };
    }
    handle.deregister();
  }
  if (typeof api.register === "function" && !isDeno) {
    api.register(asyncHooksUrl(here.root), {
      parentURL: import.meta.url,
      data: { bundlerResolution, emptyModuleUrl, packageUrl: import.meta.url, cacheDir: process.env.WORKFLOW_SANDBOX_CACHE_DIR },
    });
    return { ...base, mode: "register", markerResults: undefined, transpiled: undefined, deregister: () => {} };
  }
  const runtime = isDeno
    ? `Deno ${(globalThis as { Deno?: { version: { deno: string } } }).Deno?.version.deno}`
    : `Node.js ${process.version}`;
  throw new Error(
    `This version of ${runtime} supports neither module.registerHooks() nor module.register(), ` +
      `which workflow-sandbox needs to load workflow code. Upgrade to Node.js 20.6 or later, or ` +
      `Deno 2.9 or later (https://nodejs.org/api/module.html#customization-hooks) (WFS_UNSUPPORTED_RUNTIME)`,
  );
}

// Behaviour, not version numbers: `require()` must reach the in-thread hooks (it does on Node
// >= 22.15 and Deno >= 2.9; stubs on older Deno releases register but never call them).
function probe(): boolean {
  try {
    const require = nodeModule.createRequire(import.meta.url);
    return require(PROBE_SPECIFIER) === require("node:path");
  } catch {
    return false;
  }
}

function asyncHooksUrl(root: string): URL {
  // From the sources (tests), Node 20's hooks thread cannot load TypeScript: use the build.
  return pathToFileURL(join(root, "dist", "hooks_async.js"));
}

function packageRoot(): { root: string; version: string } {
  for (let dir = dirname(fileURLToPath(import.meta.url));; dir = dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (json.name === "workflow-sandbox") return { root: dir, version: String(json.version) };
    } catch {
      // keep walking up
    }
    if (dirname(dir) === dir) throw new Error(`Cannot find the package.json of workflow-sandbox above '${import.meta.url}'`);
  }
}
