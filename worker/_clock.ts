/**
 * The environment's clock: host time, plus the offset a time-skipping environment adds when it
 * skips ahead. Host time is `Date.now` captured before any workflow code runs.
 * @module
 */
import { hostNow } from "../sandbox/host_intrinsics.ts";

/**
 * Milliseconds since the epoch, skippable.
 *
 * @example
 * ```ts
 * import { Clock } from "./_clock.ts";
 * const clock = new Clock();
 * clock.skipTo(clock.now() + 60_000); // one minute later, at once
 * ```
 */
export class Clock {
  #offset = 0;

  now(): number {
    return hostNow() + this.#offset;
  }

  /** Moves the clock forward to `time` (never backward). */
  skipTo(time: number): void {
    const now = this.now();
    if (time > now) this.#offset += time - now;
  }
}
