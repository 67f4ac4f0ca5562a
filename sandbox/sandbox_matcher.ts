/**
 * `SandboxMatcher`: an immutable tree of names that says which values workflow code may not reach.
 * A port of Python's `SandboxMatcher` (python-sandbox.md §1.6, §2.4) with JavaScript names; the
 * differences are listed on the class.
 *
 * @module
 */

import { z } from "zod";
import { frozenMap, frozenSet } from "./_frozen_collections.ts";
import { codedError } from "./coded_error.ts";
import { qualifiedName, type RulePath } from "./rule_path.ts";

/**
 * What a matcher needs to know about the moment of the check.
 *
 * @example
 * ```ts
 * import type { MatchContext } from "./sandbox_matcher.ts";
 * const importTime: MatchContext = { isRuntime: false };
 * ```
 */
export interface MatchContext {
  /** `false` while workflow modules are being imported, `true` while the workflow runs. */
  readonly isRuntime: boolean;
}

/**
 * Options of a {@link SandboxMatcher}; every field is optional.
 *
 * @example
 * ```ts
 * import { SandboxMatcher, type SandboxMatcherOptions } from "./sandbox_matcher.ts";
 * const options: SandboxMatcherOptions = { use: ["now"], onlyRuntime: true };
 * new SandboxMatcher(options);
 * ```
 */
export interface SandboxMatcherOptions {
  /**
   * Names whose *access* matches: even reading the name fails. `"*"` matches every name.
   * @default {[]}
   */
  readonly access?: Iterable<string>;
  /**
   * Names whose *use* matches: reading the name is fine, calling it or reading its members fails.
   * `"*"` matches every name.
   * @default {[]}
   */
  readonly use?: Iterable<string>;
  /**
   * Matchers of members, by name; the key `"*"` is the matcher of every name without its own entry.
   * @default {{}}
   */
  readonly children?: Readonly<Record<string, SandboxMatcher>> | ReadonlyMap<string, SandboxMatcher>;
  /**
   * This matcher itself matches, so reaching it or anything below it fails.
   * @default {false}
   */
  readonly matchSelf?: boolean;
  /**
   * Matches only at run time, not while modules are imported; applies to everything below it.
   * @default {false}
   */
  readonly onlyRuntime?: boolean;
  /** Replaces the error or warning text. Requires `matchSelf`. */
  readonly leafMessage?: string;
  /**
   * Warn with this category (a name such as `"NondeterminismWarning"`) instead of throwing.
   * Requires `matchSelf`.
   */
  readonly leafWarning?: string;
  /**
   * Names that never match, overriding everything else in this matcher.
   * @default {[]}
   */
  readonly exclude?: Iterable<string>;
}

/**
 * Options of {@link SandboxMatcher.accessMatcher}.
 *
 * @example
 * ```ts
 * import type { AccessMatcherOptions } from "./sandbox_matcher.ts";
 * const options: AccessMatcherOptions = { includeUse: true };
 * ```
 */
export interface AccessMatcherOptions {
  /**
   * Also match names in `use` (Python's `include_use`, used for built-in functions).
   * @default {false}
   */
  readonly includeUse?: boolean;
}

/**
 * The rule that denies (or warns about) reaching a path, from {@link SandboxMatcher.restrictionOf}.
 *
 * @example
 * ```ts
 * import { SandboxMatcher } from "./sandbox_matcher.ts";
 * const matcher = SandboxMatcher.nestedChild(["fs"], SandboxMatcher.allUses);
 * const restriction = matcher.restrictionOf({ isRuntime: true }, ["fs", "readFileSync", "__call__"]);
 * restriction?.location; // ["fs", "*"]
 * ```
 */
export interface SandboxRestriction {
  /** The matcher that matched; its `leafMessage` and `leafWarning` apply. */
  readonly matcher: SandboxMatcher;
  /**
   * Where the rule sits in the tree: the names walked, with `"*"` where a wildcard matched, ending
   * at the name of the matching `access` or `use` entry or at the matching `matchSelf` matcher.
   */
  readonly location: RulePath;
}

/** Accepts an array or a Set of names (not a string, which is iterable too). */
const NAMES = z.preprocess(
  (value) => (value instanceof Set ? [...value] : value),
  z.array(z.string().min(1, "expected a non-empty name")),
);

