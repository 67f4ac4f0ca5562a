/**
 * The process's shutdown signals, what Temporal TypeScript's `Runtime` does with its
 * `shutdownSignals`: while a worker runs, the first of its signals shuts it down gracefully; a
 * further signal, while a worker is still shutting down, exits the process at once (the
 * impatient operator's second Ctrl-C, or a supervisor that does not wait).
 *
 * One registry per process holds one listener per signal for all the workers, so ten workers do
 * not add ten listeners (Node warns past ten), and the listeners exist only while a worker runs:
 * a process whose workers stopped gets the runtime's default handling back (Node and Deno restore
 * it when the last listener goes), and nothing of ours keeps it alive.
 * @module
 */
import { constants } from "node:os";
import nodeProcess from "node:process";
import type { ShutdownSignal } from "./worker_options.ts";

/**
 * What the registry needs of the process: its I/O, given as an argument so tests drive it with a
 * fake process.
 */
export interface SignalProcess {
  on(signal: ShutdownSignal, listener: () => void): unknown;
  off(signal: ShutdownSignal, listener: () => void): unknown;
  exit(code: number): void;
}

/** A running worker, as the registry sees it. */
export interface ShutdownSignalTarget {
  /** The signals that shut it down. */
  readonly signals: readonly ShutdownSignal[];
  /** The process received one of `signals`, the first one: shut down gracefully. */
  shutdown(signal: ShutdownSignal): void;
  /** A further signal arrived while this worker was shutting down: the process exits right after this returns. */
  exiting(signal: ShutdownSignal): void;
}

/**
 * The process's signal listeners for its running workers.
 *
 * @example
 * ```ts
 * import { ShutdownSignalRegistry } from "./_shutdown_signals.ts";
 * const registry = new ShutdownSignalRegistry({ on() {}, off() {}, exit() {} });
 * const unregister = registry.register({
 *   signals: ["SIGTERM"],
 *   shutdown: (signal) => console.log(`${signal}: shutting down`),
 *   exiting: (signal) => console.log(`${signal} again: exiting`),
 * });
 * unregister();
 * ```
 */
export class ShutdownSignalRegistry {
  readonly #process: SignalProcess;
  readonly #targets = new Set<ShutdownSignalTarget>();
  /** Targets a signal shut down that have not stopped yet: a signal now means "exit". */
  readonly #stopping = new Set<ShutdownSignalTarget>();
  readonly #listeners = new Map<ShutdownSignal, () => void>();

  constructor(process: SignalProcess) {
    this.#process = process;
  }

  /** Signals listened to now. */
  get listening(): ShutdownSignal[] {
    return [...this.#listeners.keys()];
  }

  /**
   * Listens to `target.signals` for `target` until the returned function is called (when the
   * worker has stopped). A signal the runtime cannot listen to on this platform (Deno on Windows
   * takes only SIGINT and SIGBREAK) is skipped.
   */
  register(target: ShutdownSignalTarget): () => void {
    this.#targets.add(target);
    for (const signal of target.signals) {
      if (this.#listeners.has(signal)) continue;
      const listener = () => this.#received(signal);
      try {
        this.#process.on(signal, listener);
        this.#listeners.set(signal, listener);
      } catch {
        // Not available on this platform: Deno on Windows listens only to SIGINT and SIGBREAK.
      }
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#targets.delete(target);
      this.#stopping.delete(target);
      const wanted = new Set([...this.#targets].flatMap((t) => t.signals));
      for (const [signal, listener] of [...this.#listeners]) {
        if (wanted.has(signal)) continue;
        this.#listeners.delete(signal);
        this.#process.off(signal, listener);
      }
    };
  }

  #received(signal: ShutdownSignal): void {
    if (this.#stopping.size > 0) {
      for (const target of this.#stopping) {
        try {
          target.exiting(signal);
        } catch {
          // A failing logger must not keep the process from exiting.
        }
      }
      // The shell's convention, so a supervisor sees which signal ended the process.
      this.#process.exit(128 + (signalNumber(signal) ?? 0));
      return;
    }
    for (const target of [...this.#targets]) {
      if (!target.signals.includes(signal)) continue;
      this.#stopping.add(target);
      target.shutdown(signal);
    }
  }
}

/** The signal's number on this platform (SIGTERM is 15), if it has one. */
export function signalNumber(signal: ShutdownSignal): number | undefined {
  return (constants.signals as Record<string, number | undefined>)[signal];
}

let processRegistry: ShutdownSignalRegistry | undefined;

/**
 * The registry of this process's signals (one per copy of the package: two copies each keep
 * their own listeners, which is harmless).
 *
 * @example
 * ```ts
 * import { processShutdownSignals } from "./_shutdown_signals.ts";
 * processShutdownSignals().listening; // [] while no worker runs
 * ```
 */
export function processShutdownSignals(): ShutdownSignalRegistry {
  processRegistry ??= new ShutdownSignalRegistry({
    on: (signal, listener) => nodeProcess.on(signal, listener),
    off: (signal, listener) => nodeProcess.off(signal, listener),
    exit: (code) => nodeProcess.exit(code),
  });
  return processRegistry;
}
