/**
 * The values of deterministic mode: what a package's modules get instead of the host's clock,
 * random source, time zone, locale and environment, one maker per row of
 * sandbox/deterministic_rules.ts (docs/determinism.md). They plug into a run's restrictions as
 * {@link Substitutes} (sandbox/restricted_values.ts), so a package sees them however it reaches the
 * source: a global, `globalThis.Date`, `node:crypto`, `require("process").env`.
 *
 * - The clock is the workflow clock: the run's `workflowTime`, set by the engine for each activation
 *   (the activation's time, as `workflow.now()`).
 * - Randomness is the package's own stream: sfc32 seeded from the run's seed and the package's
 *   name, so the workflow's `workflow.random()` and other packages' draws never shift.
 * - `Date` is a `Proxy` of the host's `Date`: `Date.prototype` is the host's, so `instanceof Date`
 *   and dates passed between packages keep working; dates it makes get a per-package prototype that
 *   inherits the host's and reads local time in the worker's fixed zone (`date.constructor` is the
 *   package's `Date`, so `new date.constructor()` reads the workflow clock too).
 * - `Intl` constructors default to the worker's locale, and `DateTimeFormat` to its time zone.
 * - `process.env` is a per-run object of the declared constants.
 * @module
 */
import { Buffer } from "node:buffer";
import { codedError } from "./coded_error.ts";
import { currentRun } from "./current_run.ts";
import { ARGUMENT_FORMS } from "./default_rules.ts";
import type { DeterminismSource, SubstitutionRule } from "./deterministic_rules.ts";
import { VALIDATION_TIME } from "./determinism_policy.ts";
import { FixedZone, UTC_GETTERS } from "./_fixed_zone.ts";
import type { RestrictionContext, Substitute, SubstituteHelpers, Substitutes } from "./restricted_values.ts";
import { GLOBAL_ROOT, qualifiedName, type RulePath } from "./rule_path.ts";
import { uuid4From } from "./seeded_random.ts";

// Captured before any workflow code runs.
const HostDate = Date;
const hostUTC = Date.UTC;
const hostParse = Date.parse;
const { getTime, setTime, toLocaleString, toLocaleDateString, toLocaleTimeString, toString: hostDateToString } = Date.prototype;
const UTC_SETTERS = {
  setFullYear: Date.prototype.setUTCFullYear,
  setMonth: Date.prototype.setUTCMonth,
  setDate: Date.prototype.setUTCDate,
  setHours: Date.prototype.setUTCHours,
  setMinutes: Date.prototype.setUTCMinutes,
  setSeconds: Date.prototype.setUTCSeconds,
  setMilliseconds: Date.prototype.setUTCMilliseconds,
} as const;
const { apply, construct, get: reflectGet, ownKeys } = Reflect;
const { create, defineProperty, freeze, hasOwn } = Object;
const { floor, trunc } = Math;
const BigIntOf = BigInt;
const NumberOf = Number;
const StringOf = String;
const isSafeInteger = Number.isSafeInteger;
const isView = ArrayBuffer.isView;
const HostUint8Array = Uint8Array;
const HostArrayBuffer = ArrayBuffer;
const queueTask = queueMicrotask;
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag)!.get!;
const toPrimitiveKey = Symbol.toPrimitive;
const withoutOffset = ARGUMENT_FORMS["(string without offset)"];
const defaultLocale = ARGUMENT_FORMS["(default locale)"];
const INTEGER_ARRAYS: ReadonlySet<string> = new Set([
  "Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array",
  "BigInt64Array", "BigUint64Array",
]);
const CALLABLE_INTL: ReadonlySet<string> = new Set(["Collator", "DateTimeFormat", "NumberFormat"]);

/**
 * What deterministic values know of one package, shared by the runs of a runner: made by the
 * restriction layer (sandbox/restriction_layer.ts).
 */
export interface PackageState {
  /** The package.json `name` (`undefined` for modules without one). */
  readonly name: string | undefined;
  readonly zone: FixedZone;
  /**
   * Reports the package's first use of a substitution from `source` (once per runner): "<package>
   * <did> at <file:line> and got <got>", with the source's words by default.
   */
  report(source: DeterminismSource, did?: string, got?: string): void;
  /**
   * Refuses a call a strict rule covers (a `Date` row strict while the other is not): throws, or
   * returns the host's time inside `workflow.unsafe.sandboxUnrestricted()`.
   */
  refuse(rule: string): number;
  /** Values made once per runner (the package's `Date`, its `Intl` constructors), by key. */
  readonly cache: Map<string, unknown>;
}

