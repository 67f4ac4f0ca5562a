/**
 * The global names defined by ECMAScript itself (ECMA-262 §19, "The Global Object", plus Annex B
 * `escape`/`unescape`). Sandboxed code reads them as constants: each functor receives them as
 * parameters, so `Math.max` or `JSON.parse` in a workflow loop costs what it costs natively. The
 * list is fixed (not read from the runtime) so that one compiled functor serves every runtime; a
 * name the runtime lacks (for example `Iterator` on Node 20) is passed as `undefined`.
 *
 * `eval` is left out on purpose: reached through the scope, it stays a direct eval, so code
 * evaluated with it sees the run's globals.
 * @module
 */
export const ECMASCRIPT_GLOBALS: readonly string[] = Object.freeze([
  "globalThis", "Infinity", "NaN", "undefined",
  "isFinite", "isNaN", "parseFloat", "parseInt",
  "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "unescape",
  "AggregateError", "Array", "ArrayBuffer", "Atomics", "BigInt", "BigInt64Array", "BigUint64Array",
  "Boolean", "DataView", "Date", "Error", "EvalError", "FinalizationRegistry", "Float16Array",
  "Float32Array", "Float64Array", "Function", "Int8Array", "Int16Array", "Int32Array", "Iterator",
  "JSON", "Map", "Math", "Number", "Object", "Promise", "Proxy", "RangeError", "ReferenceError",
  "Reflect", "RegExp", "Set", "SharedArrayBuffer", "String", "Symbol", "SyntaxError", "TypeError",
  "Uint8Array", "Uint8ClampedArray", "Uint16Array", "Uint32Array", "URIError", "WeakMap", "WeakRef",
  "WeakSet", "Intl", "DisposableStack", "AsyncDisposableStack", "SuppressedError",
]);
