/**
 * The one way the package builds an error. Every error it throws carries a stable `code`, a
 * `hint` (the fix) and `docs`, the address of the code's page in `docs/errors/`, and its message
 * says what happened, the fix and the code, in that order:
 *
 *   Worker.run() was already called (the worker is running). Create a new Worker to run again (WFS_WORKER_STATE)
 *
 * Where the language defines the kind of an error (a module that does not compile is a
 * `SyntaxError`, a missing binding a `ReferenceError`, a bad argument a `TypeError`), the error is
 * an instance of the native class, so `instanceof SyntaxError` and test262's checks hold; the
 * package's own kinds (`RestrictedWorkflowAccessError`, `DeadlockError`, ...) are branded classes
 * (./error_brand.ts). Node builds its errors from one table the same way
 * (https://github.com/nodejs/node/blob/main/lib/internal/errors.js, `makeNodeErrorWithCode`).
 *
 * tests/coded_error_test.ts fails on any throw site of the package that builds an error any other
 * way, and tests/error_pages_test.ts on a code of {@link ERROR_CODES} without its page.
 * @module
 */

// Captured before any workflow code runs: errors are thrown into workflow code, which may have
// replaced these on its per-run global.
const { defineProperty } = Object;
const construct = Reflect.construct;
const NativeError = Error;
const captureStackTrace = (Error as { captureStackTrace?: (target: object, fn?: Function) => void }).captureStackTrace;
const NativeURL = URL;

/**
 * Every code the package throws, one row each, with a page `docs/errors/<code>.md`. Adding a code
 * means adding a row here and its page.
 */
export const ERROR_CODES = Object.freeze([
  "WFS_ACTIVITY_CANCELLED",
  "WFS_ALREADY_STARTED",
  "WFS_CLI_USAGE",
  "WFS_COMPILE",
  "WFS_DEADLOCK",
  "WFS_DUPLICATE_PACKAGE",
  "WFS_ENV_CLOSED",
  "WFS_HISTORY_INVALID",
  "WFS_IMPORT_MAP_INVALID",
  "WFS_IMPORT_MAP_UNSUPPORTED",
  "WFS_INTERNAL",
  "WFS_INVALID_OPTION",
  "WFS_LEGACY_DECORATORS",
  "WFS_NONDETERMINISM",
  "WFS_NON_ERROR_THROWN",
  "WFS_NOT_IN_ACTIVITY",
  "WFS_NOT_IN_WORKFLOW",
  "WFS_NO_RUN_METHOD",
  "WFS_NO_WORKER",
  "WFS_PAYLOAD",
  "WFS_QUERY_ASYNC",
  "WFS_QUERY_COMMAND",
  "WFS_QUERY_FAILED",
  "WFS_QUERY_NOT_READY",
  "WFS_QUERY_NOT_REGISTERED",
  "WFS_RESOLVE",
  "WFS_RESTRICTED",
  "WFS_SHUTDOWN_FORCED",
  "WFS_STORE_ALREADY_RUNNING",
  "WFS_STORE_CLOSED_RUN",
  "WFS_STORE_CONFLICT",
  "WFS_STORE_CORRUPT",
  "WFS_STORE_INVALID",
  "WFS_STORE_IO",
  "WFS_STORE_LOCKED",
  "WFS_STORE_NOT_FOUND",
  "WFS_STORE_UNAVAILABLE",
  "WFS_TOP_LEVEL_AWAIT",
  "WFS_UNDECLARED_GLOBAL",
  "WFS_UNINTENTIONAL_PASSTHROUGH",
  "WFS_UNKNOWN_ACTIVITY",
  "WFS_UNKNOWN_WORKFLOW_TYPE",
  "WFS_UNSUPPORTED_RUNTIME",
  "WFS_VALIDATION",
  "WFS_WORKER_STATE",
  "WFS_WORKFLOW_FAILED",
  "WFS_WORKFLOW_NOT_FOUND",
] as const);

/** A stable error code: a row of {@link ERROR_CODES}. */
export type ErrorCode = typeof ERROR_CODES[number];

/**
 * What an error says.
 *
 * @example
 * ```ts
 * import type { ErrorFacts } from "./coded_error.ts";
 * const facts: ErrorFacts = {
 *   code: "WFS_WORKER_STATE",
 *   message: "Worker.run() was already called (the worker is running)",
 *   hint: "Create a new Worker to run again",
 * };
 * ```
 */
export interface ErrorFacts {
  /** The stable code, with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** What happened and where: the values quoted, no fix (that is `hint`). */
  readonly message: string;
  /** The fix, one or more sentences. */
  readonly hint: string;
  /** The error this one was caused by, kept whole (nothing is lost). */
  readonly cause?: unknown;
}

