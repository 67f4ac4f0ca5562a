/**
 * Durations as Temporal TypeScript accepts them: milliseconds, or a string such as `"500ms"`,
 * `"10s"`, `"5m"`, `"2h"`, `"1d"`.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";

/**
 * A duration: milliseconds, or a number with a unit (`ms`, `s`, `m`, `h`, `d`).
 *
 * @example
 * ```ts
 * import type { Duration } from "./_duration.ts";
 * const timeout: Duration = "30s";
 * ```
 */
export type Duration = number | string;

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Converts a duration to milliseconds, or returns an error message naming `what`.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./_duration.ts";
 * parseDuration("1.5s", "timeout"); // 1500
 * ```
 */
export function parseDuration(value: Duration, what: string): number {
  const ms = toMs(value);
  if (ms === undefined) {
    throw codedError(TypeError, {
      code: "WFS_INVALID_OPTION",
      message: `Invalid duration for '${what}': ${typeof value === "string" ? `'${value}'` : String(value)}`,
      hint: "Pass milliseconds (a non-negative number) or a string such as '500ms', '10s', '5m', '2h', '1d'",
    });
  }
  return ms;
}

/**
 * Whether `value` is a valid duration.
 *
 * @example
 * ```ts
 * import { isDuration } from "./_duration.ts";
 * isDuration("10 s"); // true
 * ```
 */
export function isDuration(value: unknown): value is Duration {
  return (typeof value === "number" || typeof value === "string") && toMs(value) !== undefined;
}

function toMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2] ?? "ms"]!;
}