/**
 * The restriction context of code whose values may be substituted: the workflow's own modules (for
 * the environment constants) or one package's modules in one run.
 */
export interface DeterministicContext extends RestrictionContext {
  /** `process.env`'s constants. */
  readonly environment: Readonly<Record<string, string>>;
  /** The package, or `undefined` for the workflow's own modules in strict mode. */
  readonly package: PackageState | undefined;
  /** The workflow clock, in milliseconds since the epoch. */
  now(): number;
  /** The next number of the package's stream, in [0, 1). */
  random(): number;
}

/**
 * The workflow clock of the run executing now: its `workflowTime`, or the validation time outside
 * a run that has one. Values shared by a runner's runs (a package's `Date`) read it here.
 *
 * @example
 * ```ts
 * import { workflowClock } from "./deterministic_values.ts";
 * workflowClock(); // 946684800000 outside any run (VALIDATION_TIME)
 * ```
 */
export function workflowClock(): number {
  const time = (currentRun() as { workflowTime?: unknown } | undefined)?.workflowTime;
  return typeof time === "number" ? time : VALIDATION_TIME;
}

function named<T extends Function>(name: string, length: number, fn: T): T {
  defineProperty(fn, "name", { value: name });
  defineProperty(fn, "length", { value: length });
  return fn;
}

function refuseWrite(name: string, key: PropertyKey): never {
  throw codedError(TypeError, {
    code: "WFS_RESTRICTED",
    message: `Cannot modify '${name}.${StringOf(key)}' from workflow code: '${name}' is shared by every run of the worker`,
    hint: "Keep your own value in a variable instead",
  });
}

/** Proxy traps that refuse every write to a value shared by the runs of a runner. */
function refusingWrites(name: string) {
  return {
    set: (_target: object, key: PropertyKey) => refuseWrite(name, key),
    defineProperty: (_target: object, key: PropertyKey) => refuseWrite(name, key),
    deleteProperty: (_target: object, key: PropertyKey) => refuseWrite(name, key),
    setPrototypeOf: () => refuseWrite(name, "[[Prototype]]"),
    preventExtensions: () => refuseWrite(name, "[[Extensible]]"),
  };
}

// ---------------------------------------------------------------------------------------------------
// Date

/** The `[[DateValue]]` of a date, or `undefined` for any other value. */
function dateValue(value: object): number | undefined {
  try {
    return apply(getTime, value, []) as number;
  } catch {
    return undefined;
  }
}

/** ECMAScript's ToPrimitive with no hint, as `new Date(value)` applies it. */
function toPrimitive(value: object): unknown {
  const exotic = (value as Record<symbol, unknown>)[toPrimitiveKey];
  if (exotic !== undefined && exotic !== null) {
    const result = apply(exotic as Function, value, ["default"]);
    if ((typeof result === "object" && result !== null) || typeof result === "function") {
      throw codedError(TypeError, {
        code: "WFS_INVALID_OPTION",
        message: "Cannot convert object to primitive value: its Symbol.toPrimitive returned an object",
        hint: "Return a number or a string from Symbol.toPrimitive",
      });
    }
    return result;
  }
  for (const key of ["valueOf", "toString"]) {
    const method = (value as Record<string, unknown>)[key];
    if (typeof method !== "function") continue;
    const result = apply(method, value, []);
    if ((typeof result !== "object" || result === null) && typeof result !== "function") return result;
  }
  throw codedError(TypeError, {
    code: "WFS_INVALID_OPTION",
    message: "Cannot convert object to primitive value",
    hint: "Pass a date, a number of milliseconds or a date string",
  });
}

/** Which parts of `Date` a package gets deterministic: its clock, its time zone and locale. */
interface DateFlags {
  readonly clock: boolean;
  readonly locale: boolean;
}

const LOCAL_SETTER_LENGTHS: Readonly<Record<keyof typeof UTC_SETTERS, number>> = {
  setFullYear: 3,
  setMonth: 2,
  setDate: 1,
  setHours: 4,
  setMinutes: 3,
  setSeconds: 2,
  setMilliseconds: 1,
};

