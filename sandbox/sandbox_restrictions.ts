/**
 * `SandboxRestrictions`: the immutable set of rules a sandboxed runner applies (python-sandbox.md
 * §1.5, §3.1) — which modules come from the host, which modules may not be imported, which members may
 * not be reached, and what to say about imports.
 *
 * @module
 */

import { z } from "zod";
import { frozenSet } from "./_frozen_collections.ts";
import { codedError } from "./coded_error.ts";
import { ALLOWED_RULES, matcherFromRules, RESTRICTED_RULES } from "./default_rules.ts";
import { type DeterminismOptions, DeterminismPolicy } from "./determinism_policy.ts";
import {
  isImportNotificationPolicy,
  SandboxImportNotificationPolicy,
} from "./import_notification_policy.ts";
import { BUILTIN_MODULE_IDS, canonicalModuleId } from "./rule_path.ts";
import { SandboxMatcher } from "./sandbox_matcher.ts";

/**
 * Options of {@link SandboxRestrictions}, the fields of Python's dataclass with JavaScript names.
 *
 * @example
 * ```ts
 * import { SandboxRestrictions, type SandboxRestrictionsOptions } from "./sandbox_restrictions.ts";
 * const options: SandboxRestrictionsOptions = {
 *   passthroughModules: SandboxRestrictions.passthroughModulesDefault,
 *   invalidModules: SandboxRestrictions.default.invalidModules,
 *   invalidModuleMembers: SandboxRestrictions.invalidModuleMembersDefault,
 * };
 * new SandboxRestrictions(options);
 * ```
 */
export interface SandboxRestrictionsOptions {
  /**
   * Modules taken from the host instead of being instantiated per run: built-in ids (`fs` and
   * `node:fs` are one), package names, or file and folder URLs, as the runner resolves them. A package
   * name covers its subpaths.
   */
  readonly passthroughModules: Iterable<string>;
  /** Modules that may not even be imported, matched with `matchAccess(ctx, [canonical id])`. */
  readonly invalidModules: SandboxMatcher;
  /** Members that may not be reached, by rule path (`rule_path.ts`). */
  readonly invalidModuleMembers: SandboxMatcher;
  /**
   * What to say about imports.
   * @default {SandboxImportNotificationPolicy.WARN_ON_DYNAMIC_IMPORT}
   */
  readonly importNotificationPolicy?: SandboxImportNotificationPolicy;
  /**
   * Take every module from the host ("unsafe"); member restrictions still apply.
   * @default {false}
   */
  readonly passthroughAllModules?: boolean;
  /**
   * Which code gets deterministic values instead of refusals (the clock, randomness, time zone
   * and locale), and the environment constants (docs/determinism.md).
   * @default {DeterminismPolicy.default} (strict for the workflow's package, deterministic for others)
   */
  readonly determinism?: DeterminismPolicy;
}

const matcher = z.custom<SandboxMatcher>((value) => value instanceof SandboxMatcher, {
  message: "expected a SandboxMatcher",
});

const OPTIONS = z.object({
  passthroughModules: z.preprocess(
    (value) => (value instanceof Set ? [...value] : value),
    z.array(z.string().min(1, "expected a non-empty module name")),
  ),
  invalidModules: matcher,
  invalidModuleMembers: matcher,
  importNotificationPolicy: z.custom<number>(isImportNotificationPolicy, {
    message: "expected SandboxImportNotificationPolicy flags combined with '|'",
  }).optional(),
  passthroughAllModules: z.boolean().optional(),
  determinism: z.custom<DeterminismPolicy>((value) => value instanceof DeterminismPolicy, {
    message: "expected a DeterminismPolicy (DeterminismPolicy.default.with({ ... }))",
  }).optional(),
}).strict();

/** The `TypeError` of invalid options: the first zod issue as a sentence naming the option. */
function invalidOptions(error: z.ZodError): TypeError {
  const issue = error.issues[0];
  if (issue.code === "unrecognized_keys") {
    return codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `Cannot create SandboxRestrictions as option '${issue.keys[0]}' is unknown`,
      hint: `Use the options of SandboxRestrictionsOptions: ${Object.keys(OPTIONS.shape).map((key) => `'${key}'`).join(", ")}`,
    });
  }
  const field = issue.path.map(String).join(".");
  const message = issue.message.replace(/^Invalid input: /, "");
  const detail = message.charAt(0).toLowerCase() + message.slice(1);
  return codedError(TypeError, {
    code: "WFS_INVALID_OPTION",
    message: field === ""
      ? `Cannot create SandboxRestrictions as its options are invalid: ${detail}`
      : `Cannot create SandboxRestrictions as option '${field}' is invalid: ${detail}`,
    hint: field === ""
      ? "Pass an options object (SandboxRestrictionsOptions), or start from SandboxRestrictions.default.with()"
      : "Pass the value the option expects (SandboxRestrictionsOptions)",
  });
}

