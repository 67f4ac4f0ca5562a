/**
 * `DeterminismPolicy`: what a runner does when code reaches a non-deterministic source (the clock,
 * randomness, the time zone and locale, the environment) — refuse it (`"strict"`, today's
 * `RestrictedWorkflowAccessError`) or give a deterministic value (`"deterministic"`, as Temporal's
 * TypeScript SDK does for every module) — per package and per rule, and the constants that
 * deterministic values are made from (time zone, locale, environment). The default is strict for
 * the workflow's own package and deterministic for every other package (docs/determinism.md).
 *
 * @module
 */

import { z } from "zod";
import { codedError } from "./coded_error.ts";
import {
  DETERMINISM_SOURCES,
  type DeterminismSource,
  SUBSTITUTION_RULES,
  type SubstitutionRule,
  substitutionName,
} from "./deterministic_rules.ts";

/**
 * How code of a package meets a non-deterministic source:
 * - `"strict"`: it is refused with `RestrictedWorkflowAccessError` (or warned about, for the time
 *   zone and locale), so the mistake shows where it was made;
 * - `"deterministic"`: the package gets a deterministic value (workflow time, its seeded stream,
 *   the worker's time zone and locale, the declared environment), the same on every replay.
 *
 * @example
 * ```ts
 * import type { DeterminismMode } from "./determinism_policy.ts";
 * const mode: DeterminismMode = "deterministic";
 * ```
 */
export type DeterminismMode = "strict" | "deterministic";

/**
 * Which package a module belongs to: its package.json `name` (`undefined` without a named
 * package.json) and whether that is the workflow's own package.
 *
 * @example
 * ```ts
 * import type { PackageIdentity } from "./determinism_policy.ts";
 * const lodash: PackageIdentity = { name: "lodash", workflow: false };
 * ```
 */
export interface PackageIdentity {
  readonly name: string | undefined;
  readonly workflow: boolean;
}

/** A package's mode, or its mode and per-rule modes. */
export type PackageDeterminism = DeterminismMode | {
  /** The package's mode, for rules `rules` does not name. @default the mode of other packages */
  readonly mode?: DeterminismMode;
  /** Per rule: a source (`"random"`) or a substitution (`"globalThis.Math.random"`). */
  readonly rules?: Readonly<Record<string, DeterminismMode>>;
};

/**
 * Options of {@link DeterminismPolicy}.
 *
 * @example
 * ```ts
 * import type { DeterminismOptions } from "./determinism_policy.ts";
 * const options: DeterminismOptions = {
 *   byPackage: { "my-utils": "deterministic", "lodash": { rules: { random: "strict" } } },
 *   timeZone: "Europe/Paris",
 *   environment: { FEATURE_FLAGS: "checkout-v2" },
 * };
 * ```
 */
