/**
 * Makes Node honour a project's deno.json / deno.jsonc `imports` and `scopes` (or the `importMap`
 * file it names), so one workflow project runs under both runtimes. Deno applies these maps
 * itself; on Deno the loader does not call this resolver.
 *
 * Matching (the exact key, else the longest prefix key ending in `/`; the most specific scope
 * first, then less specific scopes, then `imports`) is @jspm/import-map's `getScopeMatches` and
 * `getMapMatch`. Parsing and address handling follow the WICG import maps specification
 * (https://html.spec.whatwg.org/multipage/webappapis.html#import-maps) and are done here, because
 * the library's `ImportMap` class cannot represent a null entry and does not report which key
 * matched, and the errors below must name the key.
 *
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import { getMapMatch, getScopeMatches } from "@jspm/import-map";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The file I/O the resolver needs, as plain functions over absolute paths: the loader passes
 * `node:fs` functions, tests may pass an in-memory tree.
 *
 * @example
 * ```ts
 * import { createImportMapResolver, type ImportMapResolverOptions } from "./loader/import_map_resolver.ts";
 *
 * const files = new Map([["/app/deno.json", '{ "imports": { "zod": "npm:zod@^4" } }']]);
 * const memory: ImportMapResolverOptions = {
 *   readFile: (path) => files.get(path) ?? "",
 *   fileExists: (path) => files.has(path),
 * };
 * createImportMapResolver(memory).resolve("zod", "file:///app/main.ts"); // "zod"
 * ```
 */
export interface ImportMapResolverOptions {
  /** Reads a UTF-8 text file at an absolute path, throwing when it cannot. */
  readFile(path: string): string;
  /** Whether a regular file exists at an absolute path. */
  fileExists(path: string): boolean;
  /**
   * Stats a file at an absolute path (undefined when it is missing). When given, a cached
   * deno.json, or the import map file it names, is read again as soon as its `mtimeMs` or `size`
   * changes, so an edited map is seen by the next resolution; `fs.statSync(path, {
   * throwIfNoEntry: false })` fits.
   *
   * @default undefined (each config file is read once for the resolver's lifetime)
   */
  statFile?(path: string): { mtimeMs: number; size: number } | undefined;
}

/**
 * What {@linkcode createImportMapResolver} returns: one resolver per loader registration, holding
 * that registration's config cache.
 *
 * @example
 * ```ts
 * import { createImportMapResolver, type ImportMapResolver } from "./loader/import_map_resolver.ts";
 *
 * const files = new Map([["/app/deno.json", '{ "imports": { "@/": "./src/" } }']]);
 * const importMap: ImportMapResolver = createImportMapResolver({
 *   readFile: (path) => files.get(path) ?? "",
 *   fileExists: (path) => files.has(path),
 * });
 * importMap.resolve("@/counter.ts", "file:///app/main.ts"); // "file:///app/src/counter.ts"
 * importMap.resolve("./local.ts", "file:///app/main.ts"); // undefined: let the next resolver run
 * ```
 */
export interface ImportMapResolver {
  /**
   * Applies the import map that governs `parentURL`.
   *
   * Returns undefined when no entry applies (let the next resolver run), else a specifier for the
   * runtime's own resolver: a `file:` URL, a `node:` or `data:` URL as written, or a bare package
   * specifier that an `npm:` address became (`npm:@scope/pkg@1/x` gives `@scope/pkg/x`).
   * Throws for an address Node cannot load (`jsr:`, `http:`, `https:`) and for a config or entry
   * that is invalid, naming the file and the key.
   */
  resolve(specifier: string, parentURL: string | undefined): string | undefined;
}

