/**
 * The `determinism` option of `Worker.create()` and the replayers: the default sandboxed runner's
 * `DeterminismPolicy` (docs/determinism.md). A worker and the replayer of its histories must be given
 * the same, as they must be given the same workflow code.
 * @module
 */
import { z } from "zod";
import type { DeterminismOptions } from "../sandbox/determinism_policy.ts";
import { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";
import { invalidOption } from "./_options.ts";

/**
 * The zod schema of the option (its fields are validated by `DeterminismPolicy`).
 *
 * @example
 * ```ts
 * import { determinismSchema } from "./_determinism_option.ts";
 * determinismSchema.safeParse({ timeZone: "UTC" }).success; // true
 * ```
 */
export const determinismSchema = z.custom<DeterminismOptions>(
  (value) => typeof value === "object" && value !== null && !Array.isArray(value),
  { error: "expected DeterminismOptions, an object such as { timeZone: 'UTC', environment: { REGION: 'eu' } }" },
);

/**
 * The default runner's restrictions for `determinism`, or `undefined` (the defaults) without it.
 * Fails with `WFS_INVALID_OPTION` naming the option when it is invalid, or when a custom runner was
 * given too (that runner's restrictions carry its policy).
 *
 * @example
 * ```ts
 * import { restrictionsFor } from "./_determinism_option.ts";
 * restrictionsFor({ timeZone: "Europe/Paris" }, false, "Worker.create()")?.determinism.timeZone; // "Europe/Paris"
 * ```
 */
export function restrictionsFor(
  determinism: DeterminismOptions | undefined,
  customRunner: boolean,
  call: string,
): SandboxRestrictions | undefined {
  if (determinism === undefined) return undefined;
  if (customRunner) {
    throw invalidOption(
      `${call} was given both 'determinism' and 'workflowRunner': the determinism policy belongs to the runner`,
      "Give the runner its policy (new SandboxedWorkflowRunner({ restrictions: SandboxRestrictions.default.withDeterminism({ ... }) })), or drop 'workflowRunner'",
      "determinism",
    );
  }
  try {
    return SandboxRestrictions.default.withDeterminism(determinism);
  } catch (error) {
    throw invalidOption(
      `Invalid option 'determinism' of ${call}: ${(error as Error).message}`,
      "Correct the option named in the message (DeterminismOptions, docs/determinism.md)",
      "determinism",
      error,
    );
  }
}