/** The prototype of the dates a package's `Date` makes: local time in the worker's zone. */
function localPrototype(pkg: PackageState): object {
  const zone = pkg.zone;
  const prototype = create(HostDate.prototype) as Record<string, unknown>;
  const scratch = new HostDate(0);
  const method = (name: string, length: number, fn: Function) =>
    defineProperty(prototype, name, { value: named(name, length, fn), writable: true, configurable: true });
  const valueOf = (date: unknown): number => apply(getTime, date, []) as number;
  for (const [name, utcGetter] of Object.entries(UTC_GETTERS)) {
    method(name, 0, function (this: Date): number {
      const t = valueOf(this);
      if (t !== t) return NaN;
      pkg.report("locale");
      if (zone.utc) return apply(utcGetter, this, []) as number;
      apply(setTime, scratch, [zone.local(t)]);
      return apply(utcGetter, scratch, []) as number;
    });
  }
  method("getYear", 0, function (this: Date): number {
    return (prototype.getFullYear as () => number).call(this) - 1900;
  });
  method("getTimezoneOffset", 0, function (this: Date): number {
    const t = valueOf(this);
    if (t !== t) return NaN;
    pkg.report("locale");
    return 0 - zone.offset(t) / 60_000;
  });
  const setLocal = (date: Date, utcSetter: Function, args: readonly unknown[], fromNaN: boolean): number => {
    const t = valueOf(date);
    pkg.report("locale");
    apply(setTime, scratch, [t !== t ? (fromNaN ? 0 : NaN) : zone.local(t)]);
    apply(utcSetter, scratch, args);
    return apply(setTime, date, [zone.fromLocal(valueOf(scratch))]) as number;
  };
  for (const [name, utcSetter] of Object.entries(UTC_SETTERS)) {
    const fromNaN = name === "setFullYear";
    method(name, LOCAL_SETTER_LENGTHS[name as keyof typeof UTC_SETTERS], function (this: Date, ...args: unknown[]): number {
      return setLocal(this, utcSetter, args, fromNaN);
    });
  }
  method("setYear", 1, function (this: Date, year: unknown): number {
    const value = NumberOf(year);
    if (value !== value) return apply(setTime, this, [NaN]) as number;
    let whole = trunc(value);
    if (whole >= 0 && whole <= 99) whole += 1900;
    return setLocal(this, UTC_SETTERS.setFullYear, [whole], true);
  });
  for (const name of ["toString", "toDateString", "toTimeString"] as const) {
    method(name, 0, function (this: Date): string {
      const t = valueOf(this);
      pkg.report("locale");
      return zone[name](t);
    });
  }
  const localized = (name: string, host: Function) =>
    method(name, 0, function (this: Date, locales?: unknown, options?: unknown): string {
      valueOf(this);
      return apply(host, this, [...fillLocale(pkg, locales, options, true)]) as string;
    });
  localized("toLocaleString", toLocaleString);
  localized("toLocaleDateString", toLocaleDateString);
  localized("toLocaleTimeString", toLocaleTimeString);
  return prototype;
}

/**
 * The `Date` of a package: the workflow clock, local time in the worker's zone, the host's
 * `Date.prototype`. Made once per package and runner; it refuses writes, since every run shares it.
 */
