/**
 * Reads the TypeScript settings that change how a file is compiled, from the nearest
 * tsconfig.json, or deno.json(c) `compilerOptions` under Deno conventions.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Settings passed to esbuild as `tsconfigRaw`, plus where they came from. */
export interface TsSettings {
  readonly compilerOptions: Readonly<Record<string, unknown>>;
  /** The file the settings came from, for error messages. */
  readonly source: string | undefined;
  /** A stable string of the settings, part of the transform cache key. */
  readonly key: string;
}

// Only these options change esbuild's output (https://esbuild.github.io/content-types/#tsconfig-json).
const RELEVANT = [
  "experimentalDecorators",
  "verbatimModuleSyntax",
  "preserveValueImports",
  "importsNotUsedAsValues",
  "useDefineForClassFields",
  "jsx",
  "jsxFactory",
  "jsxFragmentFactory",
  "jsxImportSource",
  "alwaysStrict",
] as const;

const CONFIG_FILES = ["tsconfig.json", "deno.json", "deno.jsonc"] as const;

/**
 * Creates a cached reader of TypeScript settings per folder.
 *
 * @example
 * ```ts
 * import { createTsSettingsReader } from "./ts_settings.ts";
 * const settings = createTsSettingsReader().forFile("/work/app/src/workflows.ts");
 * settings.compilerOptions.verbatimModuleSyntax;
 * ```
 */
export function createTsSettingsReader(): { forFile(filePath: string): TsSettings } {
  const byDir = new Map<string, TsSettings>();
  const lookup = (dir: string): TsSettings => {
    const cached = byDir.get(dir);
    if (cached) return cached;
    let result: TsSettings | undefined;
    for (const name of CONFIG_FILES) {
      const path = join(dir, name);
      let text: string;
      try {
        text = readFileSync(path, "utf8");
      } catch {
        continue;
      }
      const options = parseCompilerOptions(text, path);
      if (options === undefined) continue; // a deno.json without compilerOptions
      result = settingsFrom(options, path);
      break;
    }
    if (!result) {
      const parent = dirname(dir);
      result = parent === dir ? settingsFrom({}, undefined) : lookup(parent);
    }
    byDir.set(dir, result);
    return result;
  };
  return { forFile: (filePath) => lookup(dirname(filePath)) };
}

function settingsFrom(options: Record<string, unknown>, source: string | undefined): TsSettings {
  if (options.experimentalDecorators === true) {
    throw codedError(Error, {
      code: "WFS_LEGACY_DECORATORS",
      message: `'experimentalDecorators' is set in '${source}': workflow-sandbox compiles TC39 decorators ` +
        `(the standard ones, as TypeScript 5 does without that setting) and cannot load legacy decorators`,
      hint: `Remove 'experimentalDecorators' from '${source}'`,
    });
  }
  const compilerOptions: Record<string, unknown> = {};
  for (const name of RELEVANT) if (options[name] !== undefined) compilerOptions[name] = options[name];
  return { compilerOptions, source, key: JSON.stringify(compilerOptions) };
}

function parseCompilerOptions(text: string, path: string): Record<string, unknown> | undefined {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(stripJsonComments(text));
  } catch (error) {
    throw codedError(SyntaxError, {
      code: "WFS_COMPILE",
      message: `Cannot parse '${path}': ${(error as Error).message}`,
      hint: "Fix the JSON in that file",
      cause: error,
    });
  }
  const options = json.compilerOptions;
  if (options === undefined) return path.endsWith("tsconfig.json") ? {} : undefined;
  return typeof options === "object" && options !== null ? options as Record<string, unknown> : {};
}

/** Removes `//` and `/* *\/` comments and trailing commas outside strings (tsconfig is JSONC). */
export function stripJsonComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (c === "/" && text[i + 1] === "*") {
      i = text.indexOf("*/", i + 2);
      if (i < 0) break;
      i++;
    } else {
      out += c;
    }
  }
  return out.replace(/,(\s*[}\]])/g, "$1");
}