export interface DeterminismOptions {
  /**
   * The mode of the workflow's own package: the package.json `name` nearest the module that
   * defines the workflow (modules without a named package.json count as the workflow's).
   * @default "strict"
   */
  readonly workflowPackage?: DeterminismMode;
  /**
   * The mode of every other package (another package.json `name`, however it was reached:
   * node_modules, Deno's npm cache, a workspace link).
   * @default "deterministic"
   */
  readonly otherPackages?: DeterminismMode;
  /** Per package name: its mode, or its mode and per-rule modes. Wins over `byRule`. @default {} */
  readonly byPackage?: Readonly<Record<string, PackageDeterminism>>;
  /**
   * Per rule, for every package (the workflow's too): a source (`"clock"`, `"random"`, `"locale"`,
   * `"environment"`) or a substitution by name (`"globalThis.Math.random"`, `"crypto.randomBytes"`;
   * sandbox/deterministic_rules.ts). A substitution's entry wins over its source's.
   * @default {}
   */
  readonly byRule?: Readonly<Record<string, DeterminismMode>>;
  /**
   * The time zone of local-time methods, `Date` strings without an offset and `Intl` defaults in
   * deterministic mode (an IANA name).
   * @default "UTC"
   */
  readonly timeZone?: string;
  /**
   * The default locale of `Intl` and `toLocaleString` in deterministic mode (a BCP 47 tag).
   * @default "en-US"
   */
  readonly locale?: string;
  /**
   * `process.env.NODE_ENV`, a constant for every run in both modes. "development" is what Temporal's
   * webpack bundle gives (`mode: "development"`), so libraries take the same branches as there.
   * @default "development"
   */
  readonly nodeEnv?: string;
  /**
   * Further `process.env` names, constants for every run in both modes (the same on replay). Any
   * other name reads as `undefined` in deterministic mode and is refused in strict mode.
   * @default {}
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * The time every deterministic clock reads while a runner validates a workflow (`prepare`, which
 * `Worker.create` runs before any workflow exists), and when an engine passes no time:
 * 2000-01-01T00:00:00.000Z.
 *
 * @example
 * ```ts
 * import { VALIDATION_TIME } from "./determinism_policy.ts";
 * new Date(VALIDATION_TIME).toISOString(); // "2000-01-01T00:00:00.000Z"
 * ```
 */
export const VALIDATION_TIME = 946_684_800_000;

/**
 * The seed of every package's stream while a runner validates a workflow, and when an engine
 * passes no seed.
 *
 * @example
 * ```ts
 * import { VALIDATION_SEED } from "./determinism_policy.ts";
 * VALIDATION_SEED; // "workflow-sandbox:validation"
 * ```
 */
export const VALIDATION_SEED = "workflow-sandbox:validation";

/**
 * The default of `process.env.NODE_ENV`: Temporal's webpack bundle is built with `mode:
 * "development"`, so a workflow moved from Temporal's worker sees the same library branches
 * (immer's checks and readable errors, React's development build).
 */
export const DEFAULT_NODE_ENV = "development";

const MODE = z.enum(["strict", "deterministic"]);
const RULE_KEYS: readonly string[] = [...DETERMINISM_SOURCES, ...new Set(SUBSTITUTION_RULES.map(substitutionName))];
const RULES = z.record(z.string(), MODE).superRefine((rules, context) => {
  for (const key of Object.keys(rules)) {
    if (!RULE_KEYS.includes(key)) {
      context.addIssue({ code: "custom", path: [key], message: `unknown rule '${key}': use a source (${DETERMINISM_SOURCES.join(", ")}) or a substitution of sandbox/deterministic_rules.ts (${RULE_KEYS.slice(DETERMINISM_SOURCES.length).join(", ")})` });
    }
  }
});
const OPTIONS = z.object({
  workflowPackage: MODE.optional(),
  otherPackages: MODE.optional(),
  byPackage: z.record(z.string(), z.union([MODE, z.object({ mode: MODE.optional(), rules: RULES.optional() }).strict()])).optional(),
  byRule: RULES.optional(),
  timeZone: z.string().refine(isTimeZone, "expected an IANA time zone name such as 'UTC' or 'Europe/Paris'").optional(),
  locale: z.string().refine(isLocale, "expected a BCP 47 locale such as 'en-US'").optional(),
  nodeEnv: z.string().optional(),
  environment: z.record(z.string(), z.string()).optional(),
}).strict();

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

function isLocale(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

function invalid(error: z.ZodError): TypeError {
  const issue = error.issues[0];
  if (issue.code === "unrecognized_keys") {
    return codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `Cannot create a DeterminismPolicy as option '${issue.keys[0]}' is unknown`,
      hint: `Use the options of DeterminismOptions: ${Object.keys(OPTIONS.shape).map((key) => `'${key}'`).join(", ")}`,
    });
  }
  const field = issue.path.map(String).join(".");
  return codedError(TypeError, {
    code: "WFS_INVALID_OPTION",
    message: `Cannot create a DeterminismPolicy as option '${field}' is invalid: ${issue.message.replace(/^Invalid input: /, "")}`,
    hint: "Pass the value the option expects (DeterminismOptions, docs/determinism.md)",
  });
}

/**
 * A runner's determinism policy: immutable, built from {@link DeterminismOptions}.
 *
 * @example
 * ```ts
 * import { DeterminismPolicy } from "./determinism_policy.ts";
 * const policy = DeterminismPolicy.default.with({ byPackage: { lodash: "strict" } });
 * policy.modeOf({ name: "lodash", workflow: false }, "globalThis.Math.random", "random"); // "strict"
 * policy.modeOf({ name: "dayjs", workflow: false }, "globalThis.Date.now", "clock"); // "deterministic"
 * ```
 */