function deterministicDate(pkg: PackageState, flags: DateFlags): DateConstructor {
  const zone = pkg.zone;
  const clock = (rule: string): number => {
    if (!flags.clock) return pkg.refuse(rule);
    pkg.report("clock");
    return workflowClock();
  };
  const parse = (text: string): number => {
    if (!flags.locale || !withoutOffset([text])) return hostParse(text);
    pkg.report("locale");
    return zone.parseLocal(text.trim());
  };
  const now = named("now", 0, function now(): number {
    return clock("globalThis.Date.now.__call__");
  });
  const parseMember = named("parse", 1, function parse(text: unknown): number {
    return parseString(StringOf(text));
  });
  const parseString = parse;
  const prototype = flags.locale ? localPrototype(pkg) : create(HostDate.prototype);
  const newTarget = function () {};
  newTarget.prototype = prototype;
  const timeOf = (args: readonly unknown[]): number => {
    if (args.length === 0) return clock("globalThis.Date.__new__.(no arguments)");
    if (args.length === 1) {
      let value = args[0];
      if ((typeof value === "object" && value !== null) || typeof value === "function") {
        const t = dateValue(value);
        if (t !== undefined) return t;
        value = toPrimitive(value);
      }
      return typeof value === "string" ? parse(value) : NumberOf(value);
    }
    if (!flags.locale) return apply(getTime, construct(HostDate, args), []) as number;
    pkg.report("locale");
    return zone.fromLocal(apply(hostUTC, undefined, args) as number);
  };
  const proxy: DateConstructor = new Proxy(HostDate, {
    apply(): string {
      const t = clock("globalThis.Date.__call__");
      return flags.locale ? zone.toString(t) : apply(hostDateToString, new HostDate(t), []) as string;
    },
    construct(_target, args, target): object {
      return construct(HostDate, [timeOf(args)], target === proxy ? newTarget : target);
    },
    get(target, key) {
      if (key === "now") return now;
      if (key === "parse") return parseMember;
      return reflectGet(target, key, target);
    },
    ...refusingWrites("Date"),
  }) as DateConstructor;
  defineProperty(prototype, "constructor", { value: proxy, writable: true, configurable: true });
  return proxy;
}

// ---------------------------------------------------------------------------------------------------
// Intl and toLocaleString

/** Arguments with the worker's locale (and time zone) where the caller left the default. */
function fillLocale(pkg: PackageState, locales: unknown, options: unknown, timeZone: boolean): [unknown, unknown] {
  let filled = false;
  if (defaultLocale([locales])) {
    locales = pkg.zone.locale;
    filled = true;
  }
  if (timeZone && (options === undefined || (typeof options === "object" && options !== null && (options as { timeZone?: unknown }).timeZone === undefined))) {
    const withZone = create((options ?? null) as object | null) as Record<string, unknown>;
    withZone.timeZone = pkg.zone.timeZone;
    options = withZone;
    filled = true;
  }
  if (filled) pkg.report("locale");
  return [locales, options];
}

function deterministicIntl(pkg: PackageState, name: string, raw: Function): Function {
  const timeZone = name === "DateTimeFormat";
  const localize = (args: readonly unknown[]): unknown[] => {
    const [locales, options] = fillLocale(pkg, args[0], args[1], timeZone);
    const result = [locales, options];
    for (let i = 2; i < args.length; i++) result.push(args[i]);
    return options === undefined && args.length < 2 ? [locales] : result;
  };
  const proxy: Function = new Proxy(raw, {
    construct(target, args, newTarget) {
      return construct(target as Function, localize(args), (newTarget === proxy ? target : newTarget) as Function);
    },
    apply(target, thisArg, args) {
      return apply(target as Function, thisArg, CALLABLE_INTL.has(name) ? localize(args) : args);
    },
    ...refusingWrites(`Intl.${name}`),
  }) as Function;
  return proxy;
}

// ---------------------------------------------------------------------------------------------------
// Randomness

function randomBytesInto(bytes: Uint8Array, ctx: DeterministicContext): void {
  for (let i = 0; i < bytes.length; i++) bytes[i] = floor(ctx.random() * 256);
}

function invalidRandom(call: string, what: string, hint: string, kind: typeof TypeError | typeof RangeError = TypeError): Error {
  return codedError(kind, { code: "WFS_INVALID_OPTION", message: `Cannot draw random values with ${call}: ${what}`, hint });
}

function bytesOf(value: unknown, call: string): Uint8Array {
  if (value instanceof HostArrayBuffer) return new HostUint8Array(value);
  if (isView(value)) return new HostUint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw invalidRandom(call, `'${typeof value}' is not a Buffer, TypedArray, DataView or ArrayBuffer`, "Pass a Buffer or a typed array");
}

function getRandomValues(ctx: DeterministicContext): (array: ArrayBufferView) => ArrayBufferView {
  return named("getRandomValues", 1, function getRandomValues(array: ArrayBufferView): ArrayBufferView {
    ctx.package?.report("random");
    const tag = isView(array) ? apply(typedArrayTag, array, []) : undefined;
    if (typeof tag !== "string" || !INTEGER_ARRAYS.has(tag)) {
      throw invalidRandom("crypto.getRandomValues()", "the argument is not an integer-type TypedArray", "Pass a Uint8Array, Uint32Array or another integer typed array");
    }
    if (array.byteLength > 65_536) {
      throw invalidRandom("crypto.getRandomValues()", `${array.byteLength} bytes exceed the limit of 65536`, "Draw 65536 bytes or fewer per call", RangeError);
    }
    randomBytesInto(new HostUint8Array(array.buffer, array.byteOffset, array.byteLength), ctx);
    return array;
  });
}

