/**
 * Registers the loader hooks with `module.registerHooks` (in-thread, synchronous: Node 22.15+ and
 * Deno 2.9+), after checking the runtime is supported. Registering twice (the `--import` flag and
 * a library import) is idempotent; two different copies of the package in one process are an
 * error, because class identity would split.
 * @module
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { codedError } from "../sandbox/coded_error.ts";
import { createHookState } from "./hook_state.ts";
import { createSyncHooks, type HookState, PROBE_SPECIFIER } from "./hooks.ts";
import { assertSupportedRuntime, needsSourceMapsSwitch, registerHooks as runtimeRegisterHooks, runtimeName } from "./runtime.ts";

/** Options of {@link register}. */
export interface RegisterOptions {
  /**
   * Resolve relative imports as bundlers and tsconfig `moduleResolution: "bundler"` do
   * (extensionless, `.js` to `.ts`, folder `index`), for projects written that way.
   * @default env WORKFLOW_SANDBOX_RESOLUTION === "bundler"
   */
  readonly bundlerResolution?: boolean;
}

/** The result of {@link register}. */
export interface Registration {
  /** The package root this registration belongs to. */
  readonly root: string;
  readonly version: string;
  /** Marker results for runtimes whose `import.meta.resolve` skips hooks (Deno). */
  readonly markerResults: HookState["markerResults"];
  /** The runtime's transpiled output of files, when it transpiles TypeScript itself (Deno). */
  readonly transpiled: HookState["transpiled"];
  readonly emptyModuleUrl: string;
  readonly bundlerResolution: boolean;
  /** Removes the hooks. */
  deregister(): void;
}

const STATE_KEY = Symbol.for("workflow-sandbox.registration");

/**
 * Registers the hooks once per process and returns the registration.
 *
 * @example
 * ```ts
 * import { register } from "workflow-sandbox";
 * const registration = register();
 * registration.bundlerResolution; // false unless WORKFLOW_SANDBOX_RESOLUTION=bundler
 * ```
 */
export function register(options: RegisterOptions = {}): Registration {
  assertSupportedRuntime();
  const here = packageRoot();
  const existing = (globalThis as Record<symbol, Registration | undefined>)[STATE_KEY];
  if (existing) {
    if (existing.root !== here.root) {
      throw codedError(Error, {
        code: "WFS_DUPLICATE_PACKAGE",
        message: `Two copies of workflow-sandbox are loaded: '${existing.root}' (${existing.version}) and ` +
          `'${here.root}' (${here.version}). Workflow code would see classes from one copy and the ` +
          `worker from the other`,
        hint: `Make every import resolve to one copy: deduplicate dependencies ('npm dedupe') or map ` +
          `'workflow-sandbox' to one path in your import map`,
      });
    }
    return existing;
  }
  const bundlerResolution = options.bundlerResolution ?? process.env.WORKFLOW_SANDBOX_RESOLUTION === "bundler";
  const emptyModuleUrl = pathToFileURL(join(here.root, "loader", "__workflow_sandbox_empty__.mjs")).href;
  const state = createHookState({ bundlerResolution, emptyModuleUrl, packageUrl: import.meta.url });
  const handle = runtimeRegisterHooks!(createSyncHooks(state));
  if (!probe()) {
    handle.deregister();
    throw codedError(Error, {
      code: "WFS_UNSUPPORTED_RUNTIME",
      message: `${runtimeName} has module.registerHooks(), but require() does not reach the hooks it registers`,
      hint: "Upgrade to Node.js 22.15 or later, or Deno 2.9 or later",
    });
  }
  const registration: Registration = {
    root: here.root,
    version: here.version,
    emptyModuleUrl,
    bundlerResolution,
    markerResults: state.markerResults,
    transpiled: state.transpiled,
    deregister: () => handle.deregister(),
  };
  if (needsSourceMapsSwitch) process.setSourceMapsEnabled(true);
  Object.defineProperty(globalThis, STATE_KEY, { value: registration, configurable: true });
  return registration;
}

/** The current registration, registering first if needed (the library-import front door). */
export function ensureRegistered(): Registration {
  return (globalThis as Record<symbol, Registration | undefined>)[STATE_KEY] ?? register();
}

// Behaviour, not version numbers: `require()` must reach the in-thread hooks (stubs on older Deno
// releases register but never call them).
function probe(): boolean {
  try {
    const require = createRequire(import.meta.url);
    return require(PROBE_SPECIFIER) === require("node:path");
  } catch {
    return false;
  }
}

function packageRoot(): { root: string; version: string } {
  for (let dir = dirname(fileURLToPath(import.meta.url));; dir = dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (json.name === "workflow-sandbox") return { root: dir, version: String(json.version) };
    } catch {
      // keep walking up
    }
    if (dirname(dir) === dir) {
      throw codedError(Error, {
        code: "WFS_INTERNAL",
        message: `Cannot find the package.json of workflow-sandbox above '${import.meta.url}'`,
        hint: "Reinstall the package: its package.json must sit at its root",
      });
    }
  }
}