export class DeterminismPolicy {
  /** Strict for the workflow's package, deterministic for the others, UTC, en-US, NODE_ENV "development". */
  static readonly default: DeterminismPolicy = new DeterminismPolicy({});

  readonly workflowPackage: DeterminismMode;
  readonly otherPackages: DeterminismMode;
  readonly byPackage: Readonly<Record<string, PackageDeterminism>>;
  readonly byRule: Readonly<Record<string, DeterminismMode>>;
  readonly timeZone: string;
  readonly locale: string;
  readonly nodeEnv: string;
  /** Every constant of `process.env`: `NODE_ENV` and the declared names. */
  readonly environment: Readonly<Record<string, string>>;
  readonly #options: DeterminismOptions;

  /**
   * Creates a policy. Invalid options throw a `TypeError` naming the option (`WFS_INVALID_OPTION`).
   *
   * @example
   * ```ts
   * import { DeterminismPolicy } from "./determinism_policy.ts";
   * new DeterminismPolicy({ otherPackages: "strict" }); // strict for all code
   * ```
   */
  constructor(options: DeterminismOptions) {
    const parsed = OPTIONS.safeParse(options);
    if (!parsed.success) throw invalid(parsed.error);
    this.#options = Object.freeze({ ...options });
    this.workflowPackage = options.workflowPackage ?? "strict";
    this.otherPackages = options.otherPackages ?? "deterministic";
    this.byPackage = Object.freeze({ ...options.byPackage });
    this.byRule = Object.freeze({ ...options.byRule });
    this.timeZone = options.timeZone ?? "UTC";
    this.locale = options.locale ?? "en-US";
    this.nodeEnv = options.nodeEnv ?? DEFAULT_NODE_ENV;
    this.environment = Object.freeze({ NODE_ENV: this.nodeEnv, ...options.environment });
    Object.freeze(this);
  }

  /**
   * A copy with some options replaced (objects such as `byPackage` are replaced, not merged).
   *
   * @example
   * ```ts
   * import { DeterminismPolicy } from "./determinism_policy.ts";
   * DeterminismPolicy.default.with({ timeZone: "Asia/Tokyo" }).timeZone; // "Asia/Tokyo"
   * ```
   */
  with(options: DeterminismOptions): DeterminismPolicy {
    return new DeterminismPolicy({ ...this.#options, ...options });
  }

  /**
   * The mode of one substitution for a package: the package's rule for the substitution, then for
   * its source, then `byRule` (substitution, then source), then the package's mode
   * (`byPackage`, else `workflowPackage` or `otherPackages`).
   *
   * @example
   * ```ts
   * import { DeterminismPolicy } from "./determinism_policy.ts";
   * DeterminismPolicy.default.modeOf({ name: "my-app", workflow: true }, "globalThis.Date.now", "clock"); // "strict"
   * ```
   */
  modeOf(pkg: PackageIdentity, substitution: string, source: DeterminismSource): DeterminismMode {
    const entry = pkg.name === undefined || !hasOwn(this.byPackage, pkg.name) ? undefined : this.byPackage[pkg.name];
    const rules = typeof entry === "object" ? entry.rules : undefined;
    return rules?.[substitution] ?? rules?.[source] ?? this.byRule[substitution] ?? this.byRule[source] ??
      (typeof entry === "string" ? entry : entry?.mode) ??
      (pkg.workflow ? this.workflowPackage : this.otherPackages);
  }

  /**
   * The substitutions a package's modules get (its rules in deterministic mode), in table order,
   * limited to `sources`.
   *
   * @example
   * ```ts
   * import { DeterminismPolicy } from "./determinism_policy.ts";
   * DeterminismPolicy.default.substitutionsOf({ name: "lodash", workflow: false }).length > 0; // true
   * DeterminismPolicy.default.substitutionsOf({ name: "my-app", workflow: true }).length; // 0
   * ```
   */
  substitutionsOf(pkg: PackageIdentity, sources: ReadonlySet<DeterminismSource> = ALL_SOURCES): SubstitutionRule[] {
    return SUBSTITUTION_RULES.filter((rule) =>
      sources.has(rule.source) && this.modeOf(pkg, substitutionName(rule), rule.source) === "deterministic"
    );
  }
}

const { hasOwn } = Object;
const ALL_SOURCES: ReadonlySet<DeterminismSource> = new Set(DETERMINISM_SOURCES);