const OPTIONS = z.object({
  access: NAMES.optional(),
  use: NAMES.optional(),
  children: z.preprocess(
    (value) => (value instanceof Map ? Object.fromEntries(value) : value),
    z.record(
      z.string(),
      z.custom<SandboxMatcher>((value) => value instanceof SandboxMatcher, {
        message: "expected a SandboxMatcher",
      }),
    ),
  ).optional(),
  matchSelf: z.boolean().optional(),
  onlyRuntime: z.boolean().optional(),
  leafMessage: z.string().optional(),
  leafWarning: z.string().min(1, "expected a warning category name").optional(),
  exclude: NAMES.optional(),
}).strict();

/** The `TypeError` of invalid options: the first zod issue as a sentence naming the option. */
function invalidOptions(error: z.ZodError): TypeError {
  const issue = error.issues[0];
  if (issue.code === "unrecognized_keys") {
    return codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `Cannot create a SandboxMatcher as option '${issue.keys[0]}' is unknown`,
      hint: `Use the options of SandboxMatcherOptions: ${Object.keys(OPTIONS.shape).map((key) => `'${key}'`).join(", ")}`,
    });
  }
  const field = issue.path.map(String).join(".");
  const message = issue.message.replace(/^Invalid input: /, "");
  const detail = message.charAt(0).toLowerCase() + message.slice(1);
  return codedError(TypeError, {
    code: "WFS_INVALID_OPTION",
    message: field === ""
      ? `Cannot create a SandboxMatcher as its options are invalid: ${detail}`
      : `Cannot create a SandboxMatcher as option '${field}' is invalid: ${detail}`,
    hint: field === "" ? "Pass an options object (SandboxMatcherOptions)" : "Pass the value the option expects (SandboxMatcherOptions)",
  });
}

/** The children of an options object as entries, from a Map or a record. */
function childEntries(
  children: SandboxMatcherOptions["children"],
): Iterable<readonly [string, SandboxMatcher]> {
  if (children === undefined) return [];
  return children instanceof Map
    ? children.entries()
    : Object.entries(children as Readonly<Record<string, SandboxMatcher>>);
}

/** How one side of a union treats one name. */
type Outcome = "none" | "access" | "use" | "child";

/**
 * An immutable matcher of names, nested by member (python-sandbox.md §1.6). Restricted values apply
 * it to paths such as `["globalThis", "Date", "now", "__call__"]` (see `rule_path.ts`).
 *
 * Differences from Python, each where Python hurts its users:
 * - `or` / `union` keep `exclude`: a name excluded on one side stays excluded when the other side does
 *   not match it, and stays matchable when the other side does (Python's `|` drops `exclude`, so a
 *   union re-restricts names the default excluded, such as `os.stat`). They also keep `onlyRuntime`
 *   and the leaf fields when a side has `matchSelf` (Python returns `all`), and combine a named child
 *   with the other side's `"*"` child.
 * - `onlyRuntime` applies to the whole subtree in every method (Python's nested proxies forget it below
 *   a named child).
 * - `withChildUnrestricted` also re-allows a name matched through a wildcard, by excluding it.
 *
 * The class is frozen and final: build a new matcher instead of changing one.
 *
 * @example
 * ```ts
 * import { SandboxMatcher } from "./sandbox_matcher.ts";
 * const matcher = new SandboxMatcher({
 *   children: { globalThis: new SandboxMatcher({ children: { Date: new SandboxMatcher({ use: ["now"] }) } }) },
 * });
 * matcher.restrictionOf({ isRuntime: true }, ["globalThis", "Date", "now", "__call__"]) !== undefined; // true
 * matcher.restrictionOf({ isRuntime: true }, ["globalThis", "Date", "UTC", "__call__"]); // undefined
 * ```
 */
