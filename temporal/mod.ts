// workflow-sandbox/temporal: run Temporal TypeScript workflows in the sandbox (Node only).
// Re-exports only; see docs/temporal.md.
export * from "./sandboxed_temporal_worker.ts";
export * from "./sandboxed_workflow_creator.ts";
export * from "./temporal_sandbox_options.ts";
export * from "./temporal_rules.ts";
export type { WorkflowRuntime, WorkflowRuntimeOptions } from "./_workflow_runtime.ts";
