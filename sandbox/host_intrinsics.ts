/**
 * Host built-ins captured when this module is first evaluated, before any workflow code runs
 * (SES `commons.js` and Temporal's `const OriginalDate = globalThis.Date` do the same). The sandbox
 * uses only these captured values, so a workflow that patches a global cannot change how the
 * sandbox itself behaves.
 * @module
 */
import { setImmediate as nodeSetImmediate } from "node:timers";

/** The host's global object. */
export const hostGlobal: typeof globalThis = globalThis;

/** Reflection helpers, captured. */
export const {
  apply,
  defineProperty,
  get: reflectGet,
  getOwnPropertyDescriptor,
  getPrototypeOf,
  ownKeys,
  set: reflectSet,
} = Reflect;

/** Object helpers, captured. */
export const {
  assign,
  create,
  defineProperties,
  freeze,
  fromEntries,
  getOwnPropertyDescriptors,
  hasOwn,
  isFrozen,
  keys,
} = Object;

/** `Date.now` of the host, for the sandbox's own bookkeeping (never given to workflow code). */
export const hostNow: () => number = Date.now.bind(Date);

/** Waits for the next macrotask: by then the microtask queue has drained. */
export const nextMacrotask = (): Promise<void> => new Promise((resolve) => nodeSetImmediate(resolve));

/** `Error.captureStackTrace` where the engine has it (V8 does). */
export const captureStackTrace: ((target: object, ctor?: Function) => void) | undefined =
  (Error as unknown as { captureStackTrace?: (t: object, c?: Function) => void }).captureStackTrace;
