/**
 * Loads the workflows of `workflowsPath` for the worker and the replayer: discovers them on the
 * host, then prepares each with its runner. Every way loading can fail is a
 * `WorkflowValidationError` (`WFS_VALIDATION`) with the file:line where it is known and the fix:
 * the module does not exist, does not compile, imports a module that does not exist, throws while
 * it is imported, or exports no workflow. The underlying error is kept as `cause`; a compile
 * error's cause is a native `SyntaxError` (`WFS_COMPILE`) on every runtime.
 * @module
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve as resolvePath } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { codedError } from "../sandbox/coded_error.ts";
import { discoverWorkflows, type WorkflowDefinition } from "../sandbox/workflow_definition.ts";
import type { PrepareOptions, WorkflowRunner } from "../sandbox/workflow_runner.ts";
import { WorkflowValidationError, workflowsModuleError, workflowValidationError } from "../sandbox/workflow_validation_error.ts";
import { locateInStack } from "../sandbox/workflow_location.ts";
import { errorLocation, isPackageFile } from "./_error_location.ts";
import { asError, describeThrownValue, isError, nonErrorThrown } from "./_thrown_value.ts";

/** The runners definitions are prepared with. */
export interface LoadRunners {
  readonly sandboxed: WorkflowRunner;
  readonly unsandboxed: WorkflowRunner;
}

const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Discovers and prepares the workflows of `workflowsPath`, by name.
 *
 * @example
 * ```ts
 * import { loadWorkflows } from "./_load_workflows.ts";
 * import { SandboxedWorkflowRunner } from "../sandbox/sandboxed_workflow_runner.ts";
 * import { UnsandboxedWorkflowRunner } from "../sandbox/unsandboxed_workflow_runner.ts";
 * const definitions = await loadWorkflows("./workflows.ts", {
 *   sandboxed: new SandboxedWorkflowRunner(),
 *   unsandboxed: new UnsandboxedWorkflowRunner(),
 * });
 * [...definitions.keys()];
 * ```
 */
export async function loadWorkflows(
  workflowsPath: string | URL,
  runners: LoadRunners,
  options: PrepareOptions = {},
): Promise<Map<string, WorkflowDefinition>> {
  const moduleUrl = moduleUrlOf(workflowsPath);
  const shown = displayPath(moduleUrl);
  checkExists(workflowsPath, moduleUrl, shown);
  let discovered: WorkflowDefinition[];
  try {
    discovered = await discoverWorkflows(workflowsPath);
  } catch (thrown) {
    throw await loadingError(shown, moduleUrl, thrown, runners);
  }
  if (discovered.length === 0) {
    let exported = "none";
    try {
      const names = Object.keys(await import(moduleUrl) as Record<string, unknown>);
      if (names.length > 0) exported = names.map((name) => `'${name}'`).join(", ");
    } catch {
      // It loaded a moment ago; the names are only for the message.
    }
    throw workflowsModuleError(shown, {
      reason: `it exports no workflow (its exports: ${exported})`,
      hint: "Export each workflow wrapped in workflow.defn (export const greet = workflow.defn(async function greet() {})), " +
        "or point workflowsPath at the module that does",
    });
  }
  const definitions = new Map<string, WorkflowDefinition>();
  for (const definition of discovered) {
    try {
      await (definition.sandboxed ? runners.sandboxed : runners.unsandboxed).prepare(definition, options);
    } catch (thrown) {
      if (WorkflowValidationError.is(thrown)) throw thrown;
      const cause = asError(thrown, `Preparing workflow '${definition.name}'`);
      throw workflowValidationError(definition.name, { cause, location: errorLocation(cause) });
    }
    definitions.set(definition.name, definition);
  }
  return definitions;
}

/** The `file:` URL (or other URL) `workflowsPath` names, as `discoverWorkflows` resolves it. */
function moduleUrlOf(workflowsPath: string | URL): string {
  if (workflowsPath instanceof URL) return workflowsPath.href;
  if (workflowsPath.startsWith("file:")) return workflowsPath;
  return pathToFileURL(isAbsolute(workflowsPath) ? workflowsPath : resolvePath(workflowsPath)).href;
}

function displayPath(moduleUrl: string): string {
  try {
    return moduleUrl.startsWith("file:") ? fileURLToPath(moduleUrl) : moduleUrl;
  } catch {
    return moduleUrl;
  }
}

