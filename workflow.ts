// The workflow-authoring API (`import * as workflow from "workflow-sandbox/workflow"`, or
// `import { workflow } from "workflow-sandbox"`): re-exports only.
export { defn } from "./sandbox/workflow_definition.ts";
export * as unsafe from "./sandbox/unsafe.ts";
// The reference worker's authoring API (worker/): deterministic time, randomness, durable timers,
// activities, conditions, patching, continue-as-new, info, logger, handlers, failures.
export { now } from "./worker/workflow_time.ts";
export { random, uuid4 } from "./worker/workflow_random.ts";
export { sleep, type SleepOptions } from "./worker/workflow_sleep.ts";
export { condition, type ConditionOptions } from "./worker/workflow_condition.ts";
export { ActivityCancellationType, type ActivityOptions, executeActivity, proxyActivities } from "./worker/workflow_activity.ts";
export { deprecatePatch, patched } from "./worker/workflow_patch.ts";
export { ContinueAsNew, continueAsNew, type ContinueAsNewOptions, makeContinueAsNewFunc } from "./worker/continue_as_new.ts";
export { info, type WorkflowInfo } from "./worker/workflow_info.ts";
export { logger, type WorkflowLogger } from "./worker/workflow_logger.ts";
export { cancellationSignal } from "./worker/workflow_cancellation.ts";
export { defineQuery, defineSignal, type QueryDefinition, setHandler, type SignalDefinition } from "./worker/workflow_handlers.ts";
export { type HandlerMethodOptions, query, run, signal } from "./worker/workflow_method_decorators.ts";
export * from "./worker/failure.ts";
export type { RetryPolicy } from "./worker/retry_policy.ts";
export type { Duration } from "./worker/_duration.ts";
