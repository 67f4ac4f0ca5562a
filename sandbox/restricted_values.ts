/**
 * Restricted values: apply a `SandboxMatcher` to the values workflow code can reach, without wrapping
 * values that have internal slots or private fields (python-sandbox.md §2.4 wraps everything in
 * proxies, which break `isinstance`, hashing and subclassing: sdk-python#207, #301, #638).
 *
 * How each kind of value is restricted:
 * - A function or constructor (`Date`, `Intl.DateTimeFormat`, `setTimeout`) becomes a `Proxy` of itself
 *   whose `apply` and `construct` traps check `__call__` / `__new__` and their argument forms, and whose
 *   `get` trap checks static members. `instanceof`, subclassing and unrestricted statics (`Date.UTC`)
 *   keep working; writes to it throw, since the host object is shared by every run.
 * - A constructor with rules on its prototype methods (`Date.prototype.getHours`) gives the instances
 *   it creates a per-run prototype that inherits from the real one, so they are real `Date`s (JSON,
 *   `structuredClone` and brand checks work) whose restricted methods report.
 * - A namespace whose restricted members are plain data (`Math`, `Intl`, `node:path`, `node:crypto`)
 *   becomes a plain per-run copy with the same keys: unrestricted members are the raw values by
 *   identity and restricted ones are replaced. The copy is a spread of a per-process template plus one
 *   `Proxy` per restricted member.
 * - Any other object (a wildcard rule such as `process` or `node:fs`, getters such as
 *   `require("node:crypto").subtle`, a host class instance such as `crypto` or `performance`) becomes a
 *   view: a `Proxy` that checks each member as it is read and gives host methods their host `this`.
 * - Call results are never wrapped: `new Date(0)`, a `Map`, a `Promise` are the real thing.
 *
 * Checks happen when the value is used, against the run's {@link RestrictionContext}: a rule applies
 * when `isRuntime` matches it and the run is not inside `sandboxUnrestricted()`. Every hit is reported,
 * even when the caller catches the error.
 *
 * Substitutes (deterministic mode, docs/determinism.md): a run's restrictions may carry
 * {@link Substitutes}, values that replace the host's at given paths (`Math.random`, `process.env`,
 * `node:crypto`'s `randomBytes`). A member with a substitute is neither checked nor restricted: it is
 * the substitute's value, made once per run (`Substitute.make`), in views, copies and properties alike.
 *
 * Known limits: a class's `prototype` must be the real one (a Proxy invariant), so
 * `Date.prototype.getHours.call(date)` and host-made dates (`new Date()` in a passthrough module)
 * skip the warnings of the run's dates; subclass instances do too.
 *
 * @module
 */

import { codedError } from "./coded_error.ts";
import { ARGUMENT_FORMS, findDefaultRule } from "./default_rules.ts";
import { RestrictedWorkflowAccessError, type RestrictedWorkflowAccessErrorOptions } from "./errors.ts";
import { CALL, canonicalModuleId, isBuiltinModule, NEW, qualifiedName, type RulePath } from "./rule_path.ts";
import type { SandboxMatcher } from "./sandbox_matcher.ts";
import { Stamp } from "./per_run_global.ts";

// Captured before any workflow code runs: the traps below run while guest code may have replaced
// `Reflect` or `Object` members of the host (SES commons.js does the same for every intrinsic).
const {
  apply: reflectApply,
  construct: reflectConstruct,
  get: reflectGet,
  getOwnPropertyDescriptor: reflectGetOwnPropertyDescriptor,
  has: reflectHas,
  ownKeys: reflectOwnKeys,
  set: reflectSet,
} = Reflect;
const {
  create: objectCreate,
  defineProperty: objectDefineProperty,
  freeze: objectFreeze,
  fromEntries: objectFromEntries,
  getPrototypeOf: objectGetPrototypeOf,
  hasOwn: objectHasOwn,
  prototype: objectPrototype,
} = Object;

/**
 * One restriction hit, as passed to {@link RestrictionContext.report}.
 *
 * @example
 * ```ts
 * import type { RestrictionHit } from "./restricted_values.ts";
 * const log = (hit: RestrictionHit) => console.warn(`${hit.qualifiedName} restricted by ${hit.rule}`);
 * ```
 */
export interface RestrictionHit {
  /** What was reached, as a qualified rule path (`globalThis.Date.now.__call__`). */
  readonly qualifiedName: string;
  /** The rule that matched (`globalThis.Date.now.__call__`, `fs.*`). */
  readonly rule: string;
  /** `true` for a warning rule: the call went on. */
  readonly warning: boolean;
  /** The error thrown to workflow code (not for warnings). */
  readonly error?: Error;
  /** The error message, or the warning text. */
  readonly message: string;
  /** The warning category (a matcher's `leafWarning`). */
  readonly category?: string;
  /** Workflow source position, `file:line:col`, when known. */
  readonly location?: string;
}

/**
 * What a {@link Substitute} may ask of the run's restrictions while it makes its value.
 *
 * @example
 * ```ts
 * import type { SubstituteHelpers } from "./restricted_values.ts";
 * const readEnv = (helpers: SubstituteHelpers, name: string) => helpers.enforce(["process", "env", name]);
 * ```
 */
export interface SubstituteHelpers {
  /** The run's restricted form of `value` at `path` (a view, a copy, or `value` itself). */
  restrict(path: RulePath, value: unknown): unknown;
  /** Checks a read of `path` as the rules say (throws or reports), as if no substitute existed. */
  enforce(path: RulePath): void;
}

/**
 * A value that replaces the host's at a path, made for one run's restrictions.
 *
 * @example
 * ```ts
 * import type { Substitute } from "./restricted_values.ts";
 * const zero: Substitute = { make: () => () => 0 }; // a Math.random that always answers 0
 * ```
 */
export interface Substitute {
  /** Makes the value; `raw` is the host's value at the path. Called once per run's restrictions. */
  make(ctx: RestrictionContext, raw: unknown, helpers: SubstituteHelpers): unknown;
}

