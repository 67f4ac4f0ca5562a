/**
 * The globals Temporal's worker injects into a workflow context (`vm-shared.ts: injectGlobals` in
 * @temporalio/worker 1.24), rebuilt for the sandbox's per-run global objects, plus forwarders that
 * let the SDK's `overrideGlobals()` replace `Date`, `WeakRef` and `FinalizationRegistry` although
 * sandboxed modules read ECMAScript globals as constants (docs/design.md, "Functors").
 * @module
 */
import assert from "node:assert";
import { AsyncLocalStorage as NodeAsyncLocalStorage } from "node:async_hooks";

// Captured before any workflow code runs (a workflow could patch Reflect).
const { apply, construct, defineProperty } = Reflect;

/** The slice of the SDK's `Activator` these globals read. */
export interface ActivatorView {
  readonly info: { readonly workflowType: string; readonly workflowId: string; readonly unsafe: { readonly isReplayingHistoryEvents: boolean } };
  readonly workflowSandboxDestructors: Array<() => void>;
}

const hostConsole = console;
const CONSOLE_METHODS = ["log", "warn", "error", "info", "debug"] as const;

/**
 * Temporal's workflow `console`: silent while history events replay, each line prefixed with the
 * workflow type and id.
 */
export function createWorkflowConsole(activator: () => ActivatorView | undefined): Record<string, (...args: unknown[]) => void> {
  const result: Record<string, (...args: unknown[]) => void> = {};
  for (const level of CONSOLE_METHODS) {
    result[level] = (...args: unknown[]) => {
      const current = activator();
      if (current === undefined) {
        hostConsole[level]("[not in workflow context]", ...args);
        return;
      }
      if (current.info.unsafe.isReplayingHistoryEvents) return;
      hostConsole[level](`[${current.info.workflowType}(${current.info.workflowId})]`, ...args);
    };
  }
  return result;
}

/**
 * Temporal's `AsyncLocalStorage` global: Node's class, disabled when the workflow that created it
 * is disposed (or, when created outside any workflow, when the runtime is destroyed).
 */
export function createAsyncLocalStorageClass(
  activator: () => ActivatorView | undefined,
  globalDestructors: Array<() => void>,
): new (name?: string) => NodeAsyncLocalStorage<unknown> {
  return class AsyncLocalStorage<T> extends NodeAsyncLocalStorage<T> {
    readonly name: string;
    constructor(name = "anonymous") {
      super();
      this.name = name;
      const current = activator();
      if (current) current.workflowSandboxDestructors.push(this.disable.bind(this));
      else globalDestructors.push(this.disable.bind(this));
    }
  };
}

/** A global constructor whose implementation can be replaced after modules captured it. */
export interface Forwarder {
  /** The stable function modules receive as their constant. */
  readonly value: Function;
  /**
   * The property of the runtime's global object. Modules read ECMAScript globals once, when the
   * run is created: that read gets the forwarder. Until the SDK assigns the global, later reads
   * (`const OriginalDate = globalThis.Date`) get the original, as in a fresh context; the
   * assignment replaces what the forwarder calls, and reads get the forwarder again (so that
   * `globalThis.Date.now = ...` lands on it).
   */
  readonly descriptor: PropertyDescriptor;
  /** Called once the run's constants were read. */
  constantsRead(): void;
}

/**
 * A function that forwards calls and constructions to a replaceable implementation. Static members
 * the SDK assigns after replacing the global (`Date.now`, `Date.prototype`) land on the forwarder
 * itself, which is what every module sees, so the result behaves as the SDK's own global.
 */
export function createForwarder(name: string, initial: Function): Forwarder {
  let implementation = initial;
  let replaced = false;
  let readingConstants = true;
  const holder = {
    [name]: function (this: unknown, ...args: unknown[]) {
      if (new.target === undefined) return apply(implementation, this, args);
      return construct(implementation, args, new.target === forwarder ? implementation : new.target);
    },
  };
  const forwarder = holder[name];
  // Until the SDK replaces them, the original's static members (Date.now, Date.UTC).
  for (const key of Reflect.ownKeys(initial)) {
    if (key === "length" || key === "name" || key === "prototype") continue;
    const described = Reflect.getOwnPropertyDescriptor(initial, key)!;
    defineProperty(forwarder, key, { ...described, writable: true, configurable: true });
  }
  (forwarder as { prototype: unknown }).prototype = (initial as { prototype: unknown }).prototype;
  return {
    value: forwarder,
    descriptor: {
      get: () => (replaced || readingConstants ? forwarder : initial),
      set: (next: Function) => {
        implementation = next;
        replaced = true;
      },
    },
    constantsRead() {
      readingConstants = false;
    },
  };
}

/** Node's `assert`, which Temporal injects as a global. */
export const assertGlobal: typeof assert = assert;
