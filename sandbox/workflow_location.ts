/**
 * Finds the workflow source position (file:line:col) in a stack trace: the first frame in a
 * sandboxed module. Stacks are already mapped to the TypeScript sources (source maps are on).
 * @module
 */

/**
 * Returns the first `file:line:col` of the stack that belongs to one of `files`.
 *
 * @example
 * ```ts
 * import { locateInStack } from "./workflow_location.ts";
 * locateInStack("Error: x\n    at run (/app/w.ts:3:9)", (f) => f === "/app/w.ts"); // "/app/w.ts:3:9"
 * ```
 */
export function locateInStack(stack: string | undefined, isWorkflowFile: (path: string) => boolean): string | undefined {
  if (!stack) return undefined;
  for (const line of stack.split("\n")) {
    // A path after "(" or "at ", never the tail of a runtime's own frame ("node:internal/...").
    const match = /(?:\(|\s)((?:file:\/\/)?\/[^():]+|[A-Za-z]:\\[^():]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!match) continue;
    const path = match[1].startsWith("file://") ? decodeURIComponent(new URL(match[1]).pathname) : match[1];
    if (isWorkflowFile(path)) return `${path}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