export class SandboxMatcher {
  /** Names whose access matches (`"*"`: all). */
  readonly access: ReadonlySet<string>;
  /** Names whose use matches (`"*"`: all). */
  readonly use: ReadonlySet<string>;
  /** Member matchers by name, `"*"` for every other name. */
  readonly children: ReadonlyMap<string, SandboxMatcher>;
  /** Whether this matcher itself matches. */
  readonly matchSelf: boolean;
  /** Whether this matcher and everything below it match only at run time. */
  readonly onlyRuntime: boolean;
  /** Custom error or warning text (only with `matchSelf`). */
  readonly leafMessage: string | undefined;
  /** Warning category: warn instead of throwing (only with `matchSelf`). */
  readonly leafWarning: string | undefined;
  /** Names that never match. */
  readonly exclude: ReadonlySet<string>;

  /**
   * Matches everything below it, at import and run time.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * SandboxMatcher.all.matchAccess({ isRuntime: false }, ["anything"]); // true
   * ```
   */
  static readonly all: SandboxMatcher = new SandboxMatcher({ matchSelf: true });

  /**
   * Matches everything below it, at run time only.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * SandboxMatcher.allRuntime.matchAccess({ isRuntime: false }, ["anything"]); // false
   * ```
   */
  static readonly allRuntime: SandboxMatcher = new SandboxMatcher({ matchSelf: true, onlyRuntime: true });

  /**
   * Matches nothing.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * SandboxMatcher.none.matchAccess({ isRuntime: true }, ["anything"]); // false
   * ```
   */
  static readonly none: SandboxMatcher = new SandboxMatcher();

  /**
   * Matches the use of every member: reading a member is fine, calling it or reading below it fails.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * SandboxMatcher.allUses.childMatcher("readFileSync") === SandboxMatcher.all; // true
   * ```
   */
  static readonly allUses: SandboxMatcher = new SandboxMatcher({ use: ["*"] });

  /**
   * {@link SandboxMatcher.allUses} at run time only.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * SandboxMatcher.allUsesRuntime.childMatcher("cwd") === SandboxMatcher.allRuntime; // true
   * ```
   */
  static readonly allUsesRuntime: SandboxMatcher = new SandboxMatcher({ use: ["*"], onlyRuntime: true });

  /**
   * Creates a frozen matcher. Invalid options throw a `TypeError` naming the option.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * const warnOnly = new SandboxMatcher({ matchSelf: true, leafWarning: "NondeterminismWarning" });
   * ```
   */
  constructor(options: SandboxMatcherOptions = {}) {
    const parsed = OPTIONS.safeParse(options);
    if (!parsed.success) throw invalidOptions(parsed.error);
    const matchSelf = options.matchSelf ?? false;
    for (const field of ["leafMessage", "leafWarning"] as const) {
      if (options[field] !== undefined && !matchSelf) {
        throw codedError(TypeError, {
          code: "WFS_INVALID_OPTION",
          message: `Cannot create a SandboxMatcher with '${field}' as 'matchSelf' is false`,
          hint: `Set 'matchSelf: true' or remove '${field}'`,
        });
      }
    }
    this.access = frozenSet(options.access ?? []);
    this.use = frozenSet(options.use ?? []);
    this.children = frozenMap(childEntries(options.children));
    this.matchSelf = matchSelf;
    this.onlyRuntime = options.onlyRuntime ?? false;
    this.leafMessage = options.leafMessage;
    this.leafWarning = options.leafWarning;
    this.exclude = frozenSet(options.exclude ?? []);
    Object.freeze(this);
  }

  /**
   * Wraps `child` so that it sits at `path`: each name becomes a one-child parent.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * const matcher = SandboxMatcher.nestedChild(["globalThis", "Math"], new SandboxMatcher({ use: ["random"] }));
   * matcher.childMatcher("globalThis", "Math", "random") === SandboxMatcher.all; // true
   * ```
   */
  static nestedChild(path: RulePath, child: SandboxMatcher): SandboxMatcher {
    let matcher = child;
    for (let i = path.length - 1; i >= 0; i--) {
      matcher = new SandboxMatcher({ children: new Map([[path[i], matcher]]) });
    }
    return matcher;
  }