/**
 * The substitutes of a run's restrictions, by path. Plans are computed once per process for each
 * pair of a root matcher and a `Substitutes` object, so reuse the object.
 *
 * @example
 * ```ts
 * import type { Substitute, Substitutes } from "./restricted_values.ts";
 * const random: Substitute = { make: () => () => 0.5 };
 * const substitutes: Substitutes = {
 *   at: (path) => (path.join(".") === "globalThis.Math.random" ? random : undefined),
 *   below: (path) => "globalThis.Math.random".startsWith(path.join(".")),
 * };
 * ```
 */
export interface Substitutes {
  /** The substitute at exactly `path`. */
  at(path: RulePath): Substitute | undefined;
  /** Whether a substitute exists at `path` or below it. */
  below(path: RulePath): boolean;
}

/**
 * What the sandbox core passes for one run.
 *
 * @example
 * ```ts
 * import type { RestrictionContext } from "./restricted_values.ts";
 * const ctx: RestrictionContext = {
 *   isRuntime: true,
 *   unrestricted: false,
 *   report: (hit) => console.warn(hit.message),
 *   locate: () => undefined,
 * };
 * ```
 */
export interface RestrictionContext {
  /** `false` while modules are being imported. */
  readonly isRuntime: boolean;
  /** `true` inside `workflow.unsafe.sandboxUnrestricted()`. */
  readonly unrestricted: boolean;
  /** Receives every hit, before the error is thrown. */
  report(hit: RestrictionHit): void;
  /** Workflow `file:line:col` of the current call. */
  locate(): string | undefined;
}

// ---------------------------------------------------------------------------------------------------
// Per-process plans: what the matcher says about each path, computed once.

/** A matched rule, ready to report. */
interface Decision {
  readonly rule: string;
  readonly warning: boolean;
  readonly category: string | undefined;
  readonly leafMessage: string | undefined;
  readonly reason: string | undefined;
  readonly hint: string | undefined;
}

/** The decision at import time and at run time; absent when neither matches. */
interface Check {
  readonly atImport: Decision | undefined;
  readonly atRuntime: Decision | undefined;
}

interface MemberPlan {
  readonly name: string;
  /** Reading the member is restricted (at import time, run time, or both). */
  readonly check: Check | undefined;
  /** The member's value is restricted below. */
  readonly child: ValuePlan | undefined;
  /** The member is replaced by this substitute's value (no check, no child). */
  readonly substitute?: Substitute;
}

interface FormPlan {
  readonly name: string;
  readonly test: (args: readonly unknown[]) => boolean;
  readonly check: Check;
}

interface OperationPlan {
  readonly name: string;
  readonly check: Check | undefined;
  readonly forms: readonly FormPlan[];
  readonly active: boolean;
}

/**
 * How to restrict one raw object for a run (per process): a plain copy when every restricted member is
 * a data property, a view (a checking Proxy) otherwise.
 */
interface ObjectTemplate {
  /** Check members on read instead of copying (the object has accessors or host class methods). */
  readonly view: boolean;
  /** Data members: raw values, and `undefined` where a restricted value is assigned per run. */
  readonly entries: Record<PropertyKey, unknown>;
  readonly restricted: readonly RestrictedMember[];
}

interface RestrictedMember {
  readonly key: string;
  /** The plan of the member's value, or `undefined` for a substitute. */
  readonly child: ValuePlan | undefined;
  readonly substitute: Substitute | undefined;
  readonly rawValue: unknown;
}

/** A callable Proxy and a plain object: the kinds of values a restricted field holds. */
const FIELD_WARMUP: readonly unknown[] = [new Proxy(function () {}, {}), {}];

const IMPORT_TIME = objectFreeze({ isRuntime: false });
const RUN_TIME = objectFreeze({ isRuntime: true });
const RAW_MEMBER: MemberPlan = objectFreeze({ name: "", check: undefined, child: undefined });

function toDecision(root: SandboxMatcher, path: RulePath, runtime: boolean): Decision | undefined {
  const restriction = root.restrictionOf(runtime ? RUN_TIME : IMPORT_TIME, path);
  if (restriction === undefined) return undefined;
  const rule = findDefaultRule(restriction.location);
  return objectFreeze({
    rule: qualifiedName(rule?.path ?? restriction.location),
    warning: restriction.matcher.leafWarning !== undefined,
    category: restriction.matcher.leafWarning,
    leafMessage: restriction.matcher.leafMessage,
    reason: rule?.reason,
    hint: rule?.hint,
  });
}

function toCheck(root: SandboxMatcher, path: RulePath): Check | undefined {
  const atImport = toDecision(root, path, false);
  const atRuntime = toDecision(root, path, true);
  return atImport === undefined && atRuntime === undefined ? undefined : { atImport, atRuntime };
}

/** Whether most members of the value are restricted, so checking on read beats copying. */
function isWildcard(matcher: SandboxMatcher): boolean {
  return matcher.matchSelf || matcher.access.has("*") || matcher.use.has("*") || matcher.children.has("*");
}

const NOTHING = new WeakMap<SandboxMatcher, boolean>();

/** Whether no path below `matcher` can match (an empty matcher, as `withChildUnrestricted` leaves). */
function restrictsNothing(matcher: SandboxMatcher): boolean {
  let nothing = NOTHING.get(matcher);
  if (nothing === undefined) {
    nothing = !matcher.matchSelf && matcher.access.size === 0 && matcher.use.size === 0 &&
      [...matcher.children.values()].every(restrictsNothing);
    NOTHING.set(matcher, nothing);
  }
  return nothing;
}

/** A node of the plan cache, one per path segment (cheaper than joining the path into a key). */
interface PlanNode {
  readonly children: Map<string, PlanNode>;
  plan?: ValuePlan | null;
  empty?: ValuePlan;
}

/** The plans of one root matcher and its substitutes (per process). */
class Plans {
  readonly root: SandboxMatcher;
  readonly substitutes: Substitutes | undefined;
  readonly #tree: PlanNode = { children: new Map() };
  /** The member plan of each frozen property path (a runner asks for the same globals every run). */
  readonly #properties = new WeakMap<RulePath, MemberPlan>();

  constructor(root: SandboxMatcher, substitutes: Substitutes | undefined) {
    this.root = root;
    this.substitutes = substitutes;
  }