/**
 * The fields the factory adds to every error it builds.
 *
 * @example
 * ```ts
 * import type { CodedFields } from "./coded_error.ts";
 * const describe = (error: CodedFields) => `${error.code}: ${error.hint} (see ${error.docs})`;
 * ```
 */
export interface CodedFields {
  readonly code: ErrorCode;
  readonly hint: string;
  /** The address of the code's page, `docs/errors/<code>.md` in the installed package. */
  readonly docs: string;
}

/**
 * The address of a code's page: `docs/errors/<code>.md` of this copy of the package (a `file:`
 * URL for an npm install, the registry's URL on Deno).
 *
 * @example
 * ```ts
 * import { errorDocs } from "./coded_error.ts";
 * errorDocs("WFS_RESTRICTED").endsWith("/docs/errors/WFS_RESTRICTED.md"); // true
 * ```
 */
export function errorDocs(code: ErrorCode): string {
  // Both sandbox/coded_error.ts and the built dist/chunk-*.js sit one folder below the root.
  return new NativeURL(`../docs/errors/${code}.md`, import.meta.url).href;
}

/** A class the factory can build: native (`TypeError`) or one of the package's. */
// deno-lint-ignore no-explicit-any
export type ErrorKind<E extends Error> = abstract new (...args: any[]) => E;

/**
 * Builds an error of `kind` from its facts, with `code`, `hint` and `docs`, plus the kind's own
 * `fields` (a `RestrictedWorkflowAccessError`'s `rule`, a `DeadlockError`'s `timeoutMs`). The
 * kind's constructor does not run: the error is created as the native `Error` would create it,
 * with `kind.prototype`, so every kind is built the same way whatever its constructor takes.
 *
 * @example
 * ```ts
 * import { codedError } from "./coded_error.ts";
 * const error = codedError(TypeError, {
 *   code: "WFS_INVALID_OPTION",
 *   message: "Invalid option 'taskQueue' of Worker.create(): expected a string, got 42",
 *   hint: "Pass the task queue's name",
 * });
 * error instanceof TypeError; // true
 * error.message; // "Invalid option 'taskQueue' of Worker.create(): expected a string, got 42. Pass the task queue's name (WFS_INVALID_OPTION)"
 * ```
 */
export function codedError<E extends Error, F extends object = Record<never, never>>(
  kind: ErrorKind<E>,
  facts: ErrorFacts,
  fields?: F,
): E & CodedFields & F {
  const text = composeMessage(facts);
  const options = facts.cause === undefined ? undefined : { cause: facts.cause };
  // `new.target` is `kind`: the prototype is the kind's, message, cause and stack are the native
  // ones (a native kind is constructed as itself, so its own internal slot is right).
  const native = isNative(kind) ? kind : NativeError;
  const error = construct(native, [text, options], kind) as E & CodedFields & F;
  // The stack starts at the throw site, not here.
  captureStackTrace?.(error, codedError);
  defineProperty(error, "code", { value: facts.code, writable: true, enumerable: true, configurable: true });
  defineProperty(error, "hint", { value: facts.hint, writable: true, configurable: true });
  defineProperty(error, "docs", { value: errorDocs(facts.code), writable: true, configurable: true });
  if (fields) {
    for (const key of Reflect.ownKeys(fields)) {
      defineProperty(error, key, {
        value: (fields as Record<PropertyKey, unknown>)[key],
        writable: true,
        enumerable: true,
        configurable: true,
      });
    }
  }
  return error;
}

const NATIVE_KINDS: ReadonlySet<Function> = new Set([
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
]);

function isNative(kind: Function): kind is ErrorConstructor {
  return NATIVE_KINDS.has(kind);
}

/**
 * The message of an error: what happened, the fix, the code (`"<message>. <hint> (<code>)"`).
 *
 * @example
 * ```ts
 * import { composeMessage } from "./coded_error.ts";
 * composeMessage({ code: "WFS_CLI_USAGE", message: "Unknown option '--fast'", hint: "Run 'workflow-sandbox check --help'" });
 * // "Unknown option '--fast'. Run 'workflow-sandbox check --help' (WFS_CLI_USAGE)"
 * ```
 */
export function composeMessage(facts: Pick<ErrorFacts, "code" | "message" | "hint">): string {
  const what = facts.message.trimEnd();
  const fix = facts.hint.trim().replace(/\.$/, "");
  if (fix === "") return `${what.replace(/\.$/, "")} (${facts.code})`;
  const stop = /[.!?:]$/.test(what) ? "" : ".";
  return `${what}${stop} ${fix} (${facts.code})`;
}
