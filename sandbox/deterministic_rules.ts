/**
 * The substitution table of deterministic mode, as data: one row per value a package in
 * deterministic mode gets instead of the host's, with the source it stands for, the restriction
 * rules it answers and what the package gets. The values are made by
 * sandbox/deterministic_values.ts; which package gets which rows is the runner's
 * `DeterminismPolicy` (docs/determinism.md). Adding a substitution means adding a row here and its
 * maker there; `tests/determinism_test.ts` checks that both agree and that every rule a row names
 * exists.
 *
 * What no row covers stays restricted in both modes: I/O, host timers, threads, `WeakRef` and
 * `FinalizationRegistry`, `crypto.subtle`, key generation, `Temporal.Now`, and the environment other
 * than its declared constants.
 *
 * @module
 */

import { INTL_CONSTRUCTORS, RESTRICTED_RULES, type RuleKind } from "./default_rules.ts";
import { GLOBAL_ROOT, qualifiedName, type RulePath } from "./rule_path.ts";

/**
 * What a substitution stands for. Each is reported once per package and runner when the package
 * first receives it, and each can be set per rule (`DeterminismOptions.byRule`).
 * - `"clock"`: the host clock; the package reads the workflow clock instead.
 * - `"random"`: the host's random source; the package draws from its own seeded stream.
 * - `"locale"`: the host's time zone and default locale; the package gets the worker's fixed ones.
 * - `"environment"`: `process.env`; the package reads the declared constants, and `undefined` for
 *   any other name. In strict mode the constants are read too, and any other name is refused.
 *
 * @example
 * ```ts
 * import type { DeterminismSource } from "./deterministic_rules.ts";
 * const source: DeterminismSource = "clock";
 * ```
 */
export type DeterminismSource = "clock" | "random" | "locale" | "environment";

/**
 * Every source, in the order reports and documentation list them.
 *
 * @example
 * ```ts
 * import { DETERMINISM_SOURCES } from "./deterministic_rules.ts";
 * DETERMINISM_SOURCES.includes("random"); // true
 * ```
 */
export const DETERMINISM_SOURCES: readonly DeterminismSource[] = Object.freeze(["clock", "random", "locale", "environment"]);

/**
 * One substitution.
 *
 * @example
 * ```ts
 * import type { SubstitutionRule } from "./deterministic_rules.ts";
 * const row: SubstitutionRule = {
 *   path: ["globalThis", "Math", "random"],
 *   source: "random",
 *   replaces: ["globalThis.Math.random.__call__"],
 *   gives: "numbers from the package's seeded stream",
 * };
 * ```
 */
export interface SubstitutionRule {
  /** Where the package's value replaces the host's (a rule path without an operation). */
  readonly path: RulePath;
  readonly source: DeterminismSource;
  /** The restriction rules (qualified names) that this value answers in deterministic mode. */
  readonly replaces: readonly string[];
  /** What the package gets, completing "the package gets ...". */
  readonly gives: string;
}

const G = GLOBAL_ROOT;

function startsWith(path: RulePath, prefix: RulePath): boolean {
  return prefix.every((name, i) => path[i] === name);
}

/** The enforced default rules under `prefix`, of the given kinds. */
function rulesUnder(prefix: RulePath, kinds?: readonly RuleKind[]): string[] {
  return RESTRICTED_RULES
    .filter((rule) => rule.limit === undefined && startsWith(rule.path, prefix) && (kinds === undefined || kinds.includes(rule.kind)))
    .map((rule) => qualifiedName(rule.path));
}

function row(path: RulePath, source: DeterminismSource, replaces: readonly string[], gives: string): SubstitutionRule {
  return Object.freeze({ path: Object.freeze([...path]), source, replaces: Object.freeze([...replaces]), gives });
}