function randomUUID(ctx: DeterministicContext): () => string {
  return named("randomUUID", 0, function randomUUID(): string {
    ctx.package?.report("random");
    return uuid4From(() => ctx.random());
  });
}

/** Calls a Node-style callback after the call returned, in the activation's microtask order. */
function later(callback: Function, ...args: unknown[]): void {
  queueTask(() => apply(callback, undefined, args));
}

function randomBytes(ctx: DeterministicContext, name: string): Function {
  return named(name, 2, function (size: unknown, callback?: unknown): Buffer | undefined {
    ctx.package?.report("random");
    if (typeof size !== "number" || !isSafeInteger(size) || size < 0 || size > 2 ** 31 - 1) {
      throw invalidRandom(`crypto.${name}()`, `the size ${StringOf(size)} is not a whole number from 0 to 2147483647`, "Pass a byte count", RangeError);
    }
    const buffer = Buffer.alloc(size);
    randomBytesInto(buffer, ctx);
    if (typeof callback === "function") {
      later(callback, null, buffer);
      return undefined;
    }
    return buffer;
  });
}

function fillRange(ctx: DeterministicContext, call: string, target: unknown, offset: unknown, size: unknown): void {
  const bytes = bytesOf(target, call);
  const start = offset === undefined ? 0 : NumberOf(offset);
  const count = size === undefined ? bytes.length - start : NumberOf(size);
  if (!isSafeInteger(start) || !isSafeInteger(count) || start < 0 || count < 0 || start + count > bytes.length) {
    throw invalidRandom(call, `offset ${StringOf(offset)} and size ${StringOf(size)} do not fit ${bytes.length} bytes`, "Pass an offset and a size within the buffer", RangeError);
  }
  randomBytesInto(bytes.subarray(start, start + count), ctx);
}

function randomFillSync(ctx: DeterministicContext): Function {
  return named("randomFillSync", 3, function randomFillSync<T>(target: T, offset?: unknown, size?: unknown): T {
    ctx.package?.report("random");
    fillRange(ctx, "crypto.randomFillSync()", target, offset, size);
    return target;
  });
}

function randomFill(ctx: DeterministicContext): Function {
  return named("randomFill", 4, function randomFill(target: unknown, ...rest: unknown[]): void {
    ctx.package?.report("random");
    const callback = rest.pop();
    if (typeof callback !== "function") {
      throw invalidRandom("crypto.randomFill()", "the last argument is not a callback", "Pass a callback, or use randomFillSync()");
    }
    fillRange(ctx, "crypto.randomFill()", target, rest[0], rest[1]);
    later(callback, null, target);
  });
}

function randomInt(ctx: DeterministicContext): Function {
  return named("randomInt", 3, function randomInt(first: unknown, second?: unknown, third?: unknown): number | undefined {
    ctx.package?.report("random");
    const callback = typeof second === "function" ? second : typeof third === "function" ? third : undefined;
    const [min, max] = second === undefined || typeof second === "function" ? [0, first] : [first, second];
    if (!isSafeInteger(min) || !isSafeInteger(max) || (max as number) <= (min as number) || (max as number) - (min as number) > 2 ** 48) {
      throw invalidRandom("crypto.randomInt()", `the range [${StringOf(min)}, ${StringOf(max)}) is not a range of safe integers at most 2^48 wide`, "Pass safe integers with min < max", RangeError);
    }
    const value = (min as number) + floor(ctx.random() * ((max as number) - (min as number)));
    if (callback === undefined) return value;
    later(callback, null, value);
    return undefined;
  });
}

// ---------------------------------------------------------------------------------------------------
// Clock, environment

function performanceNow(ctx: DeterministicContext): () => number {
  return named("now", 0, function now(): number {
    ctx.package?.report("clock");
    return ctx.now();
  });
}

