/**
 * Where in the user's file V8 rejected a functor: a module esbuild accepts and V8 does not (a
 * malformed regular expression literal such as `/(?<a>x)(?<a>y)/`, an invalid flag, some early
 * errors) fails when its functor is compiled, at a position in the functor. That position goes
 * back through the functor's inline source map (esbuild's, which chains every pass) to the
 * module's own line and column, so the error names the same place as natively.
 *
 * Only the error path calls this: nothing here runs when a functor compiles.
 * @module
 */
import { readFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { syntaxErrorPosition } from "./runtime.ts";

/** A 1-based line and column. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** The parts of a source map (version 3) that position mapping reads. */
export interface SourceMap {
  readonly sources: readonly string[];
  readonly mappings: string;
}

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json(?:;charset=[^;,]+)?;base64,([A-Za-z0-9+/=]+)\s*$/;
// The file name the functor text is compiled under again when the runtime's own error gave no
// position: only its line and column are read.
const RECOMPILED = "workflow-sandbox-functor.cjs";

/**
 * The inline source map at the end of `code` (`//# sourceMappingURL=data:application/json;base64,...`),
 * or undefined when there is none or it does not parse.
 *
 * @example
 * ```ts
 * import { inlineSourceMap } from "./compile_error_location.ts";
 * const map = { version: 3, sources: ["/app/w.ts"], mappings: "AAAA" };
 * const code = `x;\n//# sourceMappingURL=data:application/json;base64,${btoa(JSON.stringify(map))}\n`;
 * inlineSourceMap(code)?.sources; // ["/app/w.ts"]
 * ```
 */
export function inlineSourceMap(code: string): SourceMap | undefined {
  const start = code.lastIndexOf("//# sourceMappingURL=");
  const match = start < 0 ? null : INLINE_MAP.exec(code.slice(start));
  if (!match) return undefined;
  try {
    const map = JSON.parse(Buffer.from(match[1]!, "base64").toString("utf8")) as Partial<SourceMap>;
    if (typeof map.mappings !== "string" || !Array.isArray(map.sources)) return undefined;
    return { sources: map.sources, mappings: map.mappings };
  } catch {
    return undefined;
  }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((char, value) => [char, value]));

/** Decodes one segment's base64 VLQ fields (https://tc39.es/ecma426/#sec-base64-vlq). */
function decodeSegment(segment: string): number[] | undefined {
  const fields: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) return undefined;
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    fields.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  return shift === 0 ? fields : undefined;
}

/**
 * The original position of a generated one (both 1-based): the mapping segment of that line that
 * starts at or before the column, as Node's `SourceMap#findEntry` answers. Undefined when the line
 * has no such segment or it names no source.
 *
 * @example
 * ```ts
 * import { originalPosition } from "./compile_error_location.ts";
 * // Generated line 2, column 5 comes from line 1, column 3 of /app/w.ts.
 * originalPosition({ sources: ["/app/w.ts"], mappings: ";IAAE" }, { line: 2, column: 5 });
 * // { source: "/app/w.ts", line: 1, column: 3 }
 * ```
 */
export function originalPosition(
  map: SourceMap, generated: SourcePosition,
): { source: string; line: number; column: number } | undefined {
  const lines = map.mappings.split(";");
  if (generated.line < 1 || generated.line > lines.length) return undefined;
  // Source index, original line and column are relative to the previous segment of the whole
  // map, so every line before the target is decoded too.
  let source = 0;
  let line = 0;
  let column = 0;
  let found: { source: string; line: number; column: number } | undefined;
  for (let index = 0; index < generated.line; index++) {
    let generatedColumn = 0;
    for (const segment of lines[index]!.split(",")) {
      if (segment === "") continue;
      const fields = decodeSegment(segment);
      if (!fields || fields.length === 0) return undefined;
      generatedColumn += fields[0]!;
      const mapped = fields.length >= 4;
      if (mapped) {
        source += fields[1]!;
        line += fields[2]!;
        column += fields[3]!;
      }
      if (index !== generated.line - 1) continue;
      if (generatedColumn > generated.column - 1) return found;
      const name = map.sources[source];
      found = mapped && name !== undefined ? { source: name, line: line + 1, column: column + 1 } : undefined;
    }
  }
  return found;
}

/** Whether a source map's `sources` entry names the module's file (a path or a file URL). */
function namesFile(source: string, filePath: string): boolean {
  if (source === filePath) return true;
  if (!source.startsWith("file:")) return false;
  try {
    return fileURLToPath(source) === filePath;
  } catch {
    return false;
  }
}

/**
 * `<file>:<line>:<column>` of a `SyntaxError` V8 threw compiling the functor of `filePath`, at
 * the module's own line and column, or undefined when the position cannot be found (the caller
 * then names the file only).
 *
 * The functor's position comes from the error itself where the runtime gives it (Node's
 * `<path>:<line>` and `^^^` lines in front of the stack), else from compiling `functorCode`
 * again with `vm.Script` (Deno, through {@link syntaxErrorPosition}); the functor's text from
 * `functorCode`, else from the file Node's stack names (the functor in the transform cache).
 *
 * @example
 * ```ts
 * import { compileErrorLocation } from "./compile_error_location.ts";
 * declare const thrown: unknown; // what loading the functor of /app/w.ts threw
 * declare const functorText: string; // that functor, with its inline source map
 * compileErrorLocation("/app/w.ts", thrown, functorText); // "/app/w.ts:4:27", or undefined
 * ```
 */
export function compileErrorLocation(filePath: string, error: unknown, functorCode?: string): string | undefined {
  if (!(error instanceof SyntaxError)) return undefined;
  const reported = syntaxErrorPosition(error);
  // The runtime mapped the position itself (Node, where it knows the functor's source map).
  if (reported && namesFile(reported.file, filePath)) return `${filePath}:${reported.line}:${reported.column}`;
  let code = functorCode;
  if (code === undefined && reported) {
    try {
      code = readFileSync(reported.file, "utf8");
    } catch {
      // Compiled from memory (a read-only cache): no file to read the source map from.
    }
  }
  if (code === undefined) return undefined;
  const position: SourcePosition | undefined = reported ?? recompiledPosition(code, error.message);
  const map = position && inlineSourceMap(code);
  const original = position && map ? originalPosition(map, position) : undefined;
  if (!original || !(map!.sources.length === 1 || namesFile(original.source, filePath))) return undefined;
  return `${filePath}:${original.line}:${original.column}`;
}

/**
 * Compiles the functor's text again, without running it, for the position of its SyntaxError:
 * with no stack frames, so that Deno reports the error's own position (see
 * {@link syntaxErrorPosition}). Undefined when it compiles or fails differently.
 */
function recompiledPosition(code: string, message: string): SourcePosition | undefined {
  const limit = Error.stackTraceLimit;
  let thrown: unknown;
  Error.stackTraceLimit = 0;
  try {
    new vm.Script(code, { filename: RECOMPILED });
  } catch (error) {
    thrown = error;
  } finally {
    Error.stackTraceLimit = limit;
  }
  if (!(thrown instanceof SyntaxError) || thrown.message !== message) return undefined;
  const position = syntaxErrorPosition(thrown);
  return position?.file === RECOMPILED ? position : undefined;
}