/**
 * Creates a resolver that applies deno.json / deno.jsonc import maps on Node.
 *
 * The config that governs a module is the nearest deno.json (else deno.jsonc) found walking up
 * from the module's folder. When an ancestor config declares a `workspace` that lists that
 * folder, the member's map is tried first and the workspace root's map second; a nested config
 * that is not a member is ignored, as Deno does. Modules under `node_modules` are left to
 * Node's package resolution (Deno resolves npm packages through package.json, not the map).
 * An `npm:` or `jsr:` specifier written directly in code is handled as the same address in a map.
 *
 * @example
 * ```ts
 * import fs from "node:fs";
 * import os from "node:os";
 * import path from "node:path";
 * import { pathToFileURL } from "node:url";
 * import { createImportMapResolver } from "./loader/import_map_resolver.ts";
 *
 * const root = fs.mkdtempSync(path.join(os.tmpdir(), "app-"));
 * fs.writeFileSync(
 *   path.join(root, "deno.jsonc"),
 *   '{ "imports": { "zod": "npm:zod@^4", "@/": "./src/" } } // comments are fine',
 * );
 * const importMap = createImportMapResolver({
 *   readFile: (file) => fs.readFileSync(file, "utf8"),
 *   fileExists: (file) => fs.statSync(file, { throwIfNoEntry: false })?.isFile() ?? false,
 *   statFile: (file) => fs.statSync(file, { throwIfNoEntry: false }),
 * });
 * const main = pathToFileURL(path.join(root, "main.ts")).href;
 * importMap.resolve("zod", main); // "zod": Node then finds it in node_modules
 * importMap.resolve("@/counter.ts", main); // the file: URL of <root>/src/counter.ts
 * importMap.resolve("./local.ts", main); // undefined: no entry applies
 * ```
 */
export function createImportMapResolver(options: ImportMapResolverOptions): ImportMapResolver {
  const { readFile, fileExists, statFile } = options;
  /** folder URL -> config file paths from that folder up to the root, nearest first. */
  const configPathsByFolder = new Map<string, readonly string[]>();
  /** config file path -> parsed config, with the stamps it was read at. */
  const configsByPath = new Map<string, LoadedConfig>();

  function stampOf(path: string): string | undefined {
    if (statFile === undefined) return "unchecked";
    const stat = statFile(path);
    return stat === undefined ? undefined : `${stat.mtimeMs}:${stat.size}`;
  }

  function configPathsFor(folderURL: string): readonly string[] {
    const cached = configPathsByFolder.get(folderURL);
    if (cached !== undefined) return cached;
    const parentURL = new URL("../", folderURL).href;
    const above = parentURL === folderURL ? [] : configPathsFor(parentURL);
    const folder = fileURLToPath(folderURL);
    // Deno looks for deno.json before deno.jsonc in each folder.
    const own = CONFIG_NAMES.map((name) => joinPath(folder, name)).find((path) => fileExists(path));
    const paths = own === undefined ? above : [own, ...above];
    configPathsByFolder.set(folderURL, paths);
    return paths;
  }

  /** Undefined when the file was deleted since its folder was searched. */
  function loadConfig(path: string): LoadedConfig | undefined {
    // Stat before reading: an edit racing the read leaves an older stamp, so it is read again.
    const stamp = stampOf(path);
    if (stamp === undefined) return undefined;
    const cached = configsByPath.get(path);
    if (
      cached !== undefined && cached.stamp === stamp &&
      (cached.importMapPath === undefined || stampOf(cached.importMapPath) === cached.importMapStamp)
    ) {
      return cached;
    }
    const config = readConfig(path, stamp);
    configsByPath.set(path, config);
    return config;
  }

  function readConfig(path: string, stamp: string): LoadedConfig {
    const url = pathToFileURL(path).href;
    const json = parseJsoncObject(readFile(path), path);
    const workspace = workspaceMatchers(json.workspace, url, path);
    const folderURL = new URL(".", url).href;
    if (json.imports !== undefined || json.scopes !== undefined) {
      // Deno 2.9.6 ignores "importMap" when "imports" or "scopes" are present (it warns:
      // '"importMap" field is ignored when "imports" or "scopes" are specified in the config
      // file'), so the inline map wins whole rather than being merged over the file.
      return { stamp, folderURL, workspace, map: parseImportMap(json, url, path, undefined) };
    }
    if (json.importMap === undefined) return { stamp, folderURL, workspace, map: undefined };
    if (typeof json.importMap !== "string") {
      throw invalid(
        `Cannot read "importMap" in "${path}": it must be a string: current value is ${
          JSON.stringify(json.importMap)
        }. Set it to the import map file's path, such as "./import_map.json"`,
      );
    }
    const importMapURL = new URL(json.importMap, url);
    if (importMapURL.protocol !== "file:") {
      throw unsupported(
        `Cannot load the import map "${json.importMap}" named by "importMap" in "${path}": ` +
          `remote import maps are not supported on Node. Save it next to deno.json and set ` +
          `"importMap" to its "./path", or run under Deno`,
      );
    }
    const importMapPath = fileURLToPath(importMapURL);
    const importMapStamp = stampOf(importMapPath);
    if (importMapStamp === undefined || !fileExists(importMapPath)) {
      throw invalid(
        `Cannot read the import map "${importMapPath}" named by "importMap" in "${path}": ` +
          `the file does not exist. Create it or remove "importMap"`,
      );
    }
    const mapJson = parseJsoncObject(readFile(importMapPath), importMapPath);
    return {
      stamp,
      folderURL,
      workspace,
      importMapPath,
      importMapStamp,
      map: parseImportMap(mapJson, importMapURL.href, importMapPath, path),
    };
  }

  /** The maps to try for a module in `folderURL`, in order. */
  function mapsFor(folderURL: string): ParsedImportMap[] {
    for (let attempt = 0; attempt < 2; attempt++) {
      const configs = configPathsFor(folderURL).map(loadConfig);
      if (configs.includes(undefined)) {
        // A config was deleted: search the folders again (a config created later in a folder
        // already searched is not seen; see docs/resolution.md).
        configPathsByFolder.clear();
        continue;
      }
      const [nearest, ...ancestors] = configs as LoadedConfig[];
      if (nearest === undefined) return [];
      const root = nearest.workspace === undefined
        ? ancestors.find((config) => config.workspace !== undefined)
        : undefined;
      const chain = root === undefined
        ? [nearest]
        : root.workspace!.some((member) => member.test(nearest.folderURL))
        ? [nearest, root]
        : [root];
      return chain.flatMap((config) => config.map === undefined ? [] : [config.map]);
    }
    return [];
  }

  function resolve(specifier: string, parentURL: string | undefined): string | undefined {
    if (
      parentURL !== undefined && parentURL.startsWith("file:") &&
      !parentURL.includes("/node_modules/")
    ) {
      for (const map of mapsFor(folderOf(parentURL))) {
        const match = lookUp(map, specifier, parentURL);
        if (match !== undefined) return addressFor(match, specifier, parentURL);
      }
    }
    return resolveDenoScheme(specifier, parentURL);
  }

  return { resolve };
}

