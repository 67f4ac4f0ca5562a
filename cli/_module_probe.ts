/**
 * Internal hook of the `check` command: instruments a runner's module graph so that every
 * instantiation of a sandboxed module is timed and its `module` object seen, without changing
 * the sandbox. It wraps each record's functor (`ModuleRecord.functor`, a field the run reads at
 * instantiation) in a function that forwards every call, so runs instantiate exactly as before,
 * with a clock read around each step.
 *
 * Private to `cli/`: the core offers no per-module timing. A core hook such as an
 * `onModuleEvaluated(url, ms, module)` option of `SandboxRun` would replace this file.
 * @module
 */
import type { Functor } from "../loader/functor_compiler.ts";
import type { ModuleGraph, ModuleRecord } from "../sandbox/module_graph.ts";

/** One evaluation of a module body in one run. */
export interface ModuleEvaluation {
  readonly url: string;
  /**
   * Milliseconds spent instantiating this module, its own body only: the modules it imported
   * while it ran are subtracted (their cost is theirs).
   */
  readonly selfMs: number;
  /** The run's `module` object of this module (`module.exports` is what importers see). */
  readonly module: { readonly exports: unknown };
  /** Whether the body threw. */
  readonly failed: boolean;
}

/**
 * A probe over one graph. Use it from one task at a time: evaluations are attributed to whoever
 * listens when they happen.
 *
 * @example
 * ```ts
 * import { createModuleProbe } from "./_module_probe.ts";
 * declare const runner: import("../sandbox/sandboxed_workflow_runner.ts").SandboxedWorkflowRunner;
 * const probe = createModuleProbe(runner.graph);
 * probe.attach();
 * const stop = probe.listen((evaluation) => console.log(evaluation.url, evaluation.selfMs));
 * // ... runner.createInstance(...) ...
 * stop();
 * probe.detach();
 * ```
 */
export interface ModuleProbe {
  /** Instruments every record that has a functor and is not instrumented yet (call again after new modules load). */
  attach(): void;
  /** Receives every evaluation until the returned function is called. */
  listen(listener: (evaluation: ModuleEvaluation) => void): () => void;
  /** Puts the original functors back. */
  detach(): void;
}

/** Creates a probe over `graph`; nothing is instrumented before {@linkcode ModuleProbe.attach}. */
export function createModuleProbe(graph: ModuleGraph): ModuleProbe {
  const originals = new Map<ModuleRecord, Functor>();
  const listeners = new Set<(evaluation: ModuleEvaluation) => void>();
  // Time spent in modules instantiated while a body runs (nested imports), one slot per body on the stack.
  const nested: number[] = [];
  const now = performance.now.bind(performance);

  const emit = (evaluation: ModuleEvaluation) => {
    for (const listener of listeners) listener(evaluation);
  };

  // The functor's layout is the compiler's business (it changes: one call for an ES module, a
  // returned body for CommonJS). The probe relies only on this: a call that returns a function
  // returned the next step, a call that returns anything else evaluated the module, and one of
  // the calls receives the run's `module` object (the CommonJS wrapper's `module` parameter).
  const instrument = (record: ModuleRecord, original: Functor): Functor => {
    const { url, path } = record;
    const step = (fn: Function, self: unknown, args: unknown[], state: { ms: number; module: { exports: unknown } | undefined }): unknown => {
      state.module ??= args.find((a): a is { exports: unknown } =>
        typeof a === "object" && a !== null && (a as { filename?: unknown }).filename === path && "exports" in a
      );
      nested.push(0);
      const begin = now();
      let result: unknown;
      let failed = true;
      try {
        result = Reflect.apply(fn, self, args);
        failed = false;
      } finally {
        const total = now() - begin;
        const inner = nested.pop()!;
        if (nested.length > 0) nested[nested.length - 1] += total;
        state.ms += total - inner;
        if (failed || typeof result !== "function") {
          emit({ url, selfMs: Math.max(0, state.ms), module: state.module ?? { exports: undefined }, failed });
        }
      }
      if (typeof result !== "function") return result;
      const next = result as Function;
      return function (this: unknown, ...rest: unknown[]) {
        return step(next, this, rest, state);
      };
    };
    const wrapped = function (this: unknown, ...args: unknown[]) {
      return step(original, this, args, { ms: 0, module: undefined });
    };
    // Data the compiler hangs on the functor (esbuild helpers) stays reachable.
    for (const key of Reflect.ownKeys(original)) {
      if (key === "length" || key === "name" || key === "prototype") continue;
      Reflect.defineProperty(wrapped, key, Reflect.getOwnPropertyDescriptor(original, key)!);
    }
    return wrapped as unknown as Functor;
  };

  return {
    attach() {
      for (const record of graph.records.values()) {
        if (record.functor === undefined || originals.has(record)) continue;
        originals.set(record, record.functor);
        record.functor = instrument(record, record.functor);
      }
    },
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    detach() {
      for (const [record, functor] of originals) record.functor = functor;
      originals.clear();
    },
  };
}
