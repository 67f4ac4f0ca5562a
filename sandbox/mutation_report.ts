/**
 * The mutation report: objects every run shares (the host's built-ins, passed-through modules and
 * the objects they export) are snapshotted before an activation and compared after it, and every
 * write is reported with the module and property. A write to a shared object is how state leaks
 * from one run into the next (Temporal TypeScript's #1476 and #1592 were such leaks).
 * @module
 */
import type { MutationWarning } from "./workflow_runner.ts";
import { getOwnPropertyDescriptor, hostGlobal, ownKeys } from "./host_intrinsics.ts";
import { ECMASCRIPT_GLOBALS } from "./ecmascript_globals.ts";

/** An object to watch, with how to name it in a report. */
export interface WatchedObject {
  readonly module: string;
  readonly label: string;
  readonly target: object;
}

type Slot = { value?: unknown; get?: unknown; set?: unknown };
type Snapshot = Map<WatchedObject, Map<PropertyKey, Slot>>;

/**
 * The host built-ins watched by default: each ECMAScript global, its prototype, and the host
 * global object itself.
 *
 * @example
 * ```ts
 * import { builtInTargets } from "./mutation_report.ts";
 * builtInTargets().some((t) => t.label === "Array.prototype"); // true
 * ```
 */
export function builtInTargets(): WatchedObject[] {
  const targets: WatchedObject[] = [{ module: "built-in", label: "globalThis", target: hostGlobal }];
  for (const name of ECMASCRIPT_GLOBALS) {
    const value = (hostGlobal as Record<string, unknown>)[name];
    if (name === "globalThis" || value === null || (typeof value !== "object" && typeof value !== "function")) continue;
    targets.push({ module: "built-in", label: name, target: value as object });
    const prototype = (value as { prototype?: unknown }).prototype;
    if (prototype && typeof prototype === "object") {
      targets.push({ module: "built-in", label: `${name}.prototype`, target: prototype });
    }
  }
  return targets;
}

/**
 * The objects a passed-through module exports, one level deep (the namespace itself is frozen).
 *
 * @example
 * ```ts
 * import { moduleTargets } from "./mutation_report.ts";
 * moduleTargets("node:path", await import("node:path")).length > 0; // true
 * ```
 */
export function moduleTargets(url: string, namespace: object): WatchedObject[] {
  const targets: WatchedObject[] = [];
  const seen = new Set<object>();
  for (const key of Object.keys(namespace)) {
    const value = (namespace as Record<string, unknown>)[key];
    if (value === null || (typeof value !== "object" && typeof value !== "function") || seen.has(value)) continue;
    seen.add(value);
    targets.push({ module: url, label: key, target: value });
  }
  return targets;
}

/**
 * Takes a snapshot of the watched objects; calling the result compares and lists the writes.
 *
 * @example
 * ```ts
 * import { builtInTargets, snapshot } from "./mutation_report.ts";
 * const compare = snapshot(builtInTargets());
 * (Array.prototype as any).leak = 1;
 * compare(); // [{ module: "built-in", property: "Array.prototype.leak", change: "added" }]
 * delete (Array.prototype as any).leak;
 * ```
 */
export function snapshot(targets: readonly WatchedObject[]): () => MutationWarning[] {
  const before: Snapshot = new Map();
  for (const watched of targets) before.set(watched, read(watched.target));
  // The comparison runs in every prepare (and every reported activation): it reads each property
  // once against the previous slots, without building a second map per object.
  return () => {
    const warnings: MutationWarning[] = [];
    for (const [watched, previous] of before) {
      let seen = 0;
      for (const key of ownKeys(watched.target)) {
        const descriptor = getOwnPropertyDescriptor(watched.target, key);
        if (!descriptor) continue;
        const old = previous.get(key);
        if (!old) {
          warnings.push(warning(watched, key, "added"));
          continue;
        }
        seen++;
        const changed = "value" in descriptor
          ? old.value !== descriptor.value && !(Number.isNaN(old.value) && Number.isNaN(descriptor.value))
          : old.get !== descriptor.get || old.set !== descriptor.set;
        if (changed) warnings.push(warning(watched, key, "changed"));
      }
      if (seen !== previous.size) {
        for (const key of previous.keys()) {
          if (!getOwnPropertyDescriptor(watched.target, key)) warnings.push(warning(watched, key, "deleted"));
        }
      }
    }
    return warnings;
  };
}

function read(target: object): Map<PropertyKey, Slot> {
  const slots = new Map<PropertyKey, Slot>();
  for (const key of ownKeys(target)) {
    const descriptor = getOwnPropertyDescriptor(target, key);
    if (!descriptor) continue;
    slots.set(key, "value" in descriptor ? { value: descriptor.value } : { get: descriptor.get, set: descriptor.set });
  }
  return slots;
}

function warning(watched: WatchedObject, key: PropertyKey, change: MutationWarning["change"]): MutationWarning {
  return { module: watched.module, property: `${watched.label}.${String(key)}`, change };
}
