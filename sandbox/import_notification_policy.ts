/**
 * What the sandbox says about imports that may cost memory or surprise: Python's
 * `SandboxImportNotificationPolicy` flag enum (python-sandbox.md §1.8, §2.6) as bit flags.
 *
 * @module
 */

/**
 * Import notification flags, combined with `|`. `SILENT` is `0` (no flag), so `SILENT | x === x`;
 * in Python `SILENT` is a flag of its own, which only matters to code that tests `policy & SILENT`.
 *
 * - `WARN_ON_DYNAMIC_IMPORT` (the default): warn when a module that is not passed through is first
 *   imported after the workflow was loaded (a lazy `import()` inside an activation).
 * - `WARN_ON_UNINTENTIONAL_PASSTHROUGH`: warn when a module that is not listed as passthrough is
 *   imported, so it is instantiated again for every run (python-sandbox.md §2.6; as in Python, this
 *   includes the workflow's own modules unless they are listed).
 * - `RAISE_ON_UNINTENTIONAL_PASSTHROUGH`: throw `UnintentionalPassthroughError` instead.
 *
 * @example
 * ```ts
 * import { SandboxImportNotificationPolicy as Policy } from "./import_notification_policy.ts";
 * const policy = Policy.WARN_ON_DYNAMIC_IMPORT | Policy.WARN_ON_UNINTENTIONAL_PASSTHROUGH;
 * (policy & Policy.WARN_ON_UNINTENTIONAL_PASSTHROUGH) !== 0; // true
 * ```
 */
export const SandboxImportNotificationPolicy = Object.freeze({
  SILENT: 0,
  WARN_ON_DYNAMIC_IMPORT: 1,
  WARN_ON_UNINTENTIONAL_PASSTHROUGH: 2,
  RAISE_ON_UNINTENTIONAL_PASSTHROUGH: 4,
} as const);

/**
 * A combination of {@link SandboxImportNotificationPolicy} flags: an integer from 0 to 7.
 *
 * @example
 * ```ts
 * import {
 *   type SandboxImportNotificationPolicy,
 *   SandboxImportNotificationPolicy as Policy,
 * } from "./import_notification_policy.ts";
 * const policy: SandboxImportNotificationPolicy = Policy.SILENT;
 * ```
 */
export type SandboxImportNotificationPolicy = number;

/** Every flag set: the largest valid policy. */
const ALL_FLAGS = 0b111;

/**
 * Whether `policy` is a valid combination of flags (an integer made of known bits only).
 *
 * @example
 * ```ts
 * import { isImportNotificationPolicy } from "./import_notification_policy.ts";
 * isImportNotificationPolicy(3); // true
 * isImportNotificationPolicy(8); // false
 * ```
 */
export function isImportNotificationPolicy(policy: unknown): policy is SandboxImportNotificationPolicy {
  return Number.isInteger(policy) && ((policy as number) & ~ALL_FLAGS) === 0 &&
    (policy as number) >= 0;
}

/**
 * Whether `policy` includes every bit of `flag`.
 *
 * @example
 * ```ts
 * import {
 *   hasImportNotificationFlag,
 *   SandboxImportNotificationPolicy as Policy,
 * } from "./import_notification_policy.ts";
 * hasImportNotificationFlag(Policy.WARN_ON_DYNAMIC_IMPORT, Policy.WARN_ON_DYNAMIC_IMPORT); // true
 * ```
 */
export function hasImportNotificationFlag(
  policy: SandboxImportNotificationPolicy,
  flag: SandboxImportNotificationPolicy,
): boolean {
  return flag !== 0 && (policy & flag) === flag;
}