const CONFIG_NAMES = ["deno.json", "deno.jsonc"] as const;

interface LoadedConfig {
  readonly stamp: string;
  readonly folderURL: string;
  /** Member folder URL patterns when this config is a workspace root. */
  readonly workspace: readonly RegExp[] | undefined;
  readonly importMapPath?: string;
  readonly importMapStamp?: string;
  readonly map: ParsedImportMap | undefined;
}

/** One normalized entry; `address` is null when the spec makes it a null (blocking) entry. */
interface MapEntry {
  readonly key: string;
  readonly address: string | null;
  readonly problem?: string;
}

type SpecifierMap = Record<string, MapEntry>;

interface ParsedImportMap {
  /** The file the entries come from (deno.json or the import map file). */
  readonly path: string;
  /** The deno.json whose "importMap" named `path`, if any. */
  readonly namedBy: string | undefined;
  readonly baseURL: URL;
  readonly imports: SpecifierMap;
  /** Keyed by absolute scope URL. */
  readonly scopes: Record<string, SpecifierMap>;
  /** Absolute scope URL -> the scope key as written. */
  readonly scopeNames: Record<string, string>;
}

interface Match {
  readonly map: ParsedImportMap;
  readonly scope: string | undefined;
  readonly entry: MapEntry;
  /** The part of the normalized specifier after a prefix key ("" for an exact match). */
  readonly rest: string;
}

// The messages below end with their fix, as a last sentence: that sentence is the hint.
function invalid(message: string): Error {
  return codedError(Error, { code: "WFS_IMPORT_MAP_INVALID", ...splitFix(message, "Fix the entry as import maps define it, as Deno applies them") });
}

