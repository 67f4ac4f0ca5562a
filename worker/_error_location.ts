/**
 * Where in workflow code an error happened: the error's own `location` (set by the sandbox for a
 * restricted access, and by the worker for a nondeterministic command), else the first stack frame
 * in a workflow file. Stacks are mapped to the TypeScript sources (the loader enables source maps).
 * @module
 */
import { fileURLToPath } from "node:url";
import { sep } from "node:path";
import { locateInStack } from "../sandbox/workflow_location.ts";

// This package's own code: frames there are the worker or the sandbox, not workflow code.
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OWN = ["loader", "sandbox", "worker", "dist"].map((folder) => ROOT + folder + sep);
const OWN_FILES = new Set(["mod.ts", "workflow.ts"].map((file) => ROOT + file));

/** Whether a stack frame's file is workflow code rather than this package, a dependency or the runtime. */
export function isWorkflowFile(path: string): boolean {
  return !isPackageFile(path) && !path.includes(`${sep}node_modules${sep}`);
}

/** Whether a file is this package's own code (the worker, the sandbox, the loader, its build). */
export function isPackageFile(path: string): boolean {
  return OWN_FILES.has(path) || OWN.some((folder) => path.startsWith(folder));
}

/**
 * The workflow `file:line:col` of `error`, when known.
 *
 * @example
 * ```ts
 * import { errorLocation } from "./_error_location.ts";
 * errorLocation(Object.assign(new Error("x"), { location: "/app/w.ts:3:9" })); // "/app/w.ts:3:9"
 * ```
 */
export function errorLocation(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const location = (error as { location?: unknown }).location;
  if (typeof location === "string" && location !== "") return location;
  let stack: unknown;
  try {
    stack = (error as { stack?: unknown }).stack;
  } catch {
    return undefined;
  }
  return typeof stack === "string" ? locateInStack(stack, isWorkflowFile) : undefined;
}
