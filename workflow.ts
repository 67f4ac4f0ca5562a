// The workflow-authoring API (`import * as workflow from "workflow-sandbox/workflow"`, or
// `import { workflow } from "workflow-sandbox"`): re-exports only.
export { defn } from "./sandbox/workflow_definition.ts";
export * as unsafe from "./sandbox/unsafe.ts";
