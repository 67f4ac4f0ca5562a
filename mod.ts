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