  /**
   * The matcher that matches the *access* of `path` (Python's `access_matcher`), or `undefined`.
   * `use` names match only with `includeUse`.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * const os = new SandboxMatcher({ access: ["name"], use: ["*"], onlyRuntime: true });
   * os.accessMatcher({ isRuntime: true }, ["name"]) === os; // true
   * os.accessMatcher({ isRuntime: true }, ["getcwd"]); // undefined: using it fails, reading it does not
   * os.accessMatcher({ isRuntime: true }, ["getcwd"], { includeUse: true }) === os; // true
   * ```
   */
  accessMatcher(
    ctx: MatchContext,
    path: RulePath,
    options: AccessMatcherOptions = {},
  ): SandboxMatcher | undefined {
    let matcher: SandboxMatcher = this;
    let runtimeOnly = false;
    for (const name of path) {
      if (matcher.exclude.has(name)) return undefined;
      if (matcher.onlyRuntime) runtimeOnly = true;
      if (runtimeOnly && !ctx.isRuntime) return undefined;
      if (matcher.matchSelf || matcher.access.has(name) || matcher.access.has("*")) return matcher;
      if (options.includeUse && (matcher.use.has(name) || matcher.use.has("*"))) return matcher;
      const child = matcher.children.get(name) ?? matcher.children.get("*");
      if (child === undefined) return undefined;
      matcher = child;
    }
    if (matcher.onlyRuntime) runtimeOnly = true;
    if (runtimeOnly && !ctx.isRuntime) return undefined;
    return matcher.matchSelf ? matcher : undefined;
  }

  /**
   * Whether the access of `path` matches (Python's `match_access`).
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * const invalidModules = new SandboxMatcher({ access: ["child_process"] });
   * invalidModules.matchAccess({ isRuntime: false }, ["child_process"]); // true
   * ```
   */
  matchAccess(ctx: MatchContext, path: RulePath, options: AccessMatcherOptions = {}): boolean {
    return this.accessMatcher(ctx, path, options) !== undefined;
  }

  /**
   * The matcher that restricts the value at `path` (Python's `child_matcher`), or `undefined` when
   * nothing below `path` is restricted. A name in `access` or `use` (or below a `matchSelf` matcher)
   * gives `all`, or `allRuntime` below an `onlyRuntime` matcher.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * const root = SandboxMatcher.nestedChild(["os"], SandboxMatcher.allUsesRuntime);
   * root.childMatcher("os", "getcwd") === SandboxMatcher.allRuntime; // true
   * root.childMatcher("path"); // undefined
   * ```
   */
  childMatcher(...path: string[]): SandboxMatcher | undefined {
    let matcher: SandboxMatcher = this;
    let runtimeOnly = this.onlyRuntime;
    for (const name of path) {
      if (matcher.exclude.has(name)) return undefined;
      if (
        matcher.matchSelf || matcher.access.has(name) || matcher.use.has(name) ||
        matcher.access.has("*") || matcher.use.has("*")
      ) {
        return runtimeOnly ? SandboxMatcher.allRuntime : SandboxMatcher.all;
      }
      const child = matcher.children.get(name) ?? matcher.children.get("*");
      if (child === undefined) return undefined;
      matcher = child;
      if (matcher.onlyRuntime) runtimeOnly = true;
    }
    return matcher;
  }

  /**
   * The rule that stops workflow code from reaching `path` one step at a time, the way restricted
   * values check it (Python's proxies): at each name, the access check of that name, then the child
   * matcher of that name for the next step. So a `use` name may be read but not called or read
   * further, and a name whose child has `matchSelf` may not be read. `undefined` when nothing matches.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * const root = SandboxMatcher.nestedChild(["globalThis", "Date"], new SandboxMatcher({ use: ["now"] }));
   * const ctx = { isRuntime: true };
   * root.restrictionOf(ctx, ["globalThis", "Date", "now"]); // undefined: reading it is fine
   * root.restrictionOf(ctx, ["globalThis", "Date", "now", "__call__"])?.location;
   * // ["globalThis", "Date", "now"]
   * ```
   */
  restrictionOf(ctx: MatchContext, path: RulePath): SandboxRestriction | undefined {
    let matcher: SandboxMatcher = this;
    let runtimeOnly = false;
    const location: string[] = [];
    for (let i = 0; i < path.length; i++) {
      const name = path[i];
      if (matcher.exclude.has(name)) return undefined;
      if (matcher.onlyRuntime) runtimeOnly = true;
      // Every matcher below an only-runtime one is only-runtime too.
      if (runtimeOnly && !ctx.isRuntime) return undefined;
      if (matcher.matchSelf) return { matcher, location };
      if (matcher.access.has(name)) return { matcher, location: [...location, name] };
      if (matcher.access.has("*")) return { matcher, location: [...location, "*"] };
      const named = matcher.children.get(name);
      const child = named ?? matcher.children.get("*");
      const step = named === undefined ? "*" : name;
      // Python's access check descends one level: a matching child denies reading the name.
      if (child?.matchSelf && (ctx.isRuntime || !(runtimeOnly || child.onlyRuntime))) {
        return { matcher: child, location: [...location, step] };
      }
      const used = matcher.use.has(name) ? name : matcher.use.has("*") ? "*" : undefined;
      if (used !== undefined) {
        // A used name may be read; whatever follows it (a member, `__call__`) matches.
        if (i === path.length - 1) return undefined;
        return {
          matcher: runtimeOnly ? SandboxMatcher.allRuntime : SandboxMatcher.all,
          location: [...location, used],
        };
      }
      if (child === undefined) return undefined;
      location.push(step);
      matcher = child;
    }
    if (path.length > 0) return undefined;
    if (matcher.onlyRuntime && !ctx.isRuntime) return undefined;
    return matcher.matchSelf ? { matcher, location } : undefined;
  }

