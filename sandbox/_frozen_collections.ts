/**
 * Read-only Set and Map for the frozen option objects (`SandboxMatcher`, `SandboxRestrictions`).
 * `Object.freeze` does not stop `Set.prototype.add`, so these override the mutators to throw, the way
 * Python's `frozenset` refuses them. Private: the public types are `ReadonlySet` and `ReadonlyMap`.
 *
 * @module
 */

import { codedError } from "./coded_error.ts";

function refuse(kind: string): never {
  throw codedError(TypeError, {
    code: "WFS_INVALID_OPTION",
    message: `Cannot modify a frozen ${kind}`,
    hint: "Create a new one instead (the matcher and restriction methods return new objects)",
  });
}

class FrozenSet<T> extends Set<T> {
  constructor(values: Iterable<T>) {
    super();
    for (const value of values) super.add(value);
    Object.freeze(this);
  }
  override add(_value: T): this {
    return refuse("set");
  }
  override delete(_value: T): boolean {
    return refuse("set");
  }
  override clear(): void {
    refuse("set");
  }
}

class FrozenMap<K, V> extends Map<K, V> {
  constructor(entries: Iterable<readonly [K, V]>) {
    super();
    for (const [key, value] of entries) super.set(key, value);
    Object.freeze(this);
  }
  override set(_key: K, _value: V): this {
    return refuse("map");
  }
  override delete(_key: K): boolean {
    return refuse("map");
  }
  override clear(): void {
    refuse("map");
  }
}

/**
 * A set whose mutators throw.
 *
 * @example
 * ```ts
 * import { frozenSet } from "./_frozen_collections.ts";
 * const names = frozenSet(["now"]);
 * names.has("now"); // true
 * ```
 */
export function frozenSet<T>(values: Iterable<T> = []): ReadonlySet<T> {
  return new FrozenSet(values);
}

/**
 * A map whose mutators throw.
 *
 * @example
 * ```ts
 * import { frozenMap } from "./_frozen_collections.ts";
 * const children = frozenMap([["Date", 1]]);
 * children.get("Date"); // 1
 * ```
 */
export function frozenMap<K, V>(entries: Iterable<readonly [K, V]> = []): ReadonlyMap<K, V> {
  return new FrozenMap(entries);
}
