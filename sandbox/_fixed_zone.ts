/**
 * Local time in a fixed time zone, whatever the host's: what a `Date` made by a package in
 * deterministic mode answers for `getHours()`, `toString()` or `new Date(2024, 0, 1)`
 * (docs/determinism.md). UTC needs no arithmetic; any other IANA zone is read from `Intl`, which
 * carries its own time zone data, so two machines with the same runtime agree.
 * @module
 */

// Captured before any workflow code runs.
const HostDate = Date;
const hostUTC = Date.UTC;
const hostParse = Date.parse;
const HostDateTimeFormat = Intl.DateTimeFormat;
const {
  getTime,
  setTime,
  getUTCFullYear,
  getUTCMonth,
  getUTCDate,
  getUTCDay,
  getUTCHours,
  getUTCMinutes,
  getUTCSeconds,
  getUTCMilliseconds,
  setUTCFullYear,
  getFullYear: hostGetFullYear,
  getMonth: hostGetMonth,
  getDate: hostGetDate,
  getHours: hostGetHours,
  getMinutes: hostGetMinutes,
  getSeconds: hostGetSeconds,
  getMilliseconds: hostGetMilliseconds,
} = Date.prototype;
const { apply } = Reflect;
const { abs, floor } = Math;
const formatToParts = Intl.DateTimeFormat.prototype.formatToParts;

const UTC_NAMES: ReadonlySet<string> = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu"]);
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const ISO_LIKE = /^[+-]?\d{4,6}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?$/;

const pad = (value: number, width = 2): string => {
  let text = String(value < 0 ? -value : value);
  while (text.length < width) text = "0" + text;
  return value < 0 ? "-" + text : text;
};

/**
 * A time zone and locale fixed for a worker.
 *
 * @example
 * ```ts
 * import { FixedZone } from "./_fixed_zone.ts";
 * const zone = new FixedZone("Asia/Kolkata", "en-US");
 * zone.offset(0); // 19800000: UTC+05:30
 * zone.toString(0); // "Thu Jan 01 1970 05:30:00 GMT+0530 (India Standard Time)"
 * ```
 */
export class FixedZone {
  readonly timeZone: string;
  readonly locale: string;
  readonly #scratch = new HostDate(0);
  #utc: boolean | undefined;
  #fields: Intl.DateTimeFormat | undefined;
  #names: Intl.DateTimeFormat | undefined;
  readonly #offsets = new Map<number, number>();

  constructor(timeZone: string, locale: string) {
    this.timeZone = timeZone;
    this.locale = locale;
  }

  /** Whether the zone is UTC, whose offset is always 0 (asked of Intl on first use: ICU's zone data loads slowly). */
  get utc(): boolean {
    if (this.#utc === undefined) {
      const name = UTC_NAMES.has(this.timeZone)
        ? this.timeZone
        : new HostDateTimeFormat("en-US", { timeZone: this.timeZone }).resolvedOptions().timeZone;
      this.#utc = UTC_NAMES.has(name);
    }
    return this.#utc;
  }

