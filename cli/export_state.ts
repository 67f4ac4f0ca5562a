/**
 * The state of what a module exports, as the `check` command compares it between runs: a
 * fingerprint of every value reachable from the exports (own properties, Map and Set entries,
 * Date values; class statics included), and whether that state can change at all (every object
 * reached is frozen and none has internal state that freezing does not cover, such as a Map's).
 * @module
 */
import { createHash } from "node:crypto";

/** What {@linkcode exportState} returns. */
export interface ExportState {
  /** Equal for two exports with the same structure and values (identity is not compared). */
  readonly fingerprint: string;
  /** Every object reached is frozen and holds no state that freezing leaves writable. */
  readonly immutable: boolean;
  /** The first thing that can change, for the report (`rates: a Map`, `stats: not frozen`). */
  readonly mutableAt: string | undefined;
}

/** Options of {@linkcode exportState}. */
export interface ExportStateOptions {
  /**
   * Values visited at most; a bigger state is fingerprinted in part (and said so).
   * @default 2_000_000
   */
  readonly limit?: number;
}

// Objects with internal slots that Object.freeze does not make read-only.
const SLOTTED: ReadonlyArray<[string, (value: object) => boolean]> = [
  ["a Map", (v) => v instanceof Map],
  ["a Set", (v) => v instanceof Set],
  ["a WeakMap", (v) => v instanceof WeakMap],
  ["a WeakSet", (v) => v instanceof WeakSet],
  ["a Date", (v) => v instanceof Date],
  ["a typed array or buffer", (v) => ArrayBuffer.isView(v) || v instanceof ArrayBuffer],
];

const SKIPPED_FUNCTION_KEYS = new Set(["length", "name", "prototype", "arguments", "caller"]);

/**
 * Fingerprints the state reachable from a module's exports. The exports object itself may hold
 * getters (ES module live bindings): they are read, as an importer would.
 *
 * @example
 * ```ts
 * import { exportState } from "./export_state.ts";
 * const a = exportState({ table: Object.freeze({ x: 1 }) });
 * const b = exportState({ table: Object.freeze({ x: 1 }) });
 * a.fingerprint === b.fingerprint; // true
 * a.immutable; // true
 * exportState({ cache: new Map() }).mutableAt; // "cache: a Map"
 * ```
 */
export function exportState(exports: unknown, options: ExportStateOptions = {}): ExportState {
  const limit = options.limit ?? 2_000_000;
  const hash = createHash("sha256");
  const seen = new Map<object, number>();
  let visited = 0;
  let mutableAt: string | undefined;
  const mutable = (where: string, what: string) => {
    mutableAt ??= `${where || "exports"}: ${what}`;
  };

  const visit = (value: unknown, where: string, top: boolean): void => {
    if (++visited > limit) {
      if (visited === limit + 1) hash.update("\u0000truncated");
      return;
    }
    const type = typeof value;
    if (value === null || (type !== "object" && type !== "function")) {
      hash.update(`${type}:${type === "symbol" ? String(value) : type === "bigint" ? `${value}n` : Object.is(value, -0) ? "-0" : String(value)};`);
      return;
    }
    const object = value as object;
    const index = seen.get(object);
    if (index !== undefined) {
      hash.update(`ref:${index};`);
      return;
    }
    seen.set(object, seen.size);
    if (type === "function") hash.update(`fn:${(object as { name?: unknown }).name};`);
    else {
      // The exports object is the module's namespace: its bindings are read through getters, and
      // a binding that changes shows up in the fingerprint when runs are compared.
      const slotted = SLOTTED.find(([, test]) => test(object));
      if (slotted) mutable(where, slotted[0]);
      else if (!top && !Object.isFrozen(object)) mutable(where, "not frozen");
    }
    if (object instanceof Map) {
      hash.update(`map:${object.size}{`);
      for (const [key, entry] of object) {
        visit(key, `${where}<key>`, false);
        visit(entry, `${where}.get(${String(key)})`, false);
      }
      hash.update("}");
    } else if (object instanceof Set) {
      hash.update(`set:${object.size}{`);
      for (const entry of object) visit(entry, `${where}<entry>`, false);
      hash.update("}");
    } else if (object instanceof Date) {
      hash.update(`date:${object.getTime()};`);
    } else if (ArrayBuffer.isView(object)) {
      hash.update(`view:${object.byteLength}:`);
      hash.update(new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
    }
    hash.update("{");
    for (const key of Reflect.ownKeys(object)) {
      if (type === "function" && SKIPPED_FUNCTION_KEYS.has(key as string)) continue;
      const descriptor = Reflect.getOwnPropertyDescriptor(object, key)!;
      const name = typeof key === "symbol" ? key.toString() : key;
      const path = where ? `${where}.${name}` : name;
      hash.update(`${name}${descriptor.writable === false ? "" : "~"}:`);
      if ("value" in descriptor) visit(descriptor.value, path, false);
      else if (top && descriptor.get) visit(descriptor.get.call(object), path, false);
      else hash.update("accessor;");
    }
    hash.update("}");
  };

  visit(exports, "", true);
  return { fingerprint: hash.digest("hex"), immutable: mutableAt === undefined, mutableAt };
}
