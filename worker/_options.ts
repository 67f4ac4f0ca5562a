/**
 * Option validation with zod: the first problem becomes one error that names the call, the option
 * (its dotted path) and what is expected, with the stable code `WFS_INVALID_OPTION`.
 * @module
 */
import type { z } from "zod";

/**
 * The error thrown for an invalid option (`WFS_INVALID_OPTION`).
 *
 * @example
 * ```ts
 * import { InvalidOptionError } from "./_options.ts";
 * new InvalidOptionError("Invalid option 'taskQueue' of Worker.create(): expected a string").code; // "WFS_INVALID_OPTION"
 * ```
 */
export class InvalidOptionError extends TypeError {
  readonly code = "WFS_INVALID_OPTION";
  /** The option's dotted path, e.g. `retry.maximumAttempts`. */
  readonly option: string | undefined;
  constructor(message: string, option?: string) {
    super(`${message} (WFS_INVALID_OPTION)`);
    this.name = "InvalidOptionError";
    this.option = option;
  }
}

/**
 * Parses `value` with `schema`, or throws an {@linkcode InvalidOptionError} naming the option.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { parseOptions } from "./_options.ts";
 * parseOptions(z.object({ n: z.number() }).strict(), { n: 1 }, "example()"); // { n: 1 }
 * ```
 */
export function parseOptions<S extends z.ZodType>(schema: S, value: unknown, call: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const keys = (issue as { keys: string[] }).keys.map((k) => `'${path ? `${path}.` : ""}${k}'`).join(", ");
    const known = knownKeys(schema, issue.path);
    throw new InvalidOptionError(
      `Unknown option ${keys} of ${call}${known ? `; the options are ${known}` : ""}`,
      path || (issue as { keys: string[] }).keys[0],
    );
  }
  if (path === "") throw new InvalidOptionError(`Invalid options of ${call}: ${issue.message}`);
  throw new InvalidOptionError(`Invalid option '${path}' of ${call}: ${issue.message}`, path);
}

function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string {
  let current: unknown = unwrap(schema);
  for (const key of path) current = unwrap((current as { shape?: Record<string, unknown> } | undefined)?.shape?.[String(key)]);
  const shape = (current as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape).map((k) => `'${k}'`).join(", ") : "";
}

/** Looks through `.optional()` and `.default()` wrappers to the object schema. */
function unwrap(schema: unknown): unknown {
  let current = schema as { shape?: unknown; unwrap?: () => unknown } | undefined;
  for (let i = 0; i < 5 && current && current.shape === undefined && typeof current.unwrap === "function"; i++) {
    current = current.unwrap() as typeof current;
  }
  return current;
}
