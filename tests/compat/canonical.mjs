// A workflow result as comparable text: JSON-like, key order kept, and exact where JSON is not
// (undefined, NaN, Infinity, -0, bigint, sparse arrays, Map, Set, Date, typed arrays). Prototypes
// are not compared: a class of the package is a fresh class in every sandboxed run, so its
// instances can never be the host's (an object with another prototype than Object.prototype or
// null is shown with its constructor's name, so a plain object and a Map still differ).
//
// Used by tests/compat/native_reference.mjs (in a process without the sandbox) and by
// tests/compat_test.ts, so both sides serialize the same way. Plain JavaScript: it runs on every
// runtime without a loader.

/**
 * @param {unknown} value
 * @returns {string}
 */
export function canonical(value) {
  return write(value, new Set());
}

/**
 * @param {unknown} value
 * @param {Set<object>} seen
 * @returns {string}
 */
function write(value, seen) {
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "number":
      return Object.is(value, -0) ? "-0" : Number.isFinite(value) ? JSON.stringify(value) : String(value);
    case "bigint":
      return `${value}n`;
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "symbol":
      return `Symbol(${value.description ?? ""})`;
    case "function":
      return `[function ${value.name}]`;
  }
  if (value === null) return "null";
  const object = /** @type {object} */ (value);
  if (seen.has(object)) return "[circular]";
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      const items = [];
      for (let index = 0; index < object.length; index++) items.push(index in object ? write(object[index], seen) : "<hole>");
      return `[${items.join(",")}]`;
    }
    const tag = Object.prototype.toString.call(object).slice(8, -1);
    // By tag, not instanceof: a run's Date or Map may be another constructor with the host's prototype.
    if (tag === "Date") {
      const time = Date.prototype.getTime.call(object);
      return `Date(${Number.isNaN(time) ? "Invalid" : new Date(time).toISOString()})`;
    }
    if (tag === "Map") return `Map{${[...Map.prototype.entries.call(object)].map(([k, v]) => `${write(k, seen)}=>${write(v, seen)}`).join(",")}}`;
    if (tag === "Set") return `Set{${[...Set.prototype.values.call(object)].map((v) => write(v, seen)).join(",")}}`;
    if (tag === "RegExp") return `RegExp(${RegExp.prototype.toString.call(object)})`;
    if (ArrayBuffer.isView(object)) return `${tag}[${Array.from(/** @type {Iterable<unknown>} */ (/** @type {unknown} */ (object)), (v) => write(v, seen)).join(",")}]`;
    const proto = Object.getPrototypeOf(object);
    const prefix = proto === Object.prototype || proto === null ? "" : `${proto?.constructor?.name ?? tag} `;
    const entries = Object.keys(object).map((key) => `${JSON.stringify(key)}:${write(/** @type {Record<string, unknown>} */ (object)[key], seen)}`);
    return `${prefix}{${entries.join(",")}}`;
  } finally {
    seen.delete(object);
  }
}
