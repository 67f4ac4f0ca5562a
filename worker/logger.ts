/**
 * The worker's logger (Temporal TypeScript's `Logger` shape): workflow task failures, activity
 * failures and `workflow.logger` lines go through it.
 * @module
 */

/**
 * Log levels, lowest first.
 *
 * @example
 * ```ts
 * import type { LogLevel } from "./logger.ts";
 * const level: LogLevel = "WARN";
 * ```
 */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

/**
 * Where the worker writes its log.
 *
 * @example
 * ```ts
 * import type { Logger } from "./logger.ts";
 * const lines: string[] = [];
 * const logger: Logger = {
 *   log: (level, message) => void lines.push(`${level} ${message}`),
 *   debug: (m, a) => logger.log("DEBUG", m, a),
 *   info: (m, a) => logger.log("INFO", m, a),
 *   warn: (m, a) => logger.log("WARN", m, a),
 *   error: (m, a) => logger.log("ERROR", m, a),
 * };
 * ```
 */
export interface Logger {
  log(level: LogLevel, message: string, attributes?: Record<string, unknown>): void;
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/**
 * One log line as {@linkcode DefaultLogger} hands it to its sink.
 *
 * @example
 * ```ts
 * import type { LogEntry } from "./logger.ts";
 * const show = (entry: LogEntry) => `${new Date(entry.timestampMs).toISOString()} ${entry.level} ${entry.message}`;
 * ```
 */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly attributes: Record<string, unknown>;
  readonly timestampMs: number;
}

const ORDER: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };
const hostNow = Date.now.bind(Date);

/**
 * Writes entries at or above `level` to `sink` (stderr by default).
 *
 * @example
 * ```ts
 * import { DefaultLogger, type LogEntry } from "./logger.ts";
 * const entries: LogEntry[] = [];
 * const logger = new DefaultLogger("DEBUG", (entry) => entries.push(entry));
 * logger.info("hello", { id: 1 });
 * ```
 */
export class DefaultLogger implements Logger {
  readonly level: LogLevel;
  readonly #sink: (entry: LogEntry) => void;

  constructor(level: LogLevel = "INFO", sink?: (entry: LogEntry) => void) {
    this.level = level;
    this.#sink = sink ?? ((entry) => {
      const attributes = Object.keys(entry.attributes).length > 0 ? ` ${safeJson(entry.attributes)}` : "";
      console.error(`${new Date(entry.timestampMs).toISOString()} [${entry.level}] ${entry.message}${attributes}`);
    });
  }

  log(level: LogLevel, message: string, attributes: Record<string, unknown> = {}): void {
    if (ORDER[level] < ORDER[this.level]) return;
    this.#sink({ level, message, attributes, timestampMs: hostNow() });
  }

  debug(message: string, attributes?: Record<string, unknown>): void {
    this.log("DEBUG", message, attributes);
  }

  info(message: string, attributes?: Record<string, unknown>): void {
    this.log("INFO", message, attributes);
  }

  warn(message: string, attributes?: Record<string, unknown>): void {
    this.log("WARN", message, attributes);
  }

  error(message: string, attributes?: Record<string, unknown>): void {
    this.log("ERROR", message, attributes);
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v) => (v instanceof Error ? { name: v.name, message: v.message } : v));
  } catch {
    return "[unserialisable attributes]";
  }
}