/** A `file:` module that is missing or a folder fails before it is imported, naming what was looked for. */
function checkExists(workflowsPath: string | URL, moduleUrl: string, shown: string): void {
  if (!moduleUrl.startsWith("file:")) return;
  let isFile: boolean;
  try {
    isFile = statSync(shown).isFile();
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") return; // not ours to judge (permissions): the import says
    const given = String(workflowsPath instanceof URL ? workflowsPath.href : workflowsPath);
    const relative = typeof workflowsPath === "string" && !isAbsolute(workflowsPath) && !workflowsPath.startsWith("file:");
    throw workflowsModuleError(shown, {
      reason: `no such file (workflowsPath is '${given}'` +
        `${relative ? `, a relative path, resolved against the current directory '${cwd()}'` : ""})`,
      hint: "Point workflowsPath at the module that exports the workflows: a URL relative to your code, " +
        "new URL('./workflows.ts', import.meta.url), or an absolute path",
      cause,
    });
  }
  if (!isFile) {
    throw workflowsModuleError(shown, {
      reason: "it is a folder, not a module",
      hint: "Point workflowsPath at the module file that exports the workflows (for example its workflows.ts or index.ts)",
    });
  }
}

function cwd(): string {
  try {
    return process.cwd();
  } catch {
    return "."; // Deno without --allow-read
  }
}

/** The `WorkflowValidationError` of a module whose import failed, by what failed. */
async function loadingError(shown: string, moduleUrl: string, thrown: unknown, runners: LoadRunners): Promise<Error> {
  if (WorkflowValidationError.is(thrown)) return thrown;
  if (!isError(thrown)) {
    return workflowsModuleError(shown, {
      reason: `importing it threw ${describeThrownValue(thrown)}, which is not an Error`,
      hint: "Find the module that throws it at its top level, and throw an Error there (or nothing)",
      cause: nonErrorThrown(thrown, `Importing '${shown}'`),
    });
  }
  const error = thrown;
  const message = error.message.replace(ANSI, "");
  const code = (error as { code?: unknown }).code;
  // Discovery's own errors (two exports with one workflow name) carry their code and fix.
  if (code === "WFS_VALIDATION") {
    return workflowsModuleError(shown, { reason: whatOf(error), hint: String((error as { hint?: unknown }).hint ?? ""), cause: error });
  }
  const compile = await compileError(error, message, moduleUrl, runners);
  if (compile !== undefined) {
    return workflowsModuleError(shown, {
      reason: compile.reason,
      location: compile.location,
      hint: "Fix the syntax at that position",
      cause: compile.error,
    });
  }
  const missing = missingModule(error, message);
  if (missing !== undefined) {
    return workflowsModuleError(shown, {
      reason: `${missing.what}${missing.location === undefined || missing.what.includes(missing.location) ? "" : ` (imported at ${missing.location})`}`,
      location: missing.location,
      hint: "Fix that import: check the path and the file's extension (relative imports start with './' and name the " +
        "file with its extension), or install the package",
      cause: error,
    });
  }
  const location = (error as { location?: unknown }).location;
  return workflowsModuleError(shown, {
    reason: `importing it threw ${error.name}: ${whatOf(error)}`,
    location: typeof location === "string" ? location : locateInStack(error.stack, isSourceFile),
    hint: "Fix what the module (or a module it imports) does at its top level (error.cause says what failed); work that " +
      "needs the outside world belongs in an activity",
    cause: error,
  });
}

/** A file of the application or its dependencies (not this package, not the runtime's own). */
function isSourceFile(path: string): boolean {
  if (isPackageFile(path)) return false;
  try {
    return statSync(path).isFile();
  } catch {
    return false; // `node:internal/...` frames parse as `/...` paths
  }
}

/**
 * A compile error, its native `SyntaxError` and where it is: the loader's on Node (`WFS_COMPILE`,
 * with its `location`), or the runtime's own for a JavaScript file (its position, when the
 * runtime gives none, from compiling the module graph again in the sandbox's loader), or built
 * here from Deno's (a `TypeError` whose message starts with `SyntaxError:` and ends with
 * `at file:line:col`).
 */
async function compileError(
  error: Error,
  message: string,
  moduleUrl: string,
  runners: LoadRunners,
): Promise<{ error: Error; reason: string; location?: string } | undefined> {
  if (error instanceof SyntaxError) {
    if (typeof (error as { code?: unknown }).code === "string") {
      const location = (error as { location?: unknown }).location;
      return { error, reason: whatOf(error), ...(typeof location === "string" ? { location } : {}) };
    }
    const at = AT_END.exec(message);
    const text = at ? message.slice(0, at.index) : message;
    const location = at ? `${displayPath(at[1]!)}:${at[2]}:${at[3]}` : await locateCompileError(moduleUrl, runners);
    return { error, reason: `SyntaxError: ${text}`, ...(location === undefined ? {} : { location }) };
  }
  const deno = /^SyntaxError: ([^\n]*)[\s\S]*?\n\s*at (file:\/\/\S+?):(\d+):(\d+)\s*$/.exec(message);
  if (!deno) return undefined;
  const location = `${displayPath(deno[2]!)}:${deno[3]}:${deno[4]}`;
  const native = codedError(SyntaxError, {
    code: "WFS_COMPILE",
    message: `Cannot compile ${location}: ${deno[1]}`,
    hint: "Fix the syntax at that position",
    cause: error,
  }, { location });
  return { error: native, reason: whatOf(native), location };
}

