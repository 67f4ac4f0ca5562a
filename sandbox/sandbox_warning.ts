/**
 * The structured warnings a sandboxed runner reports (to `onWarning`, the logger by default),
 * deduplicated per workflow type and rule so that tests can count them as Python's tests do.
 * @module
 */

/** One warning. */
export interface SandboxWarning {
  /** What kind of event this is. */
  readonly kind:
    | "restricted-access" // a restricted call, reported even when the workflow caught the error
    | "nondeterminism-warning" // a `leafWarning` rule: the call went on
    | "dynamic-import" // a sandboxed module first loaded during an activation
    | "unintentional-passthrough" // a third-party package instantiated per run
    | "mutation" // a write to an object every run shares
    | "substituted-value"; // a package got a deterministic value (once per package, source and runner)
  /** The workflow type. */
  readonly workflow: string;
  readonly message: string;
  /** The rule or module concerned (the deduplication key with `workflow`). */
  readonly rule: string;
  /** The workflow file:line:col, when known. */
  readonly location?: string;
  /** For mutations: the module (`built-in` or a URL), the property and the change. */
  readonly module?: string;
  readonly property?: string;
  readonly change?: "added" | "changed" | "deleted";
  /** For substituted values: what was substituted (`clock`, `random`, `locale`, `environment`). */
  readonly source?: "clock" | "random" | "locale" | "environment";
}

/**
 * Wraps a warning sink so that each (workflow, kind, rule) is reported once.
 *
 * @example
 * ```ts
 * import { deduplicated } from "./sandbox_warning.ts";
 * const seen: unknown[] = [];
 * const warn = deduplicated((w) => seen.push(w));
 * const w = { kind: "dynamic-import", workflow: "greet", message: "m", rule: "lazy.ts" } as const;
 * warn(w); warn(w);
 * seen.length; // 1
 * ```
 */
export function deduplicated(sink: (warning: SandboxWarning) => void): (warning: SandboxWarning) => void {
  const seen = new Set<string>();
  return (warning) => {
    const key = `${warning.workflow}\0${warning.kind}\0${warning.rule}`;
    if (seen.has(key)) return;
    seen.add(key);
    sink(warning);
  };
}

/** The default sink: one line on the console. */
export function logWarning(warning: SandboxWarning): void {
  const where = warning.location && !warning.message.includes(warning.location) ? ` (at ${warning.location})` : "";
  console.warn(`workflow-sandbox: [${warning.workflow}] ${warning.message}${where}`);
}