const WORKFLOW_TIME = "the workflow clock: the time of the current activation, as workflow.now()";
const STREAM = "values from the package's own stream, seeded from the run's seed and the package's name";
const FIXED_LOCALE = "the worker's fixed locale (and, for DateTimeFormat, its fixed time zone) as the default";
const CONSTANTS = "the declared constants (NODE_ENV and the names of DeterminismOptions.environment), and " +
  "undefined for any other name";

/** node:crypto's functions that draw from the host's random source, and what each gives. */
const CRYPTO_RANDOM = ["randomBytes", "randomFill", "randomFillSync", "randomInt", "getRandomValues", "pseudoRandomBytes",
  "prng", "rng", "randomUUID"];

/**
 * Every substitution, one row per value.
 *
 * @example
 * ```ts
 * import { SUBSTITUTION_RULES } from "./deterministic_rules.ts";
 * SUBSTITUTION_RULES.find((rule) => rule.path.join(".") === "globalThis.Math.random")?.source; // "random"
 * ```
 */
export const SUBSTITUTION_RULES: readonly SubstitutionRule[] = Object.freeze([
  // --- Clock ----------------------------------------------------------------------------------------
  row([G, "Date", "now"], "clock", rulesUnder([G, "Date"], ["call", "new"]),
    `${WORKFLOW_TIME}, for Date.now(), new Date() and Date()`),
  row([G, "performance", "now"], "clock", rulesUnder([G, "performance", "now"]),
    "the workflow clock in milliseconds (performance.timeOrigin is 0)"),
  row([G, "performance", "timeOrigin"], "clock", rulesUnder([G, "performance", "timeOrigin"]), "0"),
  row([G, "process", "hrtime"], "clock", rulesUnder([G, "process", "hrtime"]),
    "the workflow clock, as process.hrtime() and process.hrtime.bigint() count it"),
  row(["process", "hrtime"], "clock", rulesUnder(["process", "hrtime"]),
    "the workflow clock, as process.hrtime() and process.hrtime.bigint() count it"),
  // --- Randomness -----------------------------------------------------------------------------------
  row([G, "Math", "random"], "random", rulesUnder([G, "Math", "random"]), STREAM),
  row([G, "crypto", "getRandomValues"], "random", rulesUnder([G, "crypto", "getRandomValues"]), STREAM),
  row([G, "crypto", "randomUUID"], "random", rulesUnder([G, "crypto", "randomUUID"]), "version 4 UUIDs drawn from the package's own seeded stream"),
  ...CRYPTO_RANDOM.map((name) => row(["crypto", name], "random", rulesUnder(["crypto", name]), STREAM)),
  row(["crypto", "webcrypto"], "random", rulesUnder(["crypto", "webcrypto"]),
    "globalThis.crypto as the package sees it: getRandomValues and randomUUID draw from its stream, subtle stays restricted"),
  // --- Time zone and locale -------------------------------------------------------------------------
  row([G, "Date", "prototype"], "locale", rulesUnder([G, "Date"], ["warn"]),
    "the worker's fixed time zone and locale for local-time fields, date strings without an offset and toLocaleString"),
  ...INTL_CONSTRUCTORS.map((name) => row([G, "Intl", name], "locale", rulesUnder([G, "Intl", name]), FIXED_LOCALE)),
  // --- Environment ----------------------------------------------------------------------------------
  row([G, "process", "env"], "environment", rulesUnder([G, "process", "env"]), CONSTANTS),
  row(["process", "env"], "environment", rulesUnder(["process", "env"]), CONSTANTS),
]);

/**
 * The qualified name of a row, as `DeterminismOptions.byRule` and reports name it
 * (`globalThis.Math.random`).
 *
 * @example
 * ```ts
 * import { SUBSTITUTION_RULES, substitutionName } from "./deterministic_rules.ts";
 * substitutionName(SUBSTITUTION_RULES[0]); // "globalThis.Date.now"
 * ```
 */
export function substitutionName(rule: SubstitutionRule): string {
  return qualifiedName(rule.path);
}
