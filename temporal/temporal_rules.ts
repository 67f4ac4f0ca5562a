/**
 * The Temporal mode of the restrictions: the default rule table without the rules for what
 * Temporal's workflow runtime already makes deterministic, so that such calls keep working as they
 * do under Temporal's own worker.
 * @module
 */
import { ALLOWED_RULES, matcherFromRules, RESTRICTED_RULES, type RestrictionRule } from "../sandbox/default_rules.ts";
import { GLOBAL_ROOT, type RulePath } from "../sandbox/rule_path.ts";
import { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";

/**
 * Globals the SDK's `overrideGlobals()` replaces (`@temporalio/workflow/lib/global-overrides.js`):
 * `Date` follows the workflow task's time, `Math.random` is seeded per execution, `setTimeout` and
 * `clearTimeout` are durable timers, `WeakRef` and `FinalizationRegistry` throw
 * `DeterminismViolationError`. The adapter always gives workflows these values, so rules for them
 * would only forbid deterministic calls.
 */
const OWNED_BY_TEMPORAL: readonly RulePath[] = [
  [GLOBAL_ROOT, "Date"],
  [GLOBAL_ROOT, "Math", "random"],
  [GLOBAL_ROOT, "setTimeout"],
  [GLOBAL_ROOT, "clearTimeout"],
  [GLOBAL_ROOT, "WeakRef"],
  [GLOBAL_ROOT, "FinalizationRegistry"],
];

const ownedByTemporal = (rule: RestrictionRule): boolean =>
  OWNED_BY_TEMPORAL.some((prefix) => prefix.every((name, i) => rule.path[i] === name));

/**
 * The default rows minus the rows under `Date`, `Math.random`, `setTimeout`, `clearTimeout`,
 * `WeakRef` and `FinalizationRegistry`. `setInterval` and `setImmediate` stay: Temporal has no such
 * timers (the adapter leaves them undefined, as a Temporal workflow context does).
 *
 * @example
 * ```ts
 * import { TEMPORAL_RESTRICTED_RULES } from "workflow-sandbox/temporal";
 * TEMPORAL_RESTRICTED_RULES.some((rule) => rule.path.join(".") === "globalThis.Math.random.__call__"); // false
 * TEMPORAL_RESTRICTED_RULES.some((rule) => rule.path.join(".") === "globalThis.fetch.__call__"); // true
 * ```
 */
export const TEMPORAL_RESTRICTED_RULES: readonly RestrictionRule[] = Object.freeze(
  RESTRICTED_RULES.filter((rule) => !ownedByTemporal(rule)),
);

/**
 * `SandboxRestrictions.default` with {@link TEMPORAL_RESTRICTED_RULES}: built-ins and this package
 * pass through, and their non-deterministic members (`fetch`, `node:fs`, `process.env`,
 * `crypto.randomUUID`, `performance.now`, ...) raise `RestrictedWorkflowAccessError`.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { SandboxedTemporalWorker, TEMPORAL_RESTRICTIONS } from "workflow-sandbox/temporal";
 * const history = JSON.parse(readFileSync("history.json", "utf8"));
 * await SandboxedTemporalWorker.runReplayHistory(
 *   { workflowsPath: "/app/workflows.ts", sandbox: { restrictions: TEMPORAL_RESTRICTIONS } },
 *   history,
 * );
 * ```
 */
export const TEMPORAL_RESTRICTIONS: SandboxRestrictions = SandboxRestrictions.default.with({
  invalidModuleMembers: matcherFromRules(TEMPORAL_RESTRICTED_RULES, ALLOWED_RULES),
});