  #node(path: RulePath): PlanNode {
    let node = this.#tree;
    for (let i = 0; i < path.length; i++) {
      let child = node.children.get(path[i]);
      if (child === undefined) node.children.set(path[i], child = { children: new Map() });
      node = child;
    }
    return node;
  }

  /** The plan of the value at `path`, or `undefined` when nothing below it is restricted. */
  value(path: RulePath): ValuePlan | undefined {
    const node = this.#node(path);
    if (node.plan === undefined) {
      const matcher = this.root.childMatcher(...path);
      const inert = matcher === undefined || restrictsNothing(matcher);
      node.plan = inert && !this.substitutes?.below(path) ? null : new ValuePlan(this, path, inert ? undefined : matcher);
    }
    return node.plan ?? undefined;
  }

  /** The plan of the member at `path` (its last segment) of the value above it. */
  property(path: RulePath): MemberPlan {
    const frozen = Object.isFrozen(path);
    let member = frozen ? this.#properties.get(path) : undefined;
    if (member === undefined) {
      member = this.valueOrEmpty(path.slice(0, -1)).member(path[path.length - 1]);
      if (frozen) this.#properties.set(path, member);
    }
    return member;
  }

  /** Like `value`, with an empty plan when nothing is restricted (for copies). */
  valueOrEmpty(path: RulePath): ValuePlan {
    const plan = this.value(path);
    if (plan !== undefined) return plan;
    const node = this.#node(path);
    return node.empty ??= new ValuePlan(this, path, undefined);
  }
}

const PLANS = new WeakMap<SandboxMatcher, Plans>();
const SUBSTITUTED_PLANS = new WeakMap<Substitutes, WeakMap<SandboxMatcher, Plans>>();

function plansFor(root: SandboxMatcher, substitutes: Substitutes | undefined): Plans {
  let byRoot = PLANS;
  if (substitutes !== undefined) {
    let known = SUBSTITUTED_PLANS.get(substitutes);
    if (known === undefined) SUBSTITUTED_PLANS.set(substitutes, known = new WeakMap());
    byRoot = known;
  }
  let plans = byRoot.get(root);
  if (plans === undefined) byRoot.set(root, plans = new Plans(root, substitutes));
  return plans;
}

/** What the matcher says about one value's members, calls and prototype (per process). */
class ValuePlan {
  readonly path: RulePath;
  readonly name: string;
  /** Check on read instead of copying. */
  readonly lazy: boolean;
  readonly #plans: Plans;
  readonly #restricted: boolean;
  readonly #members = new Map<string, MemberPlan>();
  readonly #templates = new WeakMap<object, ObjectTemplate>();
  readonly #bound = new WeakMap<Function, Function>();
  readonly #prototypes = new WeakMap<object, object | null>();
  #call: OperationPlan | undefined;
  #construct: OperationPlan | undefined;

  constructor(plans: Plans, path: RulePath, matcher: SandboxMatcher | undefined) {
    this.#plans = plans;
    this.path = path;
    this.name = qualifiedName(path);
    this.#restricted = matcher !== undefined || plans.substitutes?.below(path) === true;
    this.lazy = matcher !== undefined && isWildcard(matcher);
  }

  member(key: string): MemberPlan {
    let member = this.#members.get(key);
    if (member === undefined) {
      member = this.#computeMember(key);
      this.#members.set(key, member);
    }
    return member;
  }

  #computeMember(key: string): MemberPlan {
    if (!this.#restricted) return RAW_MEMBER;
    // A built-in's `default` export is its namespace (rule_path.ts), so it has the namespace's rules.
    if (key === "default" && this.path.length === 1 && isBuiltinModule(this.path[0])) {
      return { name: this.name, check: undefined, child: this };
    }
    const path = [...this.path, key];
    const substitute = this.#plans.substitutes?.at(path);
    if (substitute !== undefined) return { name: qualifiedName(path), check: undefined, child: undefined, substitute };
    const check = toCheck(this.#plans.root, path);
    const child = this.#plans.value(path);
    return check === undefined && child === undefined ? RAW_MEMBER : { name: qualifiedName(path), check, child };
  }

  operation(op: typeof CALL | typeof NEW): OperationPlan {
    if (op === CALL) return this.#call ??= this.#computeOperation(op);
    return this.#construct ??= this.#computeOperation(op);
  }

  #computeOperation(op: string): OperationPlan {
    const root = this.#plans.root;
    const path = [...this.path, op];
    const check = this.#restricted ? toCheck(root, path) : undefined;
    const matcher = this.#restricted ? root.childMatcher(...path) : undefined;
    const forms: FormPlan[] = [];
    for (const form of matcher?.children.keys() ?? []) {
      const test = ARGUMENT_FORMS[form];
      const formCheck = test === undefined ? undefined : toCheck(root, [...path, form]);
      if (formCheck !== undefined) forms.push({ name: qualifiedName([...path, form]), test, check: formCheck });
    }
    return { name: qualifiedName(path), check, forms, active: check !== undefined || forms.length > 0 };
  }

  /** The per-process template of `raw`. */
  template(raw: object): ObjectTemplate {
    let template = this.#templates.get(raw);
    if (template === undefined) this.#templates.set(raw, template = this.#computeTemplate(raw));
    return template;
  }

