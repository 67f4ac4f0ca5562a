// Public API: re-exports only (docs/design.md, "Audiences and layout").
// Authoring API, as a namespace: `workflow.defn`, `workflow.unsafe.inSandbox()`, ...
export * as workflow from "./workflow.ts";
// Host API.
export * from "./loader/register.ts";
export * from "./sandbox/workflow_definition.ts";
export * from "./sandbox/workflow_runner.ts";
export * from "./sandbox/sandboxed_workflow_runner.ts";
export * from "./sandbox/unsandboxed_workflow_runner.ts";
export * from "./sandbox/workflow_validation_error.ts";
export * from "./sandbox/deadlock_error.ts";
// Restrictions: the matcher tree, the immutable restrictions, the default rule tables.
export * from "./sandbox/sandbox_matcher.ts";
export * from "./sandbox/sandbox_restrictions.ts";
export * from "./sandbox/import_notification_policy.ts";
export { CALL, GLOBAL_ROOT, NEW, qualifiedName, type RulePath } from "./sandbox/rule_path.ts";
export { ALLOWED_RULES, RESTRICTED_RULES, type AllowedRule, type RestrictionRule } from "./sandbox/default_rules.ts";
// Deterministic mode: the policy and the substitution table (docs/determinism.md).
export * from "./sandbox/determinism_policy.ts";
export {
  DETERMINISM_SOURCES,
  type DeterminismSource,
  SUBSTITUTION_RULES,
  type SubstitutionRule,
} from "./sandbox/deterministic_rules.ts";
export type { SandboxWarning } from "./sandbox/sandbox_warning.ts";
// The reference worker (worker/): environment, client, worker, replayer, stores, boundary.
export * from "./worker/workflow_environment.ts";
export * from "./worker/workflow_client.ts";
export * from "./worker/worker.ts";
export type { ShutdownSignal, WorkerOptions } from "./worker/worker_options.ts";
export * from "./worker/replayer.ts";
export * from "./worker/workflow_history.ts";
export * from "./worker/payload_converter.ts";
export * from "./worker/failure.ts";
export { errorToFailure, failureToError } from "./worker/failure_converter.ts";
export * from "./worker/client_errors.ts";
export * from "./worker/logger.ts";
export { type ActivityInfo, Context } from "./worker/activity_context.ts";
export type { RetryPolicy } from "./worker/retry_policy.ts";
export type { ActivityOptions } from "./worker/workflow_activity.ts";
export type { ErrorTypeEntry } from "./worker/_error_types.ts";
export type { Duration } from "./worker/_duration.ts";
export * from "./worker/history_store.ts";
export * from "./worker/memory_history_store.ts";
export * from "./worker/file_history_store.ts";
export * from "./worker/sqlite_history_store.ts";
export * from "./worker/crash_injection.ts";
// The sandbox errors the worker and the replayer surface (NondeterminismError, RestrictedWorkflowAccessError).
export * from "./sandbox/errors.ts";
