/**
 * Per-run instantiation cost of each sandboxed module: the graph is instantiated as a worker's
 * runs instantiate it (`runner.createInstance`), several times, and each module body's own time is
 * measured by the module probe (`_module_probe.ts`). The median over the runs is reported.
 * @module
 */
import type { SandboxedWorkflowRunner } from "../sandbox/sandboxed_workflow_runner.ts";
import type { WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type { ModuleProbe } from "./_module_probe.ts";

/** What {@linkcode measureModuleCosts} returns. */
export interface CostMeasurement {
  /** Median milliseconds per run of each module instantiated when a run starts, by URL. */
  readonly costs: ReadonlyMap<string, number>;
  /** The `module` objects of the first two measured runs, by URL, to compare what they export. */
  readonly firstRuns: readonly [ReadonlyMap<string, { exports: unknown }>, ReadonlyMap<string, { exports: unknown }>];
}

/** Options of {@linkcode measureModuleCosts}. */
export interface MeasureModuleCostsOptions {
  /** Measured runs (one unmeasured warm-up run comes first). */
  readonly samples: number;
  /** Called after each run, measured or not. */
  readonly onRun?: () => void;
}

/**
 * Instantiates `definition`'s module graph `samples + 1` times and measures each module.
 *
 * @example
 * ```ts
 * import { measureModuleCosts } from "./module_cost.ts";
 * import { createModuleProbe } from "./_module_probe.ts";
 * declare const runner: import("../sandbox/sandboxed_workflow_runner.ts").SandboxedWorkflowRunner;
 * declare const definition: import("../sandbox/workflow_definition.ts").WorkflowDefinition;
 * await runner.prepare(definition);
 * const { costs } = await measureModuleCosts(runner, definition, createModuleProbe(runner.graph), { samples: 10 });
 * for (const [url, ms] of costs) console.log(url, ms.toFixed(3));
 * ```
 */
export async function measureModuleCosts(
  runner: SandboxedWorkflowRunner,
  definition: WorkflowDefinition,
  probe: ModuleProbe,
  options: MeasureModuleCostsOptions,
): Promise<CostMeasurement> {
  const times = new Map<string, number[]>();
  const runs: Array<Map<string, { exports: unknown }>> = [];
  for (let i = 0; i <= options.samples; i++) {
    probe.attach(); // modules a previous run reached through require() are instrumented too
    const modules = new Map<string, { exports: unknown }>();
    const stop = probe.listen((evaluation) => {
      modules.set(evaluation.url, evaluation.module);
      if (i === 0) return; // warm-up: the first runs after prepare pay for the JIT
      let list = times.get(evaluation.url);
      if (!list) times.set(evaluation.url, list = []);
      list.push(evaluation.selfMs);
    });
    try {
      const instance = await runner.createInstance({ definition });
      // A run instantiates its modules before its first activation's jobs: an empty one.
      await instance.activate([]);
      instance.dispose();
    } finally {
      stop();
    }
    if (i > 0 && runs.length < 2) runs.push(modules);
    options.onRun?.();
  }
  const costs = new Map<string, number>();
  for (const [url, list] of times) costs.set(url, median(list));
  return { costs, firstRuns: [runs[0] ?? new Map(), runs[1] ?? new Map()] };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