  #computeTemplate(raw: object): ObjectTemplate {
    const prototype = objectGetPrototypeOf(raw);
    // A copy cannot hold a host getter or a method needing its host instance (crypto, performance)
    // without per-run accessors, which cost more than checking on read.
    const hostClass = prototype !== null && prototype !== objectPrototype;
    const entries: [PropertyKey, unknown][] = [];
    const restricted: RestrictedMember[] = [];
    if (this.lazy || hostClass) return { view: true, entries: {}, restricted: [] };
    for (const key of reflectOwnKeys(raw)) {
      const descriptor = reflectGetOwnPropertyDescriptor(raw, key)!;
      const member = typeof key === "string" ? this.member(key) : RAW_MEMBER;
      // A getter, or a member whose read is checked, needs an accessor: check on read instead.
      if (!("value" in descriptor) || member.check !== undefined) return { view: true, entries: {}, restricted: [] };
      if (member.child === undefined && member.substitute === undefined) entries.push([key, descriptor.value]);
      else {
        entries.push([key, undefined]); // keeps the key order; assigned per run
        restricted.push({ key: key as string, child: member.child, substitute: member.substitute, rawValue: descriptor.value });
      }
    }
    const template = objectFromEntries(entries);
    // V8 tracks the type of each field: the first run's assignment would otherwise deprecate the
    // template's shape and slow every later copy, so the restricted fields see every kind up front.
    for (const { key } of restricted) {
      template[key] = FIELD_WARMUP[0];
      template[key] = FIELD_WARMUP[1];
      template[key] = undefined;
    }
    return { view: false, entries: template, restricted };
  }

  /**
   * A host class method read through a view, bound to the host instance (`performance.mark` checks
   * that `this` is the real `performance`). One per method per process.
   */
  bound(raw: object, method: Function): Function {
    let bound = this.#bound.get(method);
    if (bound === undefined) this.#bound.set(method, bound = boundToHost(method, raw));
    return bound;
  }

  /**
   * The per-process prototype shared by this constructor's restricted instances, inheriting from the
   * real one and overriding the restricted methods, or `null` when no method of it is restricted.
   */
  sharedPrototype(rawPrototype: object): object | null {
    let shared = this.#prototypes.get(rawPrototype);
    if (shared === undefined) {
      shared = this.#computePrototype(rawPrototype);
      this.#prototypes.set(rawPrototype, shared);
    }
    return shared;
  }

  #computePrototype(rawPrototype: object): object | null {
    const plan = this.member("prototype").child;
    if (plan === undefined) return null;
    const shared = objectCreate(rawPrototype);
    let overridden = false;
    for (const key of reflectOwnKeys(rawPrototype)) {
      if (typeof key !== "string" || key === "constructor") continue;
      const descriptor = reflectGetOwnPropertyDescriptor(rawPrototype, key)!;
      const operation = plan.member(key).child?.operation(CALL);
      if (typeof descriptor.value !== "function" || operation === undefined || !operation.active) continue;
      objectDefineProperty(shared, key, { ...descriptor, value: checkedMethod(descriptor.value, operation) });
      overridden = true;
    }
    return overridden ? shared : null;
  }
}

/** `method` called on the host instance it was copied from, keeping its name and length. */
function boundToHost(method: Function, host: object): Function {
  const bound = function (this: unknown, ...args: unknown[]) {
    return reflectApply(method, host, args);
  };
  objectDefineProperty(bound, "name", { value: method.name });
  objectDefineProperty(bound, "length", { value: method.length });
  return bound;
}

// ---------------------------------------------------------------------------------------------------
// Per-run state and enforcement.

interface RunState {
  readonly ctx: RestrictionContext;
  readonly plans: Plans;
  /** Substitutes' values, made on first use. */
  substituted: Map<Substitute, unknown> | undefined;
  /** Restricted value of each raw value and plan: `Math.random === Math.random` within a run. */
  readonly memo: Map<object, MemoEntry>;
  /**
   * A run's state: where its restricted functions are made and kept, shared with the other runs
   * of its {@link SharedRestrictions}. `undefined` for a state that keeps its own.
   */
  readonly shared: RunState | undefined;
  /**
   * A shared state: the state of the run that is executing, for what a shared function's traps
   * make that must be the run's own (copies, substitutes' values, instances' prototypes).
   */
  readonly current: (() => RunState | undefined) | undefined;
  /** `new.target` of each restricted constructor for this run's instances (see runNewTarget). */
  newTargets: Map<Traps, Function> | undefined;
  /** Each copy the run made and its raw object, in pairs (views carry a {@link RawStamp}). */
  copies: object[] | undefined;
}

/**
 * The state a shared function's trap makes a run's own values in: the executing run's, when it
 * shares `state`; `state` itself otherwise (read outside any run, or a state of its own).
 */
function ownState(state: RunState): RunState {
  return state.current?.() ?? state;
}

/** Restricted values of one raw value, one per plan (almost always one). */
interface MemoEntry {
  readonly plan: ValuePlan;
  readonly value: unknown;
  readonly next: MemoEntry | undefined;
}

/**
 * The raw object behind a view, so host methods called on it get a valid `this`: a private field
 * on the view itself (a `Map` per run was 0.2 KiB of every cached run).
 */
class RawStamp extends Stamp {
  #raw: object;

  constructor(restricted: object, raw: object) {
    super(restricted);
    this.#raw = raw;
  }

  static of(value: object): object | undefined {
    return #raw in value ? (value as RawStamp).#raw : undefined;
  }
}

/** The raw object behind a copy or view (a shared function looks in the executing run's copies too). */
function rawOf(state: RunState, value: object): object | undefined {
  return RawStamp.of(value) ?? copyRaw(state, value) ??
    (state.current === undefined ? undefined : copyRaw(state.current(), value));
}

function copyRaw(state: RunState | undefined, value: object): object | undefined {
  const copies = state?.copies;
  if (copies !== undefined) for (let i = 0; i < copies.length; i += 2) if (copies[i] === value) return copies[i + 1];
  return undefined;
}

/** Each shared restricted function, and the shared state that made it. */
const SHARED_MADE = new WeakMap<object, RunState>();

/** The run's instances find their state on their prototype under this key. */
const STATE = Symbol("workflow-sandbox.restriction-state");

function enforce(ctx: RestrictionContext, name: string, check: Check): void {
  if (ctx.unrestricted) return;
  const decision = ctx.isRuntime ? check.atRuntime : check.atImport;
  if (decision !== undefined) hit(ctx, name, decision);
}

function hit(ctx: RestrictionContext, name: string, decision: Decision): void {
  const location = ctx.locate();
  if (decision.warning) {
    const message = decision.leafMessage ?? `'${name}' may not replay identically (rule '${decision.rule}')`;
    ctx.report({
      qualifiedName: name,
      rule: decision.rule,
      warning: true,
      message: location === undefined ? message : `${message} (at '${location}')`,
      category: decision.category,
      location,
    });
    return;
  }
  const error = restrictedAccessError(name, {
    rule: decision.rule,
    location,
    reason: decision.reason,
    hint: decision.hint,
    overrideMessage: decision.leafMessage,
  });
  ctx.report({ qualifiedName: name, rule: decision.rule, warning: false, error, message: error.message, location });
  throw error;
}

