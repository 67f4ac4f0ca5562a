/**
 * Option validation with zod: the first problem becomes one error that names the call, the option
 * (its dotted path) and what is expected, with the stable code `WFS_INVALID_OPTION`.
 * @module
 */
import type { z } from "zod";
import { codedError, composeMessage, type ErrorCode, errorDocs } from "../sandbox/coded_error.ts";
import { brandClass, hasBrand } from "../sandbox/error_brand.ts";

/**
 * The error thrown for an invalid option (`WFS_INVALID_OPTION`). It is a `TypeError`; the package
 * builds it with `codedError()`, the constructor is for code that builds one itself.
 *
 * @example
 * ```ts
 * import { InvalidOptionError } from "./_options.ts";
 * const error = new InvalidOptionError("Invalid option 'taskQueue' of Worker.create(): expected a string", "taskQueue");
 * error.code; // "WFS_INVALID_OPTION"
 * error instanceof TypeError; // true
 * ```
 */
export class InvalidOptionError extends TypeError {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;
  /** The option's dotted path, e.g. `retry.maximumAttempts`. */
  readonly option: string | undefined;

  /**
   * `message` says what is wrong (without the fix); `hint` is the fix.
   */
  constructor(message: string, option?: string, hint: string = InvalidOptionError.HINT) {
    super(composeMessage({ code: "WFS_INVALID_OPTION", message, hint }));
    this.code = "WFS_INVALID_OPTION";
    this.hint = hint;
    this.docs = errorDocs("WFS_INVALID_OPTION");
    this.option = option;
  }

  /** The fix when the thrower gives none. */
  static readonly HINT = "Correct the option named in the message (see the JSDoc of the call's options)";

  /**
   * Whether `value` is an `InvalidOptionError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { z } from "zod";
   * import { InvalidOptionError, parseOptions } from "./_options.ts";
   * try {
   *   parseOptions(z.object({ n: z.number() }).strict(), { n: "1" }, "example()");
   * } catch (error) {
   *   InvalidOptionError.is(error); // true
   * }
   * ```
   */
  static is(value: unknown): value is InvalidOptionError {
    return hasBrand(value, InvalidOptionError.brand);
  }
}
brandClass(InvalidOptionError, "error", "InvalidOptionError");

/**
 * Builds an {@linkcode InvalidOptionError} through the factory: what is wrong, the fix, and the
 * option's dotted path when there is one.
 *
 * @example
 * ```ts
 * import { invalidOption } from "./_options.ts";
 * const error = invalidOption("Missing option 'id' of client.startWorkflow()", "Give every workflow an id", "id");
 * error.option; // "id"
 * ```
 */
export function invalidOption(message: string, hint: string, option?: string, cause?: unknown): InvalidOptionError {
  return codedError(InvalidOptionError, { code: "WFS_INVALID_OPTION", message, hint, cause }, { option });
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
    throw invalidOption(
      `Unknown option ${keys} of ${call}`,
      known ? `Correct its spelling or remove it; the options are ${known}` : "Remove it",
      path || (issue as { keys: string[] }).keys[0],
    );
  }
  if (path === "") throw invalidOption(`Invalid options of ${call}: ${issue.message}`, `Pass ${call} an options object`);
  throw invalidOption(
    `Invalid option '${path}' of ${call}: ${issue.message}`,
    `Give '${path}' a value of the expected type (see the JSDoc of the options of ${call})`,
    path,
  );
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