function unsupported(message: string): Error {
  return codedError(Error, { code: "WFS_IMPORT_MAP_UNSUPPORTED", ...splitFix(message, "Run the project with Deno, or map the specifier to a local file") });
}

function splitFix(text: string, fallback: string): { message: string; hint: string } {
  const at = text.search(/\. (?=[A-Z][^.]*(?:\([^)]*\))?[^.]*$)/);
  return at < 0 ? { message: text, hint: fallback } : { message: text.slice(0, at), hint: text.slice(at + 2) };
}

/**
 * "Resolve a URL-like module specifier" (WICG import maps): `/`, `./` and `../` specifiers
 * resolve against the base; otherwise an absolute URL parses as itself; a bare specifier gives
 * undefined.
 */
function parseUrlLike(specifier: string, baseURL: string | URL): string | undefined {
  // URL.canParse (Node 19.9+, Deno) avoids a thrown TypeError per bare specifier.
  if (specifier.startsWith("/") || specifier.startsWith("./") || specifier.startsWith("../")) {
    return URL.canParse(specifier, baseURL) ? new URL(specifier, baseURL).href : undefined;
  }
  return URL.canParse(specifier) ? new URL(specifier).href : undefined;
}

/** Normalizes `imports` and `scopes` as "parse an import map string" does, keeping the keys as written. */
function parseImportMap(
  json: Record<string, unknown>,
  baseURL: string,
  path: string,
  namedBy: string | undefined,
): ParsedImportMap {
  const base = new URL(baseURL);
  const imports = parseSpecifierMap(json.imports, base, path, '"imports"');
  const scopes: Record<string, SpecifierMap> = Object.create(null);
  const scopeNames: Record<string, string> = Object.create(null);
  if (json.scopes !== undefined) {
    if (!isPlainObject(json.scopes)) {
      throw invalid(
        `Cannot read "scopes" in "${path}": it must be an object: current value is ${
          JSON.stringify(json.scopes)
        }. Write "scopes": { "./folder/": { "specifier": "./target.ts" } }`,
      );
    }
    for (const [scopeKey, scopeValue] of Object.entries(json.scopes)) {
      let scopeURL: string;
      try {
        // Scope keys are URLs relative to the map, bare-looking or not (spec: "sort and
        // normalize scopes" parses them with the base URL).
        scopeURL = new URL(scopeKey, base).href;
      } catch {
        continue; // the spec skips a scope key that does not parse
      }
      scopes[scopeURL] = parseSpecifierMap(scopeValue, base, path, `scope "${scopeKey}"`);
      scopeNames[scopeURL] = scopeKey;
    }
  }
  return { path, namedBy, baseURL: base, imports, scopes, scopeNames };
}

function parseSpecifierMap(value: unknown, base: URL, path: string, where: string): SpecifierMap {
  // A null-prototype record: getMapMatch tests `specifier in map`, so "toString" must not match.
  const map: SpecifierMap = Object.create(null);
  if (value === undefined) return map;
  if (!isPlainObject(value)) {
    throw invalid(
      `Cannot read ${where} in "${path}": it must be an object: current value is ${
        JSON.stringify(value)
      }. Write { "specifier": "./target.ts" }`,
    );
  }
  for (const [key, target] of Object.entries(value)) {
    if (key === "") continue; // the spec skips an empty key
    const normalizedKey = parseUrlLike(key, base) ?? key;
    // The spec turns each invalid address into a null entry, which blocks the key instead of
    // letting a less specific entry apply.
    let address: string | null = null;
    let problem: string | undefined;
    if (typeof target !== "string") {
      problem = "addresses must be strings";
    } else {
      address = parseUrlLike(target, base) ?? null;
      if (address === null) {
        problem = 'bare addresses are not allowed: start it with "./", "../", "/" or a scheme ' +
          'such as "npm:"';
      } else if (key.endsWith("/") && !address.endsWith("/")) {
        address = null;
        problem = 'a key ending in "/" maps a prefix, so its address must end in "/" too';
      }
    }
    map[normalizedKey] = { key, address, problem };
  }
  return map;
}