/**
 * The error of a restricted access, built by the error factory: what was denied, where, by which
 * rule and why, then the fix (the rule's alternative and the escape hatches) and `WFS_RESTRICTED`.
 * A matcher's `leafMessage` (`overrideMessage`) replaces what happened as a whole, as Python's
 * `override_message` does; the fix and the code still follow it.
 *
 * @example
 * ```ts
 * import { restrictedAccessError } from "./restricted_values.ts";
 * const error = restrictedAccessError("fs.readFileSync.__call__", { rule: "fs.*" });
 * error.message.startsWith("Cannot access 'fs.readFileSync.__call__' from workflow code: restricted by rule 'fs.*'"); // true
 * error.rule; // "fs.*"
 * ```
 */
export function restrictedAccessError(
  name: string,
  options: RestrictedWorkflowAccessErrorOptions = {},
): RestrictedWorkflowAccessError {
  return codedError(
    RestrictedWorkflowAccessError,
    {
      code: "WFS_RESTRICTED",
      message: options.overrideMessage ?? RestrictedWorkflowAccessError.what(name, options),
      hint: RestrictedWorkflowAccessError.defaultHint(options),
    },
    { qualifiedName: name, rule: options.rule, location: options.location },
  );
}

function enforceOperation(ctx: RestrictionContext, operation: OperationPlan, args: readonly unknown[]): void {
  if (ctx.unrestricted) return;
  if (operation.check !== undefined) enforce(ctx, operation.name, operation.check);
  for (const form of operation.forms) {
    const decision = ctx.isRuntime ? form.check.atRuntime : form.check.atImport;
    if (decision !== undefined && form.test(args)) hit(ctx, form.name, decision);
  }
}

/** A prototype method that checks its call for instances made by a run's constructor. */
function checkedMethod(method: Function, operation: OperationPlan): Function {
  const checked = {
    [method.name](this: unknown, ...args: unknown[]) {
      const state = this === null || this === undefined
        ? undefined
        : (this as Record<symbol, RunState | undefined>)[STATE];
      if (state !== undefined) enforceOperation(state.ctx, operation, args);
      return reflectApply(method, this, args);
    },
  }[method.name];
  objectDefineProperty(checked, "length", { value: method.length });
  return checked;
}

function modificationError(name: string, key: PropertyKey): TypeError {
  return codedError(TypeError, {
    code: "WFS_RESTRICTED",
    message: `Cannot modify '${name}.${String(key)}' from workflow code: '${name}' is shared with the host and every run`,
    hint: "Keep your own value in a variable instead",
  });
}

// ---------------------------------------------------------------------------------------------------
// Restricted values.

function isObjectLike(value: unknown): value is object {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

/** The run's value of a substitute, made once per run's restrictions. */
function substituteValue(state: RunState, substitute: Substitute, raw: unknown): unknown {
  const made = state.substituted ??= new Map();
  if (made.has(substitute)) return made.get(substitute);
  const value = substitute.make(state.ctx, raw, {
    restrict: (path, value) => {
      const plan = state.plans.value(path);
      return plan === undefined ? value : restrictWith(state, plan, value);
    },
    enforce: (path) => {
      const member = state.plans.valueOrEmpty(path.slice(0, -1)).member(path[path.length - 1]);
      if (member.check !== undefined) enforce(state.ctx, member.name, member.check);
    },
  });
  made.set(substitute, value);
  return value;
}

function restrictWith(state: RunState, plan: ValuePlan, value: unknown): unknown {
  if (!isObjectLike(value)) return value;
  // A restricted function refuses every write (its traps throw) and holds nothing of a run: one
  // per runner serves every run (SharedRestrictions; figures in docs/benchmarks.md, "Per-run set-up").
  if (typeof value === "function" && state.shared !== undefined) state = state.shared;
  const first = state.memo.get(value);
  for (let entry = first; entry !== undefined; entry = entry.next) if (entry.plan === plan) return entry.value;
  let restricted: object;
  if (typeof value === "function") restricted = restrictedProxy(state, plan, value);
  else {
    const template = plan.template(value);
    if (template.view) {
      restricted = restrictedProxy(state, plan, value);
      new RawStamp(restricted, value);
    } else {
      // Not stamped: a private field added to a copy of many members turned it into a dictionary
      // on Deno 2.9 (3 KiB for `Math`, measured); a run makes few copies, so a list is enough.
      restricted = restrictedCopy(state, template);
      (state.copies ??= []).push(restricted, value);
    }
  }
  if (state.current !== undefined) SHARED_MADE.set(restricted, state);
  state.memo.set(value, { plan, value: restricted, next: first });
  return restricted;
}

/** The traps of a restricted Proxy (a function, a constructor, or a view of an object). */
class Traps implements ProxyHandler<object> {
  readonly state: RunState;
  readonly plan: ValuePlan;
  proxy: object | undefined = undefined;

  constructor(state: RunState, plan: ValuePlan) {
    this.state = state;
    this.plan = plan;
  }

  apply(target: object, thisArg: unknown, args: unknown[]): unknown {
    const operation = this.plan.operation(CALL);
    if (operation.active) enforceOperation(this.state.ctx, operation, args);
    const receiver = isObjectLike(thisArg) ? rawOf(this.state, thisArg) ?? thisArg : thisArg;
    return reflectApply(target as Function, receiver, args);
  }

  construct(target: object, args: unknown[], newTarget: Function): object {
    const operation = this.plan.operation(NEW);
    if (operation.active) enforceOperation(this.state.ctx, operation, args);
    // The run's own instances get the run's prototype (see runNewTarget); a subclass keeps its own.
    const instanceTarget = newTarget === this.proxy ? runNewTarget(this, target as Function) : newTarget;
    return reflectConstruct(target as Function, args, instanceTarget);
  }

  get(target: object, key: string | symbol): unknown {
    if (typeof key === "symbol") return this.#raw(target, key);
    const member = this.plan.member(key);
    if (member === RAW_MEMBER) return this.#raw(target, key);
    if (member.substitute !== undefined && !isFixed(target, key)) {
      return substituteValue(ownState(this.state), member.substitute, reflectGet(target, key, target));
    }
    if (member.check !== undefined) enforce(this.state.ctx, member.name, member.check);
    const value = reflectGet(target, key, target);
    if (member.child === undefined || isFixed(target, key)) return value;
    return restrictWith(ownState(this.state), member.child, value);
  }

  /** An unrestricted member; a host class method is bound to its host instance. */
  #raw(target: object, key: string | symbol): unknown {
    const value = reflectGet(target, key, target);
    if (typeof value !== "function" || typeof target === "function" || objectHasOwn(target, key)) return value;
    const prototype = objectGetPrototypeOf(target);
    return prototype === null || prototype === objectPrototype ? value : this.plan.bound(target, value);
  }

  has(target: object, key: string | symbol): boolean {
    if (typeof key === "string") {
      const member = this.plan.member(key);
      if (member.check !== undefined) enforce(this.state.ctx, member.name, member.check);
    }
    return reflectHas(target, key);
  }

  ownKeys(target: object): ArrayLike<string | symbol> {
    const listing = this.plan.member("*");
    if (listing.check !== undefined) enforce(this.state.ctx, listing.name, listing.check);
    return reflectOwnKeys(target);
  }

  getOwnPropertyDescriptor(target: object, key: string | symbol): PropertyDescriptor | undefined {
    const descriptor = reflectGetOwnPropertyDescriptor(target, key);
    if (descriptor === undefined || typeof key === "symbol") return descriptor;
    const member = this.plan.member(key);
    if (member.substitute !== undefined && descriptor.configurable) {
      if (!("value" in descriptor)) return { ...descriptor, get: () => this.get(target, key), set: undefined };
      return { ...descriptor, value: substituteValue(ownState(this.state), member.substitute, descriptor.value) };
    }
    if (member.check !== undefined) {
      // Describing a member is not reading it: esbuild's __toESM describes every key of a module to
      // copy its `enumerable` (`import process from "node:process"`). A configurable member is
      // described with a getter that checks when it is called; a non-configurable one must be
      // reported as it is (a Proxy invariant), so describing it is checked like a read.
      if (descriptor.configurable) {
        return { configurable: true, enumerable: descriptor.enumerable, get: () => this.get(target, key), set: undefined };
      }
      enforce(this.state.ctx, member.name, member.check);
    }
    // A non-configurable property must report its real value or getter (a Proxy invariant).
    if (member.child === undefined || !descriptor.configurable) return descriptor;
    if (!("value" in descriptor)) return { ...descriptor, get: () => this.get(target, key), set: undefined };
    return { ...descriptor, value: restrictWith(ownState(this.state), member.child, descriptor.value) };
  }

  set(target: object, key: PropertyKey, value: unknown, receiver: unknown): boolean {
    if (receiver === this.proxy) throw modificationError(this.plan.name, key);
    return reflectSet(target, key, value, receiver); // a subclass defines its own static
  }

  defineProperty(_target: object, key: PropertyKey): boolean {
    throw modificationError(this.plan.name, key);
  }

  deleteProperty(_target: object, key: PropertyKey): boolean {
    throw modificationError(this.plan.name, key);
  }

  setPrototypeOf(): boolean {
    throw modificationError(this.plan.name, "[[Prototype]]");
  }

  preventExtensions(): boolean {
    throw modificationError(this.plan.name, "[[Extensible]]");
  }
}

