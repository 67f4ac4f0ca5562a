/**
 * The payload converter: every value that crosses between the host and a workflow (arguments,
 * results, signal and query payloads, activity results, failure details) is turned into a
 * {@linkcode Payload} on one side and back into a fresh value on the other. Workflow code
 * therefore never holds a reference to history or to a host object, and a mutation on either side
 * stays there. JSON by default, as in Temporal; replace it with `payloadConverter` on
 * `WorkflowEnvironment.startLocal()` and `Replayer`.
 * @module
 */

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
  readonly code = "WFS_PAYLOAD";
  constructor(message: string, options?: ErrorOptions) {
    super(`${message} (WFS_PAYLOAD)`, options);
    this.name = "PayloadConverterError";
  }
}

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
      throw new PayloadConverterError(
        `Cannot convert a value to JSON: ${(error as Error).message}. Pass plain data (objects, arrays, strings, ` +
          `numbers, booleans, null), or set a payloadConverter that handles this type`,
        { cause: error },
      );
    }
    if (data === undefined) {
      throw new PayloadConverterError(
        `Cannot convert a ${typeof value} to JSON: JSON has no representation for it. Pass plain data instead`,
      );
    }
    return { metadata: { encoding: JSON_ENCODING }, data };
  }

  fromPayload(payload: Payload): unknown {
    const encoding = payload?.metadata?.encoding;
    if (encoding === NULL_ENCODING) return undefined;
    if (encoding !== JSON_ENCODING || typeof payload.data !== "string") {
      throw new PayloadConverterError(
        `Cannot decode a payload with encoding '${String(encoding)}': the JSON payload converter reads only ` +
          `'${JSON_ENCODING}' and '${NULL_ENCODING}'. Use the payloadConverter that wrote this history`,
      );
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