/** Passthrough sets this module froze with canonical ids; reused as they are by `with`. */
const CANONICAL_SETS = new WeakSet<ReadonlySet<string>>();

function canonicalSet(modules: Iterable<string>): ReadonlySet<string> {
  if (CANONICAL_SETS.has(modules as ReadonlySet<string>)) return modules as ReadonlySet<string>;
  const set = frozenSet([...modules].map(canonicalModuleId));
  CANONICAL_SETS.add(set);
  return set;
}

/** This package: its module state (the current run) must be the host's, not a copy per run. */
const THIS_PACKAGE = "workflow-sandbox";

/**
 * The immutable restrictions of a sandboxed runner. Every `with…` method returns a new instance.
 * Python's `disable_lazy_sys_module_passthrough` has no counterpart: there is no `sys.modules` here.
 *
 * @example
 * ```ts
 * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
 * const restrictions = SandboxRestrictions.default
 *   .withPassthroughModules("zod", "lodash-es")
 *   .with({
 *     invalidModuleMembers: SandboxRestrictions.invalidModuleMembersDefault.withChildUnrestricted(
 *       "globalThis", "Math", "random",
 *     ),
 *   });
 * ```
 */
export class SandboxRestrictions {
  /** Modules taken from the host (canonical ids for built-ins). */
  readonly passthroughModules: ReadonlySet<string>;
  /** Modules that may not be imported. */
  readonly invalidModules: SandboxMatcher;
  /** Members that may not be reached. */
  readonly invalidModuleMembers: SandboxMatcher;
  /** What to say about imports. */
  readonly importNotificationPolicy: SandboxImportNotificationPolicy;
  /** Whether every module is taken from the host. */
  readonly passthroughAllModules: boolean;
  /** Which code gets deterministic values, and the environment constants. */
  readonly determinism: DeterminismPolicy;

  /**
   * The least the sandbox works with: this package. A per-run copy of `workflow-sandbox` would have its
   * own current-run slot, so `workflow.*` calls could not find their run (Python's minimum keeps its
   * native bridge for the same kind of reason: PyO3 state cannot be re-initialised). Built-ins are not
   * listed: they are host singletons that cannot be instantiated per run, and leaving them out only
   * means importing one is not *intentional* passthrough, which the notification policy reports.
   *
   * @example
   * ```ts
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * [...SandboxRestrictions.passthroughModulesMinimum]; // ["workflow-sandbox"]
   * ```
   */
  static readonly passthroughModulesMinimum: ReadonlySet<string> = canonicalSet([THIS_PACKAGE]);

  /**
   * The default passthrough set: every built-in module of the running runtime (canonical ids, so
   * `node:fs` and `fs` are one; prefix-only built-ins keep `node:`) plus this package. Like Python's
   * default (its whole standard library), built-ins are shared with the host; their members are still
   * restricted by `invalidModuleMembers`.
   *
   * @example
   * ```ts
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * SandboxRestrictions.passthroughModulesDefault.has("fs"); // true
   * SandboxRestrictions.passthroughModulesDefault.has("node:sqlite"); // true
   * ```
   */
  static readonly passthroughModulesDefault: ReadonlySet<string> = canonicalSet([
    ...BUILTIN_MODULE_IDS,
    THIS_PACKAGE,
  ]);

  /**
   * The default member restrictions, built from `default_rules.ts`.
   *
   * @example
   * ```ts
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * SandboxRestrictions.invalidModuleMembersDefault.matchAccess(
   *   { isRuntime: true },
   *   ["globalThis", "Math", "random", "__call__"],
   * ); // true
   * ```
   */
  static readonly invalidModuleMembersDefault: SandboxMatcher = matcherFromRules(
    RESTRICTED_RULES,
    ALLOWED_RULES,
  );

