/**
 * The error of a file esbuild cannot transform: natively the module's `SyntaxError`, so it is one
 * here, at the file's own line and column.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";

/** What esbuild throws: its messages, the first one with the position. */
interface EsbuildFailure {
  errors?: ReadonlyArray<{ text: string; location?: { line: number; column: number } | null }>;
}

/**
 * The first message and position of an esbuild failure, or undefined for any other error.
 *
 * @example
 * ```ts
 * import { esbuildFailure } from "./esbuild_error.ts";
 * esbuildFailure("/app/w.ts", { errors: [{ text: "Unexpected \";\"", location: { line: 1, column: 10 } }] });
 * // { text: 'Unexpected ";"', where: "/app/w.ts:1:11" }
 * ```
 */
export function esbuildFailure(filePath: string, error: unknown): { text: string; where: string } | undefined {
  const first = (error as EsbuildFailure | undefined)?.errors?.[0];
  if (!first) return undefined;
  const where = first.location ? `${filePath}:${first.location.line}:${first.location.column + 1}` : filePath;
  return { text: first.text, where };
}

/**
 * A `SyntaxError` (`WFS_COMPILE`) at the file's line and column for an esbuild failure; any other
 * error is returned as it is.
 *
 * @example
 * ```ts
 * import { esbuildSyntaxError } from "./esbuild_error.ts";
 * const error = esbuildSyntaxError("/app/w.ts", { errors: [{ text: "Unexpected \";\"", location: { line: 1, column: 10 } }] });
 * error instanceof SyntaxError; // true
 * ```
 */
export function esbuildSyntaxError(filePath: string, error: unknown): unknown {
  const failure = esbuildFailure(filePath, error);
  if (!failure) return error;
  return codedError(SyntaxError, {
    code: "WFS_COMPILE",
    message: `Cannot compile ${failure.where}: ${failure.text}`,
    hint: "Fix the syntax at that position",
    cause: error,
  }, { location: failure.where });
}