const AT_END = /\s+at (file:\/\/\S+?):(\d+):(\d+)\s*$/;

/**
 * Where a JavaScript module of the graph does not compile, when the runtime did not say (Node's
 * own `SyntaxError` names no file): the sandbox's module graph compiles every module with esbuild,
 * whose error has the position.
 */
async function locateCompileError(moduleUrl: string, runners: LoadRunners): Promise<string | undefined> {
  const graph = (runners.sandboxed as { graph?: { load?: (url: string) => Promise<unknown> } }).graph;
  if (typeof graph?.load !== "function") return undefined;
  try {
    await graph.load(moduleUrl);
  } catch (error) {
    const location = (error as { location?: unknown }).location;
    if (typeof location === "string") return location;
  }
  return undefined;
}

/** A module or package an import names that does not exist: what is missing and where it is imported. */
function missingModule(error: Error, message: string): { what: string; location?: string } | undefined {
  // Deno: `Module not found "file:///app/nope.ts".` or `Import "pkg" not a dependency ...`, then `at file:line:col`.
  const denoAt = AT_END.exec(message);
  const denoMissing = /^Module not found "([^"]+)"/.exec(message);
  const denoBare = /^Import "([^"]+)" not a dependency/.exec(message);
  if (denoMissing || denoBare) {
    const what = denoMissing ? `'${displayPath(denoMissing[1]!)}' does not exist` : `package '${denoBare![1]}' is not installed`;
    return { what, ...(denoAt ? { location: `${displayPath(denoAt[1]!)}:${denoAt[2]}:${denoAt[3]}` } : {}) };
  }
  // Deno, a specifier its resolver left unresolved: `Loading unprepared module: <url>, imported from: <url>`.
  const unprepared = /^Loading unprepared module: (\S+?),? imported from: (\S+)/.exec(message);
  if (unprepared) {
    const target = displayPath(unprepared[1]!);
    const importer = displayPath(unprepared[2]!);
    const name = target.slice(target.lastIndexOf("/") + 1);
    const location = findImport(importer, (specifier) => specifier === name || resolvesTo(importer, specifier, target));
    return { what: `the import of '${location === undefined ? target : name}' does not resolve to a module`, location: location ?? importer };
  }
  // Node: `Cannot find module '/app/nope.ts' imported from /app/workflows.ts`, or `Cannot find package 'pkg' ...`.
  const node = /^Cannot find (module|package) '([^']+)' imported from (.+)$/m.exec(message);
  if (node) {
    const [, kind, targetText, importerText] = node;
    const importer = displayPath(importerText!.trim());
    const target = kind === "module" ? displayPath(targetText!) : targetText!;
    const what = kind === "module" ? `'${target}' does not exist` : `package '${target}' is not installed`;
    const location = findImport(
      importer,
      kind === "module" ? (specifier) => resolvesTo(importer, specifier, target) : (specifier) => specifier === target || specifier.startsWith(`${target}/`),
    );
    return { what, location: location ?? importer };
  }
  if ((error as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND") return { what: message };
  return undefined;
}

/** The `file:line:col` of the first import in `importer` whose specifier `matches`. */
function findImport(importer: string, matches: (specifier: string) => boolean): string | undefined {
  let source: string;
  try {
    source = readFileSync(importer, "utf8");
  } catch {
    return undefined;
  }
  const lines = source.split("\n");
  const specifier = /(?:\bfrom\s*|\bimport\s*\(?\s*)(["'])([^"'\n]+)\1/g;
  for (let i = 0; i < lines.length; i++) {
    for (const match of lines[i]!.matchAll(specifier)) {
      const named = match[2]!;
      if (matches(named)) return `${importer}:${i + 1}:${match.index! + match[0].length - named.length - 1}`;
    }
  }
  return undefined;
}

function resolvesTo(importer: string, specifier: string, path: string): boolean {
  try {
    if (specifier.startsWith("file:")) return fileURLToPath(specifier) === path;
    if (specifier.startsWith("./") || specifier.startsWith("../")) return resolvePath(dirname(importer), specifier) === path;
    return isAbsolute(specifier) && resolvePath(specifier) === path;
  } catch {
    return false;
  }
}

/**
 * What a coded error says without its fix: `<message> (<code>)`. The fix is the new error's own
 * hint, so the message does not say it twice. Other errors: their message.
 */
function whatOf(error: Error): string {
  const message = error.message.replace(ANSI, "");
  const { code, hint } = error as { code?: unknown; hint?: unknown };
  if (typeof code !== "string" || typeof hint !== "string") return message;
  const tail = `${hint.trim().replace(/\.$/, "")} (${code})`;
  if (!message.endsWith(tail)) return message;
  return `${message.slice(0, -tail.length).trimEnd().replace(/\.$/, "")} (${code})`;
}
