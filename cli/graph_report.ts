/**
 * The module graph of one workflow file as a runner loaded it: which modules every run
 * instantiates afresh (sandboxed) and which it takes from the host (passed through, and why), and
 * the static imports of modules the restrictions declare invalid.
 * @module
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { createPackageScopes } from "../loader/package_scope.ts";
import type { ModuleGraph, ModuleRecord } from "../sandbox/module_graph.ts";
import { canonicalModuleId } from "../sandbox/rule_path.ts";
import type { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";

/** A module every run instantiates afresh. */
export interface SandboxedModule {
  readonly url: string;
  /** File path. */
  readonly path: string;
  readonly kind: ModuleRecord["kind"];
}

/** Why a module is passed through. */
export type PassthroughReason =
  | "built-in" // node: and other non-file URLs (Deno's npm: too)
  | "this package" // workflow-sandbox itself
  | "directive" // a "use passthrough: ..." directive of an importing module
  | "native addon"
  | "configured"; // SandboxRestrictions passthroughModules (or passthroughAllModules)

/** A module runs take from the host, by identity. */
export interface PassedThroughModule {
  readonly url: string;
  readonly reason: PassthroughReason;
}

/** A static import of a module that `invalidModules` forbids. */
export interface InvalidImport {
  /** The canonical module id the rule matched (`child_process`, a package name). */
  readonly module: string;
  readonly specifier: string;
  /** `file:line:col` of the import in the importing module (`file` alone if the text was not found). */
  readonly location: string;
}

/** What {@linkcode graphReport} returns. */
export interface GraphReport {
  readonly sandboxed: readonly SandboxedModule[];
  readonly passedThrough: readonly PassedThroughModule[];
  readonly invalidImports: readonly InvalidImport[];
}

/** Options of {@linkcode graphReport}. */
export interface GraphReportOptions {
  readonly restrictions: SandboxRestrictions;
  readonly scopes: ReturnType<typeof createPackageScopes>;
  /** The workflow-sandbox package root (its modules are reported as "this package"). */
  readonly packageRoot: string;
}

/**
 * Reads the split and the invalid imports from a loaded graph.
 *
 * @example
 * ```ts
 * import { graphReport } from "./graph_report.ts";
 * import { SandboxRestrictions } from "../sandbox/sandbox_restrictions.ts";
 * import { sharedLoaderServices } from "../loader/loader_services.ts";
 * declare const runner: import("../sandbox/sandboxed_workflow_runner.ts").SandboxedWorkflowRunner;
 * const report = graphReport(runner.graph, {
 *   restrictions: SandboxRestrictions.default,
 *   scopes: sharedLoaderServices().scopes,
 *   packageRoot: "/app/node_modules/workflow-sandbox",
 * });
 * report.sandboxed.map((m) => m.path);
 * ```
 */
export function graphReport(graph: ModuleGraph, options: GraphReportOptions): GraphReport {
  const sandboxed: SandboxedModule[] = [];
  const passedThrough = new Map<string, PassedThroughModule>();
  const invalidImports: InvalidImport[] = [];
  const root = options.packageRoot.replace(/\/?$/, "/");
  const reasonOf = (url: string, importer?: ModuleRecord): PassthroughReason => {
    if (importer?.passthroughTargets.has(url)) return "directive";
    if (!url.startsWith("file:")) return "built-in";
    if (url.endsWith(".node")) return "native addon";
    return fileURLToPath(url).startsWith(root) ? "this package" : "configured";
  };
  const addPassthrough = (url: string, importer?: ModuleRecord) => {
    if (!passedThrough.has(url)) passedThrough.set(url, { url, reason: reasonOf(url, importer) });
  };

  for (const record of graph.records.values()) {
    sandboxed.push({ url: record.url, path: record.path, kind: record.kind });
    for (const [specifier, url] of record.deps) {
      if (graph.isPassthrough(url, record)) addPassthrough(url, record);
      const id = moduleId(url, options.scopes);
      if (id !== undefined && options.restrictions.invalidModules.matchAccess({ isRuntime: false }, [id])) {
        invalidImports.push({ module: id, specifier, location: importLocation(record, specifier) });
      }
    }
  }
  for (const url of graph.hostNamespaces.keys()) addPassthrough(url);
  return {
    sandboxed: sandboxed.sort((a, b) => a.path.localeCompare(b.path)),
    passedThrough: [...passedThrough.values()].sort((a, b) => a.url.localeCompare(b.url)),
    invalidImports,
  };
}

/** The id `invalidModules` rules name, as the restriction layer computes it. */
function moduleId(url: string, scopes: GraphReportOptions["scopes"]): string | undefined {
  if (url.startsWith("node:")) return canonicalModuleId(url);
  if (url.startsWith("npm:")) return url.slice(4).replace(/^\/+/, "").replace(/@[^/]*$|@[^/]*(?=\/)/, "");
  if (!url.startsWith("file:")) return undefined;
  return scopes.named(fileURLToPath(url))?.name;
}

/** Finds the import of `specifier` in the module's source text: `path:line:col`. */
function importLocation(record: ModuleRecord, specifier: string): string {
  let source: string;
  try {
    source = readFileSync(record.path, "utf8");
  } catch {
    return record.path;
  }
  const quoted = new RegExp(`(?:from|import|require)\\s*\\(?\\s*(["'])${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\1`);
  const match = quoted.exec(source);
  if (!match) return record.path;
  const at = match.index + match[0].indexOf(match[1]); // the specifier's opening quote
  const before = source.slice(0, at);
  const line = before.split("\n").length;
  const column = at - before.lastIndexOf("\n");
  return `${record.path}:${line}:${column}`;
}