function lookUp(map: ParsedImportMap, specifier: string, parentURL: string): Match | undefined {
  const normalized = parseUrlLike(specifier, parentURL) ?? specifier;
  // Most specific scope first (@jspm/import-map sorts the matching scopes longest first, as the
  // spec's code-unit-descending order does for prefixes of one URL), then `imports`.
  const scopes = map.scopes as unknown as Record<string, Record<string, string>>;
  for (const [scope] of getScopeMatches(parentURL, scopes, map.baseURL)) {
    const entries = map.scopes[scope]!;
    const key = getMapMatch(normalized, entries);
    if (key !== undefined) {
      return { map, scope, entry: entries[key]!, rest: normalized.slice(key.length) };
    }
  }
  const key = getMapMatch(normalized, map.imports);
  return key === undefined
    ? undefined
    : { map, scope: undefined, entry: map.imports[key]!, rest: normalized.slice(key.length) };
}

function addressFor(match: Match, specifier: string, parentURL: string): string {
  const { map, scope, entry, rest } = match;
  const file = map.namedBy === undefined
    ? `"${map.path}"`
    : `"${map.path}" (the "importMap" of "${map.namedBy}")`;
  const where = `key "${entry.key}"${
    scope === undefined ? "" : ` in scope "${map.scopeNames[scope]}"`
  } of ${file}`;
  const from = `"${specifier}" from "${displayPath(parentURL)}"`;
  const address = entry.address;
  if (address === null) {
    throw invalid(
      `Cannot resolve ${from}: the ${where} has an invalid address: ${entry.problem}`,
    );
  }
  const scheme = address.slice(0, address.indexOf(":") + 1);
  if (scheme === "jsr:" || scheme === "http:" || scheme === "https:") {
    throw unsupported(
      `Cannot resolve ${from} on Node: the ${where} maps it to "${address}${rest}", and ${scheme} ` +
        `specifiers are not supported on Node. ${fixFor(scheme, entry.key, address)}`,
    );
  }
  let resolved: string;
  if (rest === "") {
    resolved = address;
  } else if (scheme === "file:") {
    // Spec: the rest parses against the address, and a result outside it ("backtracking"
    // with ../) is an error, so a prefix entry cannot reach beyond its folder.
    resolved = new URL(rest, address).href;
    if (!resolved.startsWith(address)) {
      throw invalid(
        `Cannot resolve ${from}: it leaves the folder "${address}" that the ${where} maps it ` +
          `into. Import the target by its own path`,
      );
    }
  } else {
    // `npm:zod@4/` + `sub` cannot parse as a relative URL (opaque path); Deno concatenates.
    resolved = address + rest;
  }
  return scheme === "npm:" ? npmToBare(resolved, `the ${where}`) : resolved;
}

/** Handles `npm:` and `jsr:` written directly in code, which Deno accepts without a map entry. */
function resolveDenoScheme(specifier: string, parentURL: string | undefined): string | undefined {
  if (specifier.startsWith("npm:")) return npmToBare(specifier, `"${displayPath(parentURL)}"`);
  if (specifier.startsWith("jsr:")) {
    throw unsupported(
      `Cannot resolve "${specifier}" from "${displayPath(parentURL)}" on Node: jsr: specifiers ` +
        `are not supported on Node. ${fixFor("jsr:", specifier, specifier)}`,
    );
  }
  return undefined;
}

/**
 * `npm:zod@^4/sub` -> `zod/sub`, `npm:@scope/pkg@1/x` -> `@scope/pkg/x`, `npm:/zod` -> `zod`:
 * Node then finds the package in node_modules. The version range is not checked against the
 * installed copy (package.json and the lockfile decide which one is installed).
 */