  /**
   * A copy that no longer restricts `path`: the last name is removed from `access`, `use` and
   * `children` of its parent (Python's `with_child_unrestricted`). Unlike Python, a name still matched
   * through a wildcard (`"*"`, `matchSelf`) is also added to the parent's `exclude`, and the walk may go
   * through a `"*"` child, which then gets a named copy. A name matched through `access`, `use` or
   * `matchSelf` above the last name cannot be partly re-allowed; the matcher is returned unchanged.
   *
   * @example
   * ```ts
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * const relaxed = SandboxRestrictions.invalidModuleMembersDefault.withChildUnrestricted(
   *   "globalThis", "Math", "random",
   * );
   * ```
   */
  withChildUnrestricted(...path: string[]): SandboxMatcher {
    if (path.length === 0) {
      throw codedError(TypeError, {
        code: "WFS_INVALID_OPTION",
        message: "Cannot unrestrict a child as the path is empty",
        hint: "Pass at least one name",
      });
    }
    const [name, ...rest] = path;
    if (rest.length === 0) {
      const access = [...this.access].filter((entry) => entry !== name);
      const use = [...this.use].filter((entry) => entry !== name);
      const children = new Map([...this.children].filter(([key]) => key !== name));
      const wildcard = this.matchSelf || access.includes("*") || use.includes("*") || children.has("*");
      const exclude = wildcard ? [...new Set([...this.exclude, name])] : [...this.exclude];
      if (
        access.length === this.access.size && use.length === this.use.size &&
        children.size === this.children.size && exclude.length === this.exclude.size
      ) return this;
      return this.#with({ access, use, children, exclude });
    }
    const child = this.children.get(name) ?? this.children.get("*");
    if (child === undefined) return this;
    const relaxed = child.withChildUnrestricted(...rest);
    if (relaxed === child && this.children.has(name)) return this;
    return this.#with({ children: new Map([...this.children, [name, relaxed]]) });
  }

  /**
   * The union of this matcher and `other` (Python's `|`): a path matches the result when it matches
   * either side. See the class notes for how `exclude`, `onlyRuntime` and leaf fields are kept.
   * Throws a `TypeError` naming the path when both sides set `onlyRuntime`, `leafMessage` or
   * `leafWarning` differently at the same place, as Python does.
   *
   * When one side excludes a name and the other side restricts it less strongly than a wildcard of the
   * excluding side (`use` against `access: ["*"]`), the stronger rule applies: a union never loses a
   * rule, at worst it restricts a name at the stronger level.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * const stricter = SandboxRestrictions.invalidModuleMembersDefault.or(
   *   SandboxMatcher.nestedChild(["crypto"], new SandboxMatcher({ use: ["createHash"] })),
   * );
   * ```
   */
  or(other: SandboxMatcher): SandboxMatcher {
    return SandboxMatcher.#union(this, other, []);
  }

