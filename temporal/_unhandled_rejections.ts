/**
 * Attributes unhandled promise rejections to the workflow whose activation is running. Temporal
 * finds the workflow of a rejected promise through its vm context
 * (`promise.constructor.constructor('return globalThis.__TEMPORAL_ACTIVATOR__')()`); sandboxed runs
 * share the host realm, so the sandbox uses time instead: activations run one at a time and drain
 * their microtasks before they return, and Node reports a rejection at the end of the tick in which
 * it happened, so a rejection reported while an activation runs belongs to that workflow.
 * @module
 */
import { workerErrors } from "./_host_sdk.ts";

/** A workflow that can be failed by an unhandled rejection. */
export interface RejectionTarget {
  setUnhandledRejection(error: Error): void;
  readonly runId: string;
}

interface State {
  active: RejectionTarget | undefined;
  users: number;
  readonly listener: (reason: unknown) => void;
}

// One listener per process, however many creators (and package copies) exist.
const KEY = Symbol.for("workflow-sandbox.temporal.unhandled-rejections");
const state: State = ((globalThis as Record<symbol, State | undefined>)[KEY] ??= {
  active: undefined,
  users: 0,
  listener(reason: unknown) {
    const target = state.active;
    if (target !== undefined) {
      target.setUnhandledRejection(new workerErrors.UnhandledRejectionError(`Unhandled Promise rejection: ${reason}`, reason));
      return;
    }
    // As Temporal's handler does (vm-shared.ts: setUnhandledRejectionHandler): a rejection no
    // workflow owns ends the process, as it would without any handler.
    console.error("An Unhandled Promise rejection could not be associated to a Workflow Run", { error: reason });
    throw new workerErrors.UnhandledRejectionError(`Unhandled Promise rejection for unknown Workflow Run id='undefined': ${reason}`, reason);
  },
});

/** Installs the process listener (once) for a creator; the returned function removes its claim. */
export function claimRejectionHandler(): () => void {
  if (state.users++ === 0) process.on("unhandledRejection", state.listener);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--state.users === 0) process.off("unhandledRejection", state.listener);
  };
}

/** Makes `target` the owner of rejections reported until the returned function is called. */
export function ownRejections(target: RejectionTarget): () => void {
  const previous = state.active;
  state.active = target;
  return () => {
    state.active = previous;
  };
}
