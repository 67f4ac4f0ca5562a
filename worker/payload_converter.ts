/**
 * The payload converter: every value that crosses between the host and a workflow (arguments,
 * results, signal and query payloads, activity results, failure details) is turned into a
 * {@linkcode Payload} on one side and back into a fresh value on the other. Workflow code
 * therefore never holds a reference to history or to a host object, and a mutation on either side
 * stays there. JSON by default, as in Temporal; replace it with `payloadConverter` on
 * `WorkflowEnvironment.startLocal()` and `Replayer`.
 * @module
 */
import { codedError, composeMessage, type ErrorCode, errorDocs } from "../sandbox/coded_error.ts";
import { brandClass, hasBrand } from "../sandbox/error_brand.ts";

/**
 * A converted value, as stored in history. `metadata.encoding` says how `data` was written.
 *
 * @example
 * ```ts
 * import type { Payload } from "./payload_converter.ts";
 * const payload: Payload = { metadata: { encoding: "json/plain" }, data: '{"name":"Ada"}' };
 * ```
 */
export interface Payload {
  metadata: { encoding: string; [key: string]: string };
  /** The encoded value; absent for `undefined`. */
  data?: string;
}

/**
 * Turns values into payloads and back. Both directions must produce fresh values: a converter that
 * returns its input by reference defeats the boundary.
 *
 * @example
 * ```ts
 * import type { Payload, PayloadConverter } from "./payload_converter.ts";
 * // Keeps Date values as Dates (JSON would turn them into strings).
 * const dates: PayloadConverter = {
 *   toPayload: (value) => ({ metadata: { encoding: "json/dates" }, data: JSON.stringify(value) }),
 *   fromPayload: (payload: Payload) =>
 *     payload.data === undefined ? undefined : JSON.parse(payload.data, (_key, value) =>
 *       typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value) ? new Date(value) : value),
 * };
 * ```
 */
export interface PayloadConverter {
  toPayload(value: unknown): Payload;
  fromPayload(payload: Payload): unknown;
}

/**
 * The error a converter throws for a value it cannot encode or a payload it cannot decode
 * (`WFS_PAYLOAD`).
 *
 * @example
 * ```ts
 * import { defaultPayloadConverter, PayloadConverterError } from "./payload_converter.ts";
 * try {
 *   defaultPayloadConverter.toPayload(10n);
 * } catch (error) {
 *   error instanceof PayloadConverterError; // true
 * }
 * ```
 */
export class PayloadConverterError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: ErrorCode;
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;

  /**
   * `message` says what could not be converted (without the fix); `hint` is the fix. A custom
   * converter may throw one for a value it does not handle.
   */
  constructor(message: string, options?: ErrorOptions & { readonly hint?: string }) {
    const hint = options?.hint ?? PayloadConverterError.HINT;
    super(composeMessage({ code: "WFS_PAYLOAD", message, hint }), options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = "WFS_PAYLOAD";
    this.hint = hint;
    this.docs = errorDocs("WFS_PAYLOAD");
  }

  /** The fix when the thrower gives none. */
  static readonly HINT = "Pass plain data (objects, arrays, strings, numbers, booleans, null), or set a payloadConverter " +
    "that handles this type";

  /**
   * Whether `value` is a `PayloadConverterError` from any copy of this package.
   *
   * @example
   * ```ts
   * import { defaultPayloadConverter, PayloadConverterError } from "./payload_converter.ts";
   * try {
   *   defaultPayloadConverter.toPayload(10n);
   * } catch (error) {
   *   PayloadConverterError.is(error); // true
   * }
   * ```
   */
  static is(value: unknown): value is PayloadConverterError {
    return hasBrand(value, PayloadConverterError.brand);
  }
}
brandClass(PayloadConverterError, "error", "PayloadConverterError");

const NULL_ENCODING = "binary/null";
const JSON_ENCODING = "json/plain";

/**
 * JSON payloads: `undefined` is `binary/null`, everything else `JSON.stringify`, with the same
 * losses (`Date` becomes a string, `Map` an empty object). A value JSON cannot write (a `bigint`,
 * a cycle) throws a {@linkcode PayloadConverterError}.
 *
 * @example
 * ```ts
 * import { JsonPayloadConverter } from "./payload_converter.ts";
 * const converter = new JsonPayloadConverter();
 * const copy = converter.fromPayload(converter.toPayload({ a: [1, 2] })); // a new object
 * ```
 */
export class JsonPayloadConverter implements PayloadConverter {
  toPayload(value: unknown): Payload {
    if (value === undefined) return { metadata: { encoding: NULL_ENCODING } };
    let data: string | undefined;
    try {
      data = JSON.stringify(value);
    } catch (error) {
      throw codedError(PayloadConverterError, {
        code: "WFS_PAYLOAD",
        message: `Cannot convert a value to JSON: ${(error as Error).message}`,
        hint: PayloadConverterError.HINT,
        cause: error,
      });
    }
    if (data === undefined) {
      throw codedError(PayloadConverterError, {
        code: "WFS_PAYLOAD",
        message: `Cannot convert a ${typeof value} to JSON: JSON has no representation for it`,
        hint: "Pass plain data instead, or set a payloadConverter that handles this type",
      });
    }
    return { metadata: { encoding: JSON_ENCODING }, data };
  }

  fromPayload(payload: Payload): unknown {
    const encoding = payload?.metadata?.encoding;
    if (encoding === NULL_ENCODING) return undefined;
    if (encoding !== JSON_ENCODING || typeof payload.data !== "string") {
      throw codedError(PayloadConverterError, {
        code: "WFS_PAYLOAD",
        message: `Cannot decode a payload with encoding '${String(encoding)}': the JSON payload converter reads only ` +
          `'${JSON_ENCODING}' and '${NULL_ENCODING}'`,
        hint: "Use the payloadConverter that wrote this history",
      });
    }
    return JSON.parse(payload.data);
  }
}

/**
 * The converter used when none is configured.
 *
 * @example
 * ```ts
 * import { defaultPayloadConverter } from "./payload_converter.ts";
 * defaultPayloadConverter.toPayload("hi"); // { metadata: { encoding: "json/plain" }, data: '"hi"' }
 * ```
 */
export const defaultPayloadConverter: PayloadConverter = new JsonPayloadConverter();

/**
 * Converts a list of values.
 *
 * @example
 * ```ts
 * import { defaultPayloadConverter, toPayloads } from "./payload_converter.ts";
 * toPayloads(defaultPayloadConverter, ["a", 1]).length; // 2
 * ```
 */
export function toPayloads(converter: PayloadConverter, values: readonly unknown[]): Payload[] {
  return values.map((value) => converter.toPayload(value));
}

/**
 * Converts a list of payloads back into fresh values.
 *
 * @example
 * ```ts
 * import { defaultPayloadConverter, fromPayloads, toPayloads } from "./payload_converter.ts";
 * fromPayloads(defaultPayloadConverter, toPayloads(defaultPayloadConverter, [{ a: 1 }])); // [{ a: 1 }]
 * ```
 */
export function fromPayloads(converter: PayloadConverter, payloads: readonly Payload[] | undefined): unknown[] {
  return (payloads ?? []).map((payload) => converter.fromPayload(payload));
}