  /** Milliseconds to add to the UTC instant `t` to get the zone's wall-clock time (as UTC fields). */
  offset(t: number): number {
    if (this.utc || t !== t) return 0;
    // Offsets change on whole minutes: cache by minute (zones change offsets rarely, so the map stays small).
    const minute = floor(t / 60_000);
    const known = this.#offsets.get(minute);
    if (known !== undefined) return known;
    const fields = this.#fields ??= new HostDateTimeFormat("en-US", {
      timeZone: this.timeZone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    const parts = apply(formatToParts, fields, [minute * 60_000]) as Intl.DateTimeFormatPart[];
    const value: Record<string, string> = {};
    for (const part of parts) value[part.type] = part.value;
    let year = Number(value.year);
    if (value.era === "BC" || value.era === "B") year = 1 - year;
    const scratch = this.#scratch;
    apply(setTime, scratch, [hostUTC(2000, Number(value.month) - 1, Number(value.day), Number(value.hour), Number(value.minute), Number(value.second))]);
    apply(setUTCFullYear, scratch, [year]);
    const offset = (apply(getTime, scratch, []) as number) - minute * 60_000;
    if (this.#offsets.size > 4096) this.#offsets.clear();
    this.#offsets.set(minute, offset);
    return offset;
  }

  /** The UTC instant whose wall-clock time in the zone is `local` (UTC fields); the later one in a fold. */
  fromLocal(local: number): number {
    if (this.utc || local !== local) return local;
    const guess = local - this.offset(local);
    return local - this.offset(guess);
  }

  /** The zone's long name at `t` in the locale (`Coordinated Universal Time`). */
  name(t: number): string {
    const names = this.#names ??= new HostDateTimeFormat(this.locale, { timeZone: this.timeZone, timeZoneName: "long" });
    const parts = apply(formatToParts, names, [t]) as Intl.DateTimeFormatPart[];
    for (const part of parts) if (part.type === "timeZoneName") return part.value;
    return this.timeZone;
  }

  /** `Date.prototype.toDateString` in the zone: `Thu Jan 01 1970`. */
  toDateString(t: number): string {
    if (t !== t) return "Invalid Date";
    const scratch = this.#local(t);
    return `${DAYS[apply(getUTCDay, scratch, []) as number]} ${MONTHS[apply(getUTCMonth, scratch, []) as number]} ` +
      `${pad(apply(getUTCDate, scratch, []) as number)} ${pad(apply(getUTCFullYear, scratch, []) as number, 4)}`;
  }

  /** `Date.prototype.toTimeString` in the zone: `00:00:00 GMT+0000 (Coordinated Universal Time)`. */
  toTimeString(t: number): string {
    if (t !== t) return "Invalid Date";
    const offset = this.offset(t) / 60_000;
    const scratch = this.#local(t);
    const sign = offset < 0 ? "-" : "+";
    const absolute = abs(offset);
    return `${pad(apply(getUTCHours, scratch, []) as number)}:${pad(apply(getUTCMinutes, scratch, []) as number)}:` +
      `${pad(apply(getUTCSeconds, scratch, []) as number)} GMT${sign}${pad(floor(absolute / 60))}${pad(absolute % 60)} ` +
      `(${this.name(t)})`;
  }

  /** `Date.prototype.toString` in the zone. */
  toString(t: number): string {
    return t !== t ? "Invalid Date" : `${this.toDateString(t)} ${this.toTimeString(t)}`;
  }

  /**
   * `Date.parse` of a date-time string without an offset, read in the zone (the host would read it
   * in its own). ISO-like strings and the forms V8 accepts with a trailing zone are read as UTC
   * fields first; anything else falls back to the host's fields.
   */
  parseLocal(text: string): number {
    let local = hostParse(ISO_LIKE.test(text) ? `${text}Z` : `${text} GMT`);
    if (local !== local) {
      const host = hostParse(text);
      if (host !== host) return NaN;
      const date = new HostDate(host);
      local = hostUTC(
        apply(hostGetFullYear, date, []) as number,
        apply(hostGetMonth, date, []) as number,
        apply(hostGetDate, date, []) as number,
        apply(hostGetHours, date, []) as number,
        apply(hostGetMinutes, date, []) as number,
        apply(hostGetSeconds, date, []) as number,
        apply(hostGetMilliseconds, date, []) as number,
      );
      const scratch = this.#scratch;
      apply(setTime, scratch, [local]);
      apply(setUTCFullYear, scratch, [apply(hostGetFullYear, date, [])]);
      local = apply(getTime, scratch, []) as number;
    }
    return this.fromLocal(local);
  }

  /** A scratch date holding the wall-clock time of `t` as UTC fields (valid until the next call). */
  #local(t: number): Date {
    const scratch = this.#scratch;
    apply(setTime, scratch, [t + this.offset(t)]);
    return scratch;
  }

  /** The milliseconds of `t`'s wall-clock time, for getters that need one field. */
  local(t: number): number {
    return t + this.offset(t);
  }
}

/** `getUTCMilliseconds` and the other UTC getters, captured, for the local-time methods. */
export const UTC_GETTERS = {
  getFullYear: getUTCFullYear,
  getMonth: getUTCMonth,
  getDate: getUTCDate,
  getDay: getUTCDay,
  getHours: getUTCHours,
  getMinutes: getUTCMinutes,
  getSeconds: getUTCSeconds,
  getMilliseconds: getUTCMilliseconds,
} as const;