function hrtime(ctx: DeterministicContext): Function {
  const read = (): number => {
    ctx.package?.report("clock");
    return ctx.now();
  };
  const hrtime = named("hrtime", 1, function hrtime(previous?: readonly [number, number]): [number, number] {
    const ms = read();
    let seconds = floor(ms / 1000);
    let nanos = (ms - seconds * 1000) * 1_000_000;
    if (previous !== undefined) {
      seconds -= previous[0];
      nanos -= previous[1];
      if (nanos < 0) {
        seconds -= 1;
        nanos += 1_000_000_000;
      }
    }
    return [seconds, nanos];
  });
  defineProperty(hrtime, "bigint", {
    value: named("bigint", 0, function bigint(): bigint {
      return BigIntOf(read()) * 1_000_000n;
    }),
    writable: true,
    configurable: true,
    enumerable: true,
  });
  return hrtime;
}

/**
 * `process.env` for one run: the declared constants, writable within the run (Node coerces values
 * to strings). Any other name is refused by the strict rule (the workflow's own code in strict
 * mode: at run time, `undefined` while modules are imported) or reads as `undefined` and is
 * reported (deterministic mode).
 */
function environment(ctx: DeterministicContext, helpers: SubstituteHelpers, path: RulePath, strict: boolean): object {
  const store: Record<string, unknown> = {};
  for (const key of ownKeys(ctx.environment)) store[key as string] = ctx.environment[key as string];
  const undeclared = (key: string): undefined => {
    if (strict) helpers.enforce([...path, key]);
    else ctx.package?.report("environment", `read process.env.${key}, which is not declared,`, "undefined");
    return undefined;
  };
  return new Proxy(store, {
    get(target, key, receiver) {
      if (typeof key !== "string" || key in target) {
        if (!strict && typeof key === "string" && hasOwn(target, key)) {
          ctx.package?.report("environment", `read process.env.${key}`, "the worker's constant");
        }
        return reflectGet(target, key, receiver);
      }
      return undeclared(key);
    },
    set(target, key, value) {
      target[key as string] = typeof key === "symbol" ? value : StringOf(value);
      return true;
    },
  });
}

// ---------------------------------------------------------------------------------------------------
// Substitutes

const G = GLOBAL_ROOT;
const keyOf = (path: RulePath): string => path.join("\0");

/** A substitute whose value is made once per runner and package (shared by the runs). */
function perPackage(key: string, make: (pkg: PackageState, raw: unknown) => unknown): Substitute {
  return {
    make(ctx, raw) {
      const pkg = (ctx as DeterministicContext).package!;
      if (!pkg.cache.has(key)) pkg.cache.set(key, make(pkg, raw));
      return pkg.cache.get(key);
    },
  };
}

/** A substitute made once per run (and package): it holds the run's stream, clock or store. */
function perRun(make: (ctx: DeterministicContext, raw: unknown, helpers: SubstituteHelpers) => unknown): Substitute {
  return { make: (ctx, raw, helpers) => make(ctx as DeterministicContext, raw, helpers) };
}

/**
 * The maker of each row of sandbox/deterministic_rules.ts, by qualified path (the `Date` rows and
 * the `process.env` rows are made below, from their combination).
 */
const MAKERS: Readonly<Record<string, () => Substitute>> = {
  "globalThis.performance.now": () => perRun((ctx) => performanceNow(ctx)),
  "globalThis.performance.timeOrigin": () => perRun((ctx) => (ctx.package?.report("clock"), 0)),
  "globalThis.process.hrtime": () => perRun((ctx) => hrtime(ctx)),
  "process.hrtime": () => perRun((ctx) => hrtime(ctx)),
  "globalThis.Math.random": () => perRun((ctx) =>
    named("random", 0, function random(): number {
      ctx.package?.report("random");
      return ctx.random();
    })
  ),
  "globalThis.crypto.getRandomValues": () => perRun((ctx) => getRandomValues(ctx)),
  "globalThis.crypto.randomUUID": () => perRun((ctx) => randomUUID(ctx)),
  "crypto.randomBytes": () => perRun((ctx) => randomBytes(ctx, "randomBytes")),
  "crypto.pseudoRandomBytes": () => perRun((ctx) => randomBytes(ctx, "pseudoRandomBytes")),
  "crypto.prng": () => perRun((ctx) => randomBytes(ctx, "prng")),
  "crypto.rng": () => perRun((ctx) => randomBytes(ctx, "rng")),
  "crypto.randomFill": () => perRun((ctx) => randomFill(ctx)),
  "crypto.randomFillSync": () => perRun((ctx) => randomFillSync(ctx)),
  "crypto.randomInt": () => perRun((ctx) => randomInt(ctx)),
  "crypto.getRandomValues": () => perRun((ctx) => getRandomValues(ctx)),
  "crypto.randomUUID": () => perRun((ctx) => randomUUID(ctx)),
  // The view of globalThis.crypto, with its substitutes (the same object in Node).
  "crypto.webcrypto": () => perRun((_ctx, raw, helpers) => helpers.restrict([G, "crypto"], raw)),
};

