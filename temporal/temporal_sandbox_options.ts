/**
 * What the Temporal adapter adds to Temporal's own worker options.
 * @module
 */
import type { LoaderServices } from "../loader/loader_services.ts";
import type { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";
import type { SandboxWarning } from "../sandbox/sandbox_warning.ts";
import type { DeterminismOptions } from "../sandbox/determinism_policy.ts";

/**
 * Sandbox options of a {@link SandboxedTemporalWorker} (`sandbox` in its worker options) and of a
 * {@link SandboxedWorkflowCreator}.
 *
 * @example
 * ```ts
 * import { TEMPORAL_RESTRICTIONS, type TemporalSandboxOptions } from "workflow-sandbox/temporal";
 * const sandbox: TemporalSandboxOptions = { bundlerResolution: true, restrictions: TEMPORAL_RESTRICTIONS };
 * ```
 */
export interface TemporalSandboxOptions {
  /**
   * Restrictions on top of Temporal's own determinism overrides. Without them, workflows get
   * isolation only (fresh module instances and a global object per run), as under Temporal's own
   * worker. `TEMPORAL_RESTRICTIONS` is the default rule table without the rules Temporal already
   * makes deterministic (`Date`, `Math.random`, `setTimeout`, `WeakRef`). Whatever the rules say,
   * `Date`, `Math`, `setTimeout`, `clearTimeout`, `WeakRef` and `FinalizationRegistry` are the SDK's.
   * `passthroughModules` is honoured: those modules are the host's own instances.
   * @default undefined (no restrictions)
   */
  readonly restrictions?: SandboxRestrictions;
  /**
   * Resolve relative imports as webpack and tsconfig `moduleResolution: "bundler"` do
   * (`import { bump } from './counter'`), as Temporal projects are written. The loader hooks are
   * process-wide: this registers them with bundler resolution, and fails if they were already
   * registered without it (set `WORKFLOW_SANDBOX_RESOLUTION=bundler` before the process starts).
   * @default false (unless WORKFLOW_SANDBOX_RESOLUTION=bundler)
   */
  readonly bundlerResolution?: boolean;
  /**
   * Receives the sandbox's warnings (restricted accesses, dynamic imports), each once per workflow
   * type and rule.
   * @default a line on the console
   */
  readonly onWarning?: (warning: SandboxWarning) => void;
  /** The loader's services. @default one set per process */
  readonly services?: LoaderServices;
  /**
   * The constants of `process.env` (`nodeEnv`, `environment`) and which packages read undeclared
   * names as `undefined` (docs/determinism.md); replaces the policy of `restrictions`. The SDK keeps
   * its own clock and PRNG, so only the environment part applies.
   * @default NODE_ENV "development", as Temporal's webpack bundle (mode "development")
   */
  readonly determinism?: DeterminismOptions;
}