/**
 * Whether a Proxy must report the real value of `target[key]`: a non-configurable, non-writable data
 * property, such as the `prototype` of a class (an invariant of Proxy `get`).
 */
function isFixed(target: object, key: string): boolean {
  const descriptor = reflectGetOwnPropertyDescriptor(target, key);
  return descriptor !== undefined && descriptor.configurable === false && descriptor.writable === false;
}

function restrictedProxy(state: RunState, plan: ValuePlan, raw: object): object {
  const traps = new Traps(state, plan);
  const proxy = new Proxy(raw, traps);
  traps.proxy = proxy;
  return proxy;
}

/**
 * The `new.target` that gives the run's instances of a constructor with restricted prototype methods
 * the run's prototype: it inherits from the real prototype (so `instanceof`, JSON and brand checks
 * hold) and holds the run's state, which the checked methods read. Made on first use.
 */
function runNewTarget(handler: Traps, target: Function): Function {
  // The prototype can be written to: it is the run's own even when the constructor is shared.
  const state = ownState(handler.state);
  const known = state.newTargets?.get(handler);
  if (known !== undefined) return known;
  const rawPrototype: unknown = target.prototype;
  const shared = isObjectLike(rawPrototype) ? handler.plan.sharedPrototype(rawPrototype) : null;
  let newTarget: Function;
  if (shared === null) newTarget = handler.proxy as Function;
  else {
    const prototype = objectCreate(shared);
    objectDefineProperty(prototype, "constructor", { value: handler.proxy, writable: true, configurable: true });
    objectDefineProperty(prototype, STATE, { value: state });
    newTarget = function () {};
    newTarget.prototype = prototype;
  }
  (state.newTargets ??= new Map()).set(handler, newTarget);
  return newTarget;
}

function restrictedCopy(state: RunState, template: ObjectTemplate): object {
  // A spread of a template is the fastest copy V8 makes; adding or redefining keys of a large copy
  // afterwards costs ten times more (measured), so restricted members only replace placeholders.
  const copy: Record<PropertyKey, unknown> = { ...template.entries };
  for (const { key, child, substitute, rawValue } of template.restricted) {
    copy[key] = substitute !== undefined ? substituteValue(state, substitute, rawValue) : restrictWith(state, child!, rawValue);
  }
  return copy;
}

/**
 * The restricted values of one run: create one per run with the run's context and the restrictions'
 * `invalidModuleMembers`, then ask it for the run's globals and module namespaces. It keeps the run's
 * restricted values (so `Math.random === Math.random` within a run) and nothing else; plans computed
 * from the matcher are shared by every run of the process. The free functions below do the same through
 * a cache keyed by the context; a runner that holds one `RunRestrictions` per run skips that lookup.
 *
 * @example
 * ```ts
 * import { RunRestrictions } from "./restricted_values.ts";
 * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
 * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
 * const run = new RunRestrictions(SandboxRestrictions.invalidModuleMembersDefault, ctx);
 * const SandboxDate = run.value(["globalThis", "Date"], Date);
 * new SandboxDate(0).toISOString(); // "1970-01-01T00:00:00.000Z"
 * ```
 */
export class RunRestrictions {
  /** The run's context. */
  readonly ctx: RestrictionContext;
  readonly #plans: Plans;
  readonly #state: RunState;