/** Rows whose makers are built from several rows, or in both modes. */
const COMBINED = new Set(["globalThis.Date.now", "globalThis.Date.prototype", "globalThis.process.env", "process.env"]);

/**
 * Whether every row of the table has a maker (tests/determinism_test.ts).
 *
 * @example
 * ```ts
 * import { SUBSTITUTION_RULES } from "./deterministic_rules.ts";
 * import { hasMaker } from "./deterministic_values.ts";
 * SUBSTITUTION_RULES.every(hasMaker); // true
 * ```
 */
export function hasMaker(rule: SubstitutionRule): boolean {
  const name = qualifiedName(rule.path);
  return COMBINED.has(name) || name in MAKERS || (rule.path[0] === G && rule.path[1] === "Intl");
}

const cached = new Map<string, Substitutes>();

/**
 * The {@link Substitutes} of a set of rows: the rows' values, plus `process.env`'s constants in
 * strict mode where the environment rows are not among them. One object per set of rows, per
 * process (restricted values compute their plans once per object).
 *
 * @example
 * ```ts
 * import { SUBSTITUTION_RULES } from "./deterministic_rules.ts";
 * import { substitutesFor } from "./deterministic_values.ts";
 * const substitutes = substitutesFor(SUBSTITUTION_RULES);
 * substitutes.below(["globalThis", "Math"]); // true
 * substitutesFor([]).below(["globalThis", "process"]); // true: the environment constants
 * ```
 */
export function substitutesFor(rows: readonly SubstitutionRule[]): Substitutes {
  const names = new Set(rows.map((row) => qualifiedName(row.path)));
  const key = [...names].join("\0");
  const known = cached.get(key);
  if (known !== undefined) return known;
  const at = new Map<string, Substitute>();
  for (const row of rows) {
    const name = qualifiedName(row.path);
    if (COMBINED.has(name)) continue;
    if (row.path[0] === G && row.path[1] === "Intl") {
      const ctor = row.path[2];
      at.set(keyOf(row.path), perPackage(`Intl.${ctor}`, (pkg, raw) => deterministicIntl(pkg, ctor, raw as Function)));
    } else {
      at.set(keyOf(row.path), MAKERS[name]());
    }
  }
  const clock = names.has("globalThis.Date.now");
  const locale = names.has("globalThis.Date.prototype");
  if (clock || locale) {
    at.set(keyOf([G, "Date"]), perPackage("Date", (pkg) => deterministicDate(pkg, { clock, locale })));
  }
  for (const path of [[G, "process", "env"], ["process", "env"]]) {
    const strict = !names.has(qualifiedName(path));
    at.set(keyOf(path), perRun((ctx, _raw, helpers) => environment(ctx, helpers, path, strict)));
  }
  const prefixes = new Set<string>();
  for (const path of at.keys()) {
    const segments = path.split("\0");
    for (let i = 1; i <= segments.length; i++) prefixes.add(segments.slice(0, i).join("\0"));
  }
  const substitutes: Substitutes = freeze({
    at: (path: RulePath) => at.get(keyOf(path)),
    below: (path: RulePath) => prefixes.has(keyOf(path)),
  });
  cached.set(key, substitutes);
  return substitutes;
}

/**
 * The fixed zone of a time zone and locale, one per pair per process.
 *
 * @example
 * ```ts
 * import { fixedZone } from "./deterministic_values.ts";
 * fixedZone("UTC", "en-US").utc; // true
 * ```
 */
export function fixedZone(timeZone: string, locale: string): FixedZone {
  const key = `${timeZone}\0${locale}`;
  let zone = zones.get(key);
  if (zone === undefined) zones.set(key, zone = new FixedZone(timeZone, locale));
  return zone;
}

const zones = new Map<string, FixedZone>();
