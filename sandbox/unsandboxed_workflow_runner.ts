/**
 * The unsandboxed runner: workflow code runs as ordinary host code, with the host's module
 * instances and globals. No isolation and no restrictions (Python's `UnsandboxedWorkflowRunner`);
 * for workflows marked `sandboxed: false`, or a whole worker that opts out.
 * @module
 */
import type { RunSlotValue } from "./current_run.ts";
import { codedError } from "./coded_error.ts";
import { DeadlockError } from "./deadlock_error.ts";
import { nextMacrotask } from "./host_intrinsics.ts";
import type { WorkflowDefinition } from "./workflow_definition.ts";
import { drainsMicrotasks, runStretch } from "./deadlock_guard.ts";
import { handled } from "./handled.ts";
import type { ActivateOptions, ActivationJob, ActivationResult, WorkflowInstance, WorkflowInstanceDetails, WorkflowRunner } from "./workflow_runner.ts";
import { workflowValidationError } from "./workflow_validation_error.ts";

/**
 * Runs workflows without the sandbox.
 *
 * @example
 * ```ts
 * import { UnsandboxedWorkflowRunner, discoverWorkflows } from "workflow-sandbox";
 * const [definition] = await discoverWorkflows("./workflows.ts");
 * const runner = new UnsandboxedWorkflowRunner();
 * const instance = await runner.createInstance({ definition });
 * ```
 */
export class UnsandboxedWorkflowRunner implements WorkflowRunner {
  async prepare(definition: WorkflowDefinition): Promise<void> {
    const namespace = await import(definition.moduleUrl) as Record<string, unknown>;
    if (typeof namespace[definition.exportName] !== "function") {
      throw workflowValidationError(definition.name, {
        reason: `'${definition.exportName}' is not exported`,
        hint: `Export the value workflow.defn() returns as '${definition.exportName}'`,
      });
    }
  }

  async createInstance(details: WorkflowInstanceDetails): Promise<WorkflowInstance> {
    // The host's own export (discovery imported it); importing again per run would cost a trip
    // through the loader, which on Node 20 is another thread.
    const workflow = details.definition.hostExport ??
      (await import(details.definition.moduleUrl) as Record<string, unknown>)[details.definition.exportName];
    const run: RunSlotValue = { importing: false, sandboxed: false, host: details.host };
    const name = details.definition.name;
    let interrupted = false;
    return {
      workflow,
      async activate<T>(jobs: ReadonlyArray<ActivationJob<T>>, options: ActivateOptions = {}): Promise<ActivationResult<T>> {
        if (interrupted) {
          throw codedError(Error, {
            code: "WFS_WORKER_STATE",
            message: "This workflow instance was interrupted by the deadlock guard and cannot run again",
            hint: "Create a new instance with runner.createInstance() (the worker replays its history into a fresh one)",
          });
        }
        try {
          const { value: results } = await runStretch(() => jobs.map((job) => handled(job(workflow))), {
            timeoutMs: options.deadlockTimeoutMs,
            run,
            workflow: name,
          });
          if (!drainsMicrotasks) await nextMacrotask();
          return { results, mutations: [] };
        } catch (error) {
          if (DeadlockError.is(error)) interrupted = true;
          throw error;
        }
      },
      dispose() {},
    };
  }
}