  /**
   * `root` holds the rules; `substitutes`, when given, the values that replace the host's
   * (deterministic mode): one object per set of substitutions, reused, since plans are computed per
   * pair. With `shared` (made with the same three), the run's restricted functions are those of
   * every run sharing it: see {@link SharedRestrictions}.
   */
  constructor(root: SandboxMatcher, ctx: RestrictionContext, substitutes?: Substitutes, shared?: SharedRestrictions) {
    this.ctx = ctx;
    this.#plans = plansFor(root, substitutes);
    const sharedState = shared === undefined ? undefined : SharedRestrictions.stateFor(shared, this.#plans, ctx);
    this.#state = {
      ctx,
      plans: this.#plans,
      substituted: undefined,
      memo: new Map(),
      shared: sharedState,
      current: undefined,
      newTargets: undefined,
      copies: undefined,
    };
  }

  /** The state of a run sharing `shared`'s functions, for their traps (see {@link SharedRestrictions}). */
  static stateOf(run: RunRestrictions, shared: RunState): RunState | undefined {
    return run.#state.shared === shared ? run.#state : undefined;
  }

  /**
   * Applies the rules below `path` to `value`: a restricted proxy or copy, or `value` itself when
   * nothing below `path` is restricted (and for primitives). Reading `path` itself is the concern of the
   * object holding it: see {@link RunRestrictions.property}. The same value at the same path gives the
   * same result within a run.
   *
   * @example
   * ```ts
   * import { RunRestrictions } from "./restricted_values.ts";
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
   * const run = new RunRestrictions(SandboxRestrictions.invalidModuleMembersDefault, ctx);
   * const math = run.value(["globalThis", "Math"], Math);
   * math.max(1, 2); // 2
   * // math.random() throws RestrictedWorkflowAccessError
   * ```
   */
  value<T>(path: RulePath, value: T): T {
    if (!isObjectLike(value)) return value;
    const plan = this.#plans.value(path);
    return plan === undefined ? value : restrictWith(this.#state, plan, value) as T;
  }

  /**
   * The run's copy of a namespace: a module namespace (`import * as ns`), a module's exports
   * (`require()`), or a global namespace (`["globalThis", "Math"]`); see {@link restrictNamespace}.
   *
   * @example
   * ```ts
   * import * as path from "node:path";
   * import { RunRestrictions } from "./restricted_values.ts";
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
   * const run = new RunRestrictions(SandboxRestrictions.invalidModuleMembersDefault, ctx);
   * run.namespace("node:path", path).join === path.join; // true
   * ```
   */
  namespace(module: string | RulePath, namespace: object): Record<PropertyKey, unknown> {
    const path = typeof module === "string" ? [canonicalModuleId(module)] : module;
    return restrictWith(this.#state, this.#plans.valueOrEmpty(path), namespace) as Record<PropertyKey, unknown>;
  }

  /**
   * The descriptor the run's object should have for a host property at `path`; see
   * {@link restrictProperty}.
   *
   * @example
   * ```ts
   * import { RunRestrictions } from "./restricted_values.ts";
   * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
   * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
   * const run = new RunRestrictions(SandboxRestrictions.invalidModuleMembersDefault, ctx);
   * const fetch = run.property(["globalThis", "fetch"], Object.getOwnPropertyDescriptor(globalThis, "fetch")!, globalThis);
   * ```
   */
  property(path: RulePath, descriptor: PropertyDescriptor, owner: object): PropertyDescriptor {
    if (path.length === 0) {
      throw codedError(TypeError, {
        code: "WFS_INVALID_OPTION",
        message: "Cannot restrict a property as the path is empty",
        hint: "Pass a rule path such as ['globalThis', 'fetch']",
      });
    }
    const member = this.#plans.property(path);
    if (member === RAW_MEMBER) return descriptor;
    const state = this.#state;
    const { substitute } = member;
    if (substitute !== undefined) {
      if ("value" in descriptor) return { ...descriptor, value: substituteValue(state, substitute, descriptor.value) };
      let written: { value: unknown } | undefined;
      return {
        get: () => written !== undefined ? written.value : substituteValue(state, substitute, descriptor.get?.call(owner)),
        set: (value: unknown) => {
          written = { value };
        },
        enumerable: descriptor.enumerable,
        configurable: true,
      };
    }
    const { ctx } = state;
    const { check, child } = member;
    const restrict = (value: unknown) => (child === undefined ? value : restrictWith(state, child, value));
    if (check === undefined && "value" in descriptor) return { ...descriptor, value: restrict(descriptor.value) };
    let written: { value: unknown } | undefined;
    const read = () => {
      if (written !== undefined) return written.value;
      return restrict("value" in descriptor ? descriptor.value : descriptor.get?.call(owner));
    };
    return {
      get() {
        if (check !== undefined) enforce(ctx, member.name, check);
        return read();
      },
      set(value: unknown) {
        if (check !== undefined) enforce(ctx, member.name, check);
        written = { value };
      },
      enumerable: descriptor.enumerable,
      configurable: true,
    };
  }
}

/**
 * The restricted functions every run of a runner shares. A restricted function (`Date`,
 * `Math.random`, `setTimeout`, `Intl.DateTimeFormat`) is a `Proxy` whose traps refuse every write
 * and whose checks read the context, which is the runner's: made per run, it was most of a run's
 * set-up (8 of the 15 restricted values a run makes before its code starts, 0.1 to 0.5 µs and 100
 * bytes each with their traps) and of what a cached run keeps. What a shared function makes that a
 * run could write (the prototype of the instances it constructs, a copy of an object member, a
 * substitute's value) is made in the state of the run executing, found with `current`.
 *
 * @example
 * ```ts
 * import { RunRestrictions, SharedRestrictions } from "./restricted_values.ts";
 * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
 * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
 * const root = SandboxRestrictions.invalidModuleMembersDefault;
 * let running: RunRestrictions | undefined;
 * const shared = new SharedRestrictions(root, ctx, undefined, () => running);
 * const a = new RunRestrictions(root, ctx, undefined, shared);
 * const b = new RunRestrictions(root, ctx, undefined, shared);
 * a.value(["globalThis", "Date"], Date) === b.value(["globalThis", "Date"], Date); // true
 * a.value(["globalThis", "Math"], Math) !== b.value(["globalThis", "Math"], Math); // true: copies are each run's
 * ```
 */
export class SharedRestrictions {
  readonly #state: RunState;

  /**
   * Whether `value` is one of the shared restricted functions: a property whose value it is can be
   * given to every run as it is.
   */
  has(value: unknown): boolean {
    return typeof value === "function" && SHARED_MADE.get(value) === this.#state;
  }

  /**
   * Runs share it when made with the same `root`, `ctx` and `substitutes`; `current` answers the
   * run that is executing (`undefined` outside runs).
   */
  constructor(
    root: SandboxMatcher,
    ctx: RestrictionContext,
    substitutes: Substitutes | undefined,
    current: () => RunRestrictions | undefined,
  ) {
    const state: RunState = {
      ctx,
      plans: plansFor(root, substitutes),
      substituted: undefined,
      memo: new Map(),
      shared: undefined,
      current: () => {
        const run = current();
        return run === undefined ? undefined : RunRestrictions.stateOf(run, state);
      },
      newTargets: undefined,
      copies: undefined,
    };
    this.#state = state;
  }

  /** The shared state for a run with these plans and context, `undefined` when they differ. */
  static stateFor(shared: SharedRestrictions, plans: Plans, ctx: RestrictionContext): RunState | undefined {
    const state = shared.#state;
    return state.plans === plans && state.ctx === ctx ? state : undefined;
  }
}

/** The `RunRestrictions` of a context and root matcher, for the free functions. */
const RUNS = new WeakMap<RestrictionContext, Map<SandboxMatcher, RunRestrictions>>();

function runFor(root: SandboxMatcher, ctx: RestrictionContext): RunRestrictions {
  let byRoot = RUNS.get(ctx);
  if (byRoot === undefined) RUNS.set(ctx, byRoot = new Map());
  let run = byRoot.get(root);
  if (run === undefined) byRoot.set(root, run = new RunRestrictions(root, ctx));
  return run;
}

/**
 * Applies the rules below `path` to `value` for the run of `ctx`: a restricted proxy or copy, or
 * `value` itself when nothing below `path` is restricted (and for primitives). Reading `path` itself is
 * the concern of the object holding it: see {@link restrictProperty}. The same value at the same path
 * gives the same result within a run.
 *
 * @example
 * ```ts
 * import { restrictValue } from "./restricted_values.ts";
 * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
 * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
 * const math = restrictValue(["globalThis", "Math"], Math, SandboxRestrictions.invalidModuleMembersDefault, ctx);
 * math.max(1, 2); // 2
 * // math.random() throws RestrictedWorkflowAccessError
 * ```
 */
export function restrictValue<T>(path: RulePath, value: T, root: SandboxMatcher, ctx: RestrictionContext): T {
  return runFor(root, ctx).value(path, value);
}

/**
 * A run's restricted constructor or function: a `Proxy` of `ctor` checking calls, constructions and
 * static members, keeping `instanceof`, subclassing and unrestricted statics. For `Date` under the
 * default rules, `new Date(0)` and `Date.UTC` work, `new Date()`, `Date()` and `Date.now()` throw, and
 * the local-time methods of dates it creates report warnings.
 *
 * @example
 * ```ts
 * import { restrictConstructor } from "./restricted_values.ts";
 * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
 * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
 * const SandboxDate = restrictConstructor(["globalThis", "Date"], Date, SandboxRestrictions.invalidModuleMembersDefault, ctx);
 * new SandboxDate(0) instanceof Date; // true
 * SandboxDate.UTC(2024, 0, 1); // 1704067200000
 * ```
 */
export function restrictConstructor<T extends Function>(
  path: RulePath,
  ctor: T,
  root: SandboxMatcher,
  ctx: RestrictionContext,
): T {
  if (typeof ctor !== "function") {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `Cannot restrict '${qualifiedName(path)}' as a constructor: it is a ${typeof ctor}`,
      hint: "Pass a function, or restrict the value with restrictValue()",
    });
  }
  return runFor(root, ctx).value(path, ctor);
}

