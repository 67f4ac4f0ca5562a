/**
 * Values that workflow code throws without being errors: `throw undefined`, `throw null`, a
 * symbol, a string, a plain object. Each fails the workflow task like any other error, as a
 * `WFS_NON_ERROR_THROWN` error that describes the value in its message and keeps it as `cause`
 * (`undefined` included), so a failure can never be mistaken for "no failure".
 * @module
 */
import { inspect } from "node:util";
import { codedError } from "../sandbox/coded_error.ts";

// Captured at load: workflow code runs before these are read and may replace them on its global.
const { defineProperty } = Object;
const objectToString = Object.prototype.toString;
const nativeIsError = (Error as { isError?: (value: unknown) => boolean }).isError;
const NativeError = Error;

/**
 * Whether `value` is an error (an `Error` of any realm, or an object built on `Error.prototype`).
 *
 * @example
 * ```ts
 * import { isError } from "./_thrown_value.ts";
 * isError(new TypeError("x")); // true
 * isError({ message: "x" }); // false
 * ```
 */
export function isError(value: unknown): value is Error {
  if (typeof value !== "object" || value === null) return false;
  if (nativeIsError?.(value) === true || value instanceof NativeError) return true;
  try {
    return objectToString.call(value) === "[object Error]";
  } catch {
    return false; // a revoked proxy
  }
}

/**
 * A short description of a thrown value, for messages. Reads no getter and runs no custom
 * inspection of the value (it came from workflow code).
 *
 * @example
 * ```ts
 * import { describeThrownValue } from "./_thrown_value.ts";
 * describeThrownValue(undefined); // "undefined"
 * describeThrownValue("boom"); // "the string 'boom'"
 * describeThrownValue({ plain: 1 }); // "an object: { plain: 1 }"
 * ```
 */
export function describeThrownValue(value: unknown): string {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string":
      return `the string ${preview(value)}`;
    case "number":
    case "bigint":
    case "boolean":
      return `the ${typeof value} ${preview(value)}`;
    case "symbol":
      return `a symbol, ${preview(value)}`;
    case "function":
      return `a function, ${preview(value)}`;
    default:
      return value === null ? "null" : `an object: ${preview(value)}`;
  }
}

function preview(value: unknown): string {
  try {
    const text = inspect(value, {
      depth: 1,
      breakLength: Infinity,
      maxArrayLength: 10,
      maxStringLength: 200,
      customInspect: false,
      getters: false,
      showProxy: false,
    });
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return "(a value that cannot be shown)";
  }
}

/**
 * The error that fails the workflow task when workflow code threw `value`, not an error.
 * `what` says who threw it (`Workflow 'order-1' (type 'order', run '…')`).
 *
 * @example
 * ```ts
 * import { nonErrorThrown } from "./_thrown_value.ts";
 * const error = nonErrorThrown(undefined, "Workflow 'order-1' (type 'order')");
 * error.code; // "WFS_NON_ERROR_THROWN"
 * "cause" in error; // true: the thrown value, undefined here
 * ```
 */
export function nonErrorThrown(value: unknown, what: string): Error & { code: string } {
  const error = codedError(Error, {
    code: "WFS_NON_ERROR_THROWN",
    message: `${what} threw ${describeThrownValue(value)}, which is not an Error: it has no message or stack to say what ` +
      `failed (the value thrown is error.cause)`,
    hint: "Throw an Error for a bug (its message and stack say what failed and where), or an ApplicationFailure to fail the " +
      "workflow on purpose",
    cause: value,
  });
  // The factory leaves out an undefined cause; the value thrown was undefined, and it is kept.
  if (value === undefined) defineProperty(error, "cause", { value, writable: true, configurable: true });
  // Where the value was thrown is lost with it: frames of the code that wrapped it would only mislead.
  defineProperty(error, "stack", { value: `${error.name}: ${error.message}`, writable: true, configurable: true });
  return error;
}

/**
 * `value` itself when it is an error, else the `WFS_NON_ERROR_THROWN` error that carries it.
 *
 * @example
 * ```ts
 * import { asError } from "./_thrown_value.ts";
 * asError(null, "Workflow 'w'").message.startsWith("Workflow 'w' threw null"); // true
 * ```
 */
export function asError(value: unknown, what: string): Error {
  return isError(value) ? value : nonErrorThrown(value, what);
}