function npmToBare(address: string, where: string): string {
  const match = /^npm:\/*((?:@[^/@]+\/)?[^/@]+)(?:@[^/]*)?(\/.*)?$/.exec(address);
  if (match === null) {
    throw invalid(
      `Cannot read the npm specifier "${address}" in ${where}: it does not name a package. ` +
        `Write "npm:<name>@<version>" or "npm:@<scope>/<name>@<version>"`,
    );
  }
  return match[1]! + (match[2] ?? "");
}

function fixFor(scheme: string, key: string, address: string): string {
  if (scheme !== "jsr:") {
    return `Save the module into the project and map "${key}" to its "./path", map it to the ` +
      `npm equivalent ("npm:<name>"), or run under Deno`;
  }
  // jsr:@std/path@^1/sub -> @std/path, the name `npx jsr add` takes (jsr.io/docs/npm-compatibility).
  const name = /^jsr:\/*((?:@[^/@]+\/)?[^/@]+)/.exec(address)?.[1] ?? "<name>";
  return `Install it into node_modules ("npx jsr add ${name}") and map "${key}" to an "npm:" ` +
    `specifier of the installed name, or run under Deno`;
}

/** The folder URL of a file: URL (`new URL(".", url).href`, without parsing twice). */
function folderOf(fileURL: string): string {
  const end = fileURL.search(/[?#]/);
  const path = end === -1 ? fileURL : fileURL.slice(0, end);
  return path.slice(0, path.lastIndexOf("/") + 1);
}

function displayPath(url: string | undefined): string {
  if (url === undefined) return "<entry>";
  return url.startsWith("file:") ? fileURLToPath(url) : url;
}

function joinPath(folder: string, name: string): string {
  return folder.endsWith("/") || folder.endsWith("\\") ? folder + name : `${folder}/${name}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Member folders of a workspace root as URL patterns. Deno accepts `"workspace": [...]` or
 * `{ "members": [...] }`, with `*` globs (docs.deno.com/runtime/fundamentals/workspaces).
 */
function workspaceMatchers(value: unknown, url: string, path: string): RegExp[] | undefined {
  if (value === undefined) return undefined;
  const members = isPlainObject(value) ? value.members : value;
  if (!Array.isArray(members) || !members.every((member) => typeof member === "string")) {
    throw invalid(
      `Cannot read "workspace" in "${path}": it must list member folders: current value is ${
        JSON.stringify(value)
      }. Write "workspace": ["./packages/a", "./packages/*"]`,
    );
  }
  return members.map((member: string) => {
    const folderURL = new URL(member.endsWith("/") ? member : `${member}/`, url).href;
    const pattern = folderURL.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*+/g, "[^/]*");
    return new RegExp(`^${pattern}$`);
  });
}

/** Parses JSONC (Deno reads deno.json and deno.jsonc this way) into an object. */
function parseJsoncObject(text: string, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(stripJsonc(text));
  } catch (error) {
    throw invalid(
      `Cannot parse "${path}": ${(error as Error).message}. Fix the JSON syntax (comments and ` +
        `trailing commas are allowed)`,
    );
  }
  if (!isPlainObject(value)) {
    throw invalid(
      `Cannot read "${path}": it must hold a JSON object: current value is ${JSON.stringify(value)}. ` +
        `Write { "imports": { ... } }`,
    );
  }
  return value;
}

/**
 * Blanks `//` and `/* *\/` comments and trailing commas outside strings, keeping every other
 * character (and so the positions JSON.parse reports). Deno's config parser accepts both
 * (deno.json and deno.jsonc alike, checked on Deno 2.9.6).
 */
function stripJsonc(text: string): string {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let out = "";
  let i = 0;
  while (i < source.length) {
    const char = source[i]!;
    if (char === '"') {
      const start = i++;
      while (i < source.length && source[i] !== '"') i += source[i] === "\\" ? 2 : 1;
      out += source.slice(start, ++i);
    } else if (char === "/" && source[i + 1] === "/") {
      const end = source.indexOf("\n", i);
      const stop = end === -1 ? source.length : end;
      out += " ".repeat(stop - i);
      i = stop;
    } else if (char === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      out += char;
      i++;
    }
  }
  // Trailing commas: with comments blanked, a comma followed only by whitespace and then `}` or
  // `]` is one. Strings are skipped the same way.
  let result = "";
  for (let j = 0; j < out.length; j++) {
    const char = out[j]!;
    if (char === '"') {
      const start = j++;
      while (j < out.length && out[j] !== '"') j += out[j] === "\\" ? 2 : 1;
      result += out.slice(start, j + 1);
      continue;
    }
    if (char === ",") {
      let k = j + 1;
      while (k < out.length && /\s/.test(out[k]!)) k++;
      if (out[k] === "}" || out[k] === "]") {
        result += " ";
        continue;
      }
    }
    result += char;
  }
  return result;
}