/**
 * A run's copy of a namespace: a module namespace (`import * as ns`), a module's exports
 * (`require()`), or a global namespace (`["globalThis", "Math"]`). It has the same keys;
 * unrestricted members are the raw values by identity and restricted ones are replaced. Under a
 * wildcard rule (`node:fs`), the result is a `Proxy` of the namespace that checks members as they are
 * read. A built-in's `default` export gets the namespace's rules, since it is the same object.
 *
 * @example
 * ```ts
 * import * as path from "node:path";
 * import { restrictNamespace } from "./restricted_values.ts";
 * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
 * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
 * const ns = restrictNamespace("node:path", path, SandboxRestrictions.invalidModuleMembersDefault, ctx);
 * ns.join === path.join; // true
 * // ns.resolve("relative") throws RestrictedWorkflowAccessError
 * ```
 */
export function restrictNamespace(
  module: string | RulePath,
  namespace: object,
  root: SandboxMatcher,
  ctx: RestrictionContext,
): Record<PropertyKey, unknown> {
  return runFor(root, ctx).namespace(module, namespace);
}

/**
 * The descriptor a run's object should have for a host property at `path` (for example a global, with
 * `path` `["globalThis", name]`): `descriptor` itself when nothing is restricted; otherwise an accessor
 * that checks the read, or the descriptor with a restricted value. `owner` is the host object the
 * descriptor came from, the `this` of its getter. A write to a checked property stays in the run.
 *
 * @example
 * ```ts
 * import { restrictProperty } from "./restricted_values.ts";
 * import { SandboxRestrictions } from "./sandbox_restrictions.ts";
 * const ctx = { isRuntime: true, unrestricted: false, report: () => {}, locate: () => undefined };
 * const runGlobals = {};
 * for (const name of ["fetch", "Math", "JSON"]) {
 *   const descriptor = Object.getOwnPropertyDescriptor(globalThis, name)!;
 *   Object.defineProperty(runGlobals, name, restrictProperty(
 *     ["globalThis", name], descriptor, globalThis, SandboxRestrictions.invalidModuleMembersDefault, ctx,
 *   ));
 * }
 * ```
 */
export function restrictProperty(
  path: RulePath,
  descriptor: PropertyDescriptor,
  owner: object,
  root: SandboxMatcher,
  ctx: RestrictionContext,
): PropertyDescriptor {
  return runFor(root, ctx).property(path, descriptor, owner);
}
