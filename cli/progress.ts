/**
 * A one-line progress bar on a terminal, and nothing anywhere else: redirected output, CI logs and
 * `--json` consumers never see it.
 * @module
 */

/** The stream a progress bar writes to. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

/** A progress bar. */
export interface Progress {
  /** Adds steps to the total. */
  plan(steps: number): void;
  /** Marks one step done and shows what comes next. */
  step(label: string): void;
  /** Erases the bar. */
  finish(): void;
}

/**
 * Creates a bar on `stream` if it is a terminal, else a bar that does nothing.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { createProgress } from "./progress.ts";
 * const progress = createProgress(process.stderr);
 * progress.plan(2);
 * progress.step("workflows.ts: loading");
 * progress.step("workflows.ts: measuring");
 * progress.finish();
 * ```
 */
export function createProgress(stream: ProgressStream): Progress {
  if (!stream.isTTY) return { plan() {}, step() {}, finish() {} };
  let total = 0;
  let done = 0;
  let shown = false;
  const draw = (label: string) => {
    const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 50));
    const filled = total === 0 ? 0 : Math.round((Math.min(done, total) / total) * width);
    const text = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${Math.min(done, total)}/${total} ${label}`;
    stream.write(`\r\x1b[2K${text.slice(0, (stream.columns ?? 80) - 1)}`);
    shown = true;
  };
  return {
    plan(steps) {
      total += steps;
    },
    step(label) {
      done++;
      draw(label);
    },
    finish() {
      if (shown) stream.write("\r\x1b[2K");
      shown = false;
    },
  };
}