  /**
   * The union of any number of matchers; `none` when given none.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * const both = SandboxMatcher.union(
   *   SandboxMatcher.nestedChild(["fs"], SandboxMatcher.allUsesRuntime),
   *   SandboxMatcher.nestedChild(["net"], SandboxMatcher.allUses),
   * );
   * ```
   */
  static union(...matchers: SandboxMatcher[]): SandboxMatcher {
    return matchers.reduce((left, right) => left.or(right), SandboxMatcher.none);
  }

  /** A copy with some fields replaced (the matcher is frozen). */
  #with(fields: SandboxMatcherOptions): SandboxMatcher {
    return new SandboxMatcher({
      access: this.access,
      use: this.use,
      children: this.children,
      matchSelf: this.matchSelf,
      onlyRuntime: this.onlyRuntime,
      leafMessage: this.leafMessage,
      leafWarning: this.leafWarning,
      exclude: this.exclude,
      ...fields,
    });
  }

  /** This matcher's child for `name`, honouring `exclude` and the `"*"` child. */
  #childFor(name: string): SandboxMatcher | undefined {
    if (this.exclude.has(name)) return undefined;
    return this.children.get(name) ?? (name === "*" ? undefined : this.children.get("*"));
  }

  /** How this matcher treats `name` one level down, in the order the checks run. */
  #outcome(name: string): Outcome {
    if (this.exclude.has(name)) return "none";
    if (this.matchSelf || this.access.has(name) || this.access.has("*")) return "access";
    if (this.use.has(name) || this.use.has("*")) return "use";
    return this.#childFor(name) === undefined ? "none" : "child";
  }

  static #union(left: SandboxMatcher, right: SandboxMatcher, path: readonly string[]): SandboxMatcher {
    if (left === right) return left;
    for (const field of ["onlyRuntime", "leafMessage", "leafWarning"] as const) {
      if (left[field] !== right[field]) {
        const where = path.length === 0 ? "the root" : `'${qualifiedName(path)}'`;
        throw codedError(TypeError, {
          code: "WFS_INVALID_OPTION",
          message: `Cannot combine SandboxMatchers at ${where} as '${field}' differs: ` +
            `'${String(left[field])}' and '${String(right[field])}'`,
          hint: "Set it the same on both sides",
        });
      }
    }
    if (left.matchSelf || right.matchSelf) {
      // Everything matches but the excluded names; keep one excluded only if no side matches it.
      const exclude = [...new Set([...left.exclude, ...right.exclude])].filter((name) =>
        left.#outcome(name) === "none" && right.#outcome(name) === "none"
      );
      return new SandboxMatcher({
        matchSelf: true,
        onlyRuntime: left.onlyRuntime,
        leafMessage: left.leafMessage,
        leafWarning: left.leafWarning,
        exclude,
      });
    }
    const access = new Set([...left.access, ...right.access]);
    const use = new Set([...left.use, ...right.use]);
    const children = new Map<string, SandboxMatcher>();
    for (const key of new Set([...left.children.keys(), ...right.children.keys()])) {
      const a = key === "*" ? left.children.get(key) : left.#childFor(key);
      const b = key === "*" ? right.children.get(key) : right.#childFor(key);
      const merged = a && b ? SandboxMatcher.#union(a, b, [...path, key]) : a ?? b;
      if (merged !== undefined) children.set(key, merged);
    }
    const exclude: string[] = [];
    for (const name of new Set([...left.exclude, ...right.exclude])) {
      access.delete(name);
      use.delete(name);
      children.delete(name);
      const leftOutcome = left.#outcome(name);
      const rightOutcome = right.#outcome(name);
      if (leftOutcome === "none" && rightOutcome === "none") {
        exclude.push(name);
        continue;
      }
      // One side excludes the name; the result treats it as the other side does.
      const [outcome, side] = leftOutcome === "none" ? [rightOutcome, right] : [leftOutcome, left];
      if (outcome === "access") access.add(name);
      else if (outcome === "use") {
        use.add(name);
        // Block the excluding side's "*" child, which the other side does not have for this name.
        children.set(name, side.#childFor(name) ?? SandboxMatcher.none);
      } else children.set(name, side.#childFor(name)!);
    }
    return new SandboxMatcher({ access, use, children, exclude, onlyRuntime: left.onlyRuntime });
  }
}