  /**
   * Default passthrough modules, no invalid modules, default member restrictions, and
   * `WARN_ON_DYNAMIC_IMPORT`.
   *
   * @example
   * ```ts
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * SandboxRestrictions.default.passthroughAllModules; // false
   * ```
   */
  static readonly default: SandboxRestrictions = new SandboxRestrictions({
    passthroughModules: SandboxRestrictions.passthroughModulesDefault,
    invalidModules: SandboxMatcher.none,
    invalidModuleMembers: SandboxRestrictions.invalidModuleMembersDefault,
  });

  /**
   * Creates frozen restrictions. Invalid options throw a `TypeError` naming the option.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * const strict = new SandboxRestrictions({
   *   passthroughModules: SandboxRestrictions.passthroughModulesMinimum,
   *   invalidModules: new SandboxMatcher({ access: ["child_process"] }),
   *   invalidModuleMembers: SandboxRestrictions.invalidModuleMembersDefault,
   * });
   * ```
   */
  constructor(options: SandboxRestrictionsOptions) {
    const parsed = OPTIONS.safeParse(options);
    if (!parsed.success) throw invalidOptions(parsed.error);
    this.passthroughModules = canonicalSet(options.passthroughModules);
    this.invalidModules = options.invalidModules;
    this.invalidModuleMembers = options.invalidModuleMembers;
    this.importNotificationPolicy = options.importNotificationPolicy ??
      SandboxImportNotificationPolicy.WARN_ON_DYNAMIC_IMPORT;
    this.passthroughAllModules = options.passthroughAllModules ?? false;
    this.determinism = options.determinism ?? DeterminismPolicy.default;
    Object.freeze(this);
  }

  /**
   * A copy with some fields replaced (Python's `dataclasses.replace`), validated like the constructor.
   *
   * @example
   * ```ts
   * import { SandboxMatcher } from "./sandbox_matcher.ts";
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * const noChildProcess = SandboxRestrictions.default.with({
   *   invalidModules: new SandboxMatcher({ access: ["child_process"] }),
   * });
   * ```
   */
  with(fields: Partial<SandboxRestrictionsOptions>): SandboxRestrictions {
    return new SandboxRestrictions({
      passthroughModules: this.passthroughModules,
      invalidModules: this.invalidModules,
      invalidModuleMembers: this.invalidModuleMembers,
      importNotificationPolicy: this.importNotificationPolicy,
      passthroughAllModules: this.passthroughAllModules,
      determinism: this.determinism,
      ...fields,
    });
  }

  /**
   * A copy whose determinism policy has some options replaced (docs/determinism.md).
   *
   * @example
   * ```ts
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * // strict for all code, as before deterministic mode existed
   * SandboxRestrictions.default.withDeterminism({ otherPackages: "strict" });
   * // a constant of process.env, and another time zone for deterministic packages
   * SandboxRestrictions.default.withDeterminism({ environment: { REGION: "eu" }, timeZone: "Europe/Paris" });
   * ```
   */
  withDeterminism(options: DeterminismOptions): SandboxRestrictions {
    return this.with({ determinism: this.determinism.with(options) });
  }

  /**
   * A copy whose passthrough set also holds `modules` (a set union).
   *
   * @example
   * ```ts
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * SandboxRestrictions.default.withPassthroughModules("zod").passthroughModules.has("zod"); // true
   * ```
   */
  withPassthroughModules(...modules: string[]): SandboxRestrictions {
    return this.with({ passthroughModules: [...this.passthroughModules, ...modules] });
  }

  /**
   * A copy that takes every module from the host ("unsafe"): no module is instantiated per run, so
   * module state is shared by all runs. Member restrictions still apply.
   *
   * @example
   * ```ts
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * SandboxRestrictions.default.withPassthroughAllModules().passthroughAllModules; // true
   * ```
   */
  withPassthroughAllModules(): SandboxRestrictions {
    return this.with({ passthroughAllModules: true });
  }

  /**
   * A copy with another import notification policy.
   *
   * @example
   * ```ts
   * import { SandboxImportNotificationPolicy as Policy } from "./import_notification_policy.ts";
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * SandboxRestrictions.default.withImportNotificationPolicy(
   *   Policy.WARN_ON_DYNAMIC_IMPORT | Policy.RAISE_ON_UNINTENTIONAL_PASSTHROUGH,
   * );
   * ```
   */
  withImportNotificationPolicy(policy: SandboxImportNotificationPolicy): SandboxRestrictions {
    return this.with({ importNotificationPolicy: policy });
  }
}
