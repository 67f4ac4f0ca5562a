/**
 * Workflow definitions. `workflow.defn` only brands an export with its name and options; the
 * worker discovers definitions by importing `workflowsPath` on the host (as Temporal Python's
 * worker receives host-imported classes), and each run takes its definition by export name from
 * its own sandboxed namespace.
 * @module
 */
import { pathToFileURL } from "node:url";
import { isAbsolute, resolve as resolvePath } from "node:path";
import { ensureRegistered } from "../loader/register.ts";
import { codedError } from "./coded_error.ts";

/** The brand `defn` puts on a workflow function or class (a `Symbol.for`, so it works across copies). */
export const WORKFLOW_DEFINITION = Symbol.for("workflow-sandbox.workflow-definition");

/** Options of `workflow.defn`. */
export interface WorkflowDefnOptions {
  /**
   * The workflow type name.
   * @default the function or class name, else the export name
   */
  readonly name?: string;
  /**
   * Run in the sandbox. `false` runs this workflow with the worker's unsandboxed runner: no
   * isolation and no restrictions.
   * @default true
   */
  readonly sandboxed?: boolean;
  /** Error names (or classes, matched by name) that fail the workflow instead of the task. */
  readonly failureErrorTypes?: ReadonlyArray<string | { readonly name: string }>;
}

/** What the brand holds. */
export interface WorkflowBrand extends WorkflowDefnOptions {
  readonly kind: "function" | "class";
}

/** A discovered workflow. */
export interface WorkflowDefinition {
  readonly name: string;
  readonly exportName: string;
  readonly moduleUrl: string;
  readonly sandboxed: boolean;
  readonly options: WorkflowBrand;
  /** The host's own export (for the unsandboxed runner and for reading static metadata). */
  readonly hostExport: unknown;
}

type Branded = ((...args: never[]) => unknown) | (abstract new (...args: never[]) => unknown);

/**
 * Marks a workflow. Use it as a TC39 class decorator or wrap a function.
 *
 * @example
 * ```ts
 * import { defn } from "./workflow_definition.ts";
 * export const greet = defn(async function greet(name: string) {
 *   return `Hello, ${name}!`;
 * });
 * export const quiet = defn({ name: "Quiet", sandboxed: false })(async () => "ok");
 * ```
 */
export function defn<T extends Branded>(target: T, context?: unknown): T;
export function defn(options: WorkflowDefnOptions): <T extends Branded>(target: T, context?: unknown) => T;
export function defn(targetOrOptions: unknown, context?: unknown): unknown {
  if (typeof targetOrOptions === "function") return brand(targetOrOptions as Branded, NO_OPTIONS, context);
  const options = (targetOrOptions ?? {}) as WorkflowDefnOptions;
  if (typeof options !== "object") {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `workflow.defn() takes a function, a class or an options object, and was given '${String(options)}'`,
      hint: "Wrap the workflow function (workflow.defn(async function name() {})), decorate its class, or pass " +
        "options such as workflow.defn({ name })",
    });
  }
  return (target: Branded, ctx?: unknown) => brand(target, options, ctx);
}

function brand<T extends Branded>(target: T, options: WorkflowDefnOptions, context: unknown): T {
  if (typeof target !== "function") {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `workflow.defn must decorate a class or wrap a function, and was given '${String(target)}'`,
      hint: "Apply it to the workflow class (@workflow.defn) or to its function (workflow.defn(options)(fn))",
    });
  }
  // A class's `prototype` is never writable, a function's always is (or is absent): cheaper than
  // reading the source text, and `defn` runs in every sandboxed run.
  const kind = (context as { kind?: string } | undefined)?.kind === "class" ||
      Object.getOwnPropertyDescriptor(target, "prototype")?.writable === false
    ? "class"
    : "function";
  const name = options.name ?? (target.name || undefined);
  // `defn(fn)` (no options) runs for every export of every sandboxed run: its frozen brand is the
  // same for every function of that name and kind, so one per process serves them all.
  const value: WorkflowBrand = options === NO_OPTIONS
    ? plainBrand(name, kind)
    : Object.freeze({ ...options, name, kind });
  // One descriptor object for every brand: defineProperty reads it before it returns.
  BRAND.value = value;
  Object.defineProperty(target, WORKFLOW_DEFINITION, BRAND);
  BRAND.value = undefined;
  return target;
}

const BRAND: PropertyDescriptor = { value: undefined, configurable: true };

const NO_OPTIONS: WorkflowDefnOptions = Object.freeze({});
const plainBrands = { function: new Map<string | undefined, WorkflowBrand>(), class: new Map<string | undefined, WorkflowBrand>() };

function plainBrand(name: string | undefined, kind: WorkflowBrand["kind"]): WorkflowBrand {
  const brands = plainBrands[kind];
  let brand = brands.get(name);
  if (brand === undefined) brands.set(name, brand = Object.freeze({ name, kind }));
  return brand;
}

/** Reads the brand of a value, if it is a workflow. */
export function workflowBrand(value: unknown): WorkflowBrand | undefined {
  return typeof value === "function" ? (value as unknown as Record<symbol, WorkflowBrand>)[WORKFLOW_DEFINITION] : undefined;
}

/**
 * Imports `workflowsPath` on the host and returns the workflows it exports.
 *
 * @example
 * ```ts
 * import { discoverWorkflows } from "./workflow_definition.ts";
 * const definitions = await discoverWorkflows("./workflows.ts");
 * definitions.map((d) => d.name);
 * ```
 */
export async function discoverWorkflows(workflowsPath: string | URL): Promise<WorkflowDefinition[]> {
  ensureRegistered();
  const moduleUrl = workflowsPath instanceof URL
    ? workflowsPath.href
    : workflowsPath.startsWith("file:")
    ? workflowsPath
    : pathToFileURL(isAbsolute(workflowsPath) ? workflowsPath : resolvePath(workflowsPath)).href;
  const namespace = await import(moduleUrl) as Record<string, unknown>;
  const definitions: WorkflowDefinition[] = [];
  const names = new Map<string, string>();
  for (const [exportName, value] of Object.entries(namespace)) {
    const options = workflowBrand(value);
    if (!options) continue;
    const name = options.name ?? exportName;
    const clash = names.get(name);
    if (clash !== undefined) {
      throw codedError(Error, {
        code: "WFS_VALIDATION",
        message: `Two exports of '${moduleUrl}' define workflow '${name}': '${clash}' and '${exportName}'`,
        hint: "Give one of them another name with workflow.defn({ name })",
      });
    }
    names.set(name, exportName);
    definitions.push({ name, exportName, moduleUrl, sandboxed: options.sandboxed !== false, options, hostExport: value });
  }
  return definitions;
}
