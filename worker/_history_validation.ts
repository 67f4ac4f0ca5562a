/**
 * Checks a history's shape before it is replayed, in the replayer and in the engine: an invalid
 * history is `WFS_HISTORY_INVALID`, naming the event (its id and type), never a bare `TypeError`
 * nor a `NondeterminismError` ("Workflow code changed") for what is really a damaged or foreign
 * history. Checked: the history is an object with an `events` array (or an array of events); every
 * event is an object with a positive integer `eventId` and a known `type`; ids run 1, 2, 3, ...
 * with none missing (a deleted event), repeated or out of order; `WorkflowExecutionStarted` is
 * the first event and only the first.
 * @module
 */
import { codedError } from "../sandbox/coded_error.ts";
import type { HistoryEvent } from "./history_store.ts";
import { WORKFLOW_EVENT_TYPES } from "./workflow_history.ts";

const KNOWN_TYPES: ReadonlySet<string> = new Set([
  ...WORKFLOW_EVENT_TYPES.inputs,
  WORKFLOW_EVENT_TYPES.taskCompleted,
  ...WORKFLOW_EVENT_TYPES.commands,
]);

/** The event an invalid history is reported at. */
export interface InvalidEvent {
  readonly eventId?: unknown;
  readonly type?: unknown;
}

/**
 * The `WFS_HISTORY_INVALID` error: `subject` says which history (`Cannot replay workflow 'w' run
 * 'r'`), `what` what is wrong with it; `event` (when the problem is at one event) becomes the
 * error's `eventId` and `eventType`.
 *
 * @example
 * ```ts
 * import { historyInvalid } from "./_history_validation.ts";
 * const error = historyInvalid("Cannot replay workflow 'w' run 'r'", "event 4 ('TimerFiredX') has an unknown type", { eventId: 4, type: "TimerFiredX" });
 * error.code; // "WFS_HISTORY_INVALID"
 * ```
 */
export function historyInvalid(subject: string, what: string, event?: InvalidEvent): Error {
  const fields: { eventId?: number; eventType?: string } = {};
  if (typeof event?.eventId === "number") fields.eventId = event.eventId;
  if (typeof event?.type === "string") fields.eventType = event.type;
  return codedError(Error, {
    code: "WFS_HISTORY_INVALID",
    message: `${subject}: ${what}. The history was not written by this worker or is damaged`,
    hint: "Check where it came from: replay exactly what handle.fetchHistory() returned, saved without changes",
  }, fields);
}

/**
 * The events of a history as the replayer takes it (a `WorkflowHistory` or an array of events),
 * or `WFS_HISTORY_INVALID` when it is neither.
 *
 * @example
 * ```ts
 * import { eventsOf } from "./_history_validation.ts";
 * eventsOf({ workflowId: "w", runId: "r", events: [] }, "Cannot replay").length; // 0
 * ```
 */
export function eventsOf(history: unknown, subject: string): readonly HistoryEvent[] {
  if (Array.isArray(history)) return history;
  if (typeof history !== "object" || history === null) {
    throw historyInvalid(
      subject,
      `the history is ${describe(history)}, not what handle.fetchHistory() returns (an object with 'events') nor an array of events`,
    );
  }
  const events = (history as { events?: unknown }).events;
  if (!Array.isArray(events)) throw historyInvalid(subject, `the history's 'events' is ${describe(events)}, not an array`);
  return events;
}

/**
 * Checks `events`, which continue a history after event `afterEventId` (0: the whole history).
 *
 * @example
 * ```ts
 * import { validateEvents } from "./_history_validation.ts";
 * validateEvents([{ eventId: 1, type: "WorkflowExecutionStarted", timestamp: 0 }], 0, "Cannot replay");
 * ```
 */
export function validateEvents(events: readonly unknown[], afterEventId: number, subject: string): void {
  if (afterEventId === 0 && events.length === 0) {
    throw historyInvalid(subject, "the history has no events: its first event, 'WorkflowExecutionStarted', is missing");
  }
  let previous: { eventId: number; type: string } | undefined;
  for (let index = 0; index < events.length; index++) {
    const event = events[index] as InvalidEvent | null | undefined;
    const after = previous === undefined ? (afterEventId === 0 ? "at the start" : `after event ${afterEventId}`) : `after event ${previous.eventId} ('${previous.type}')`;
    if (typeof event !== "object" || event === null || Array.isArray(event)) {
      throw historyInvalid(subject, `the event at index ${index} (${after}) is ${describe(event)}, not an event object`);
    }
    const { eventId, type } = event;
    if (typeof type !== "string" || type === "") {
      throw historyInvalid(subject, `the event at index ${index} (${after}) has no type: its 'type' is ${describe(type)}`, event);
    }
    if (typeof eventId !== "number" || !Number.isInteger(eventId) || eventId < 1) {
      throw historyInvalid(subject, `the event at index ${index} ('${type}', ${after}): its 'eventId' is ${describe(eventId)}, not a positive integer`, event);
    }
    const expected = (previous?.eventId ?? afterEventId) + 1;
    if (eventId !== expected) {
      const later = eventId > expected && events.slice(index + 1).some((e) => (e as InvalidEvent | null)?.eventId === expected);
      const problem = previous !== undefined && eventId === previous.eventId
        ? `repeats the id of the event before it ('${previous.type}')`
        : eventId < expected || later
        ? `comes ${after}${later ? `, before event ${expected}` : ""}: out of order (event ids run 1, 2, 3, ... in history order)`
        : `comes ${after}: ${expected === eventId - 1 ? `event ${expected} is` : `events ${expected} to ${eventId - 1} are`} missing (deleted?)`;
      throw historyInvalid(subject, `event ${eventId} ('${type}') ${problem}`, event);
    }
    if (!KNOWN_TYPES.has(type)) {
      throw historyInvalid(
        subject,
        `event ${eventId} has the unknown type '${type}' (this worker writes ${[...KNOWN_TYPES].map((t) => `'${t}'`).join(", ")})`,
        event,
      );
    }
    if ((eventId === 1) !== (type === "WorkflowExecutionStarted")) {
      throw historyInvalid(
        subject,
        eventId === 1
          ? `its first event is '${type}', not 'WorkflowExecutionStarted'`
          : `event ${eventId} is a second 'WorkflowExecutionStarted': a run starts once, at event 1`,
        event,
      );
    }
    previous = { eventId, type };
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "undefined":
      return "missing";
    case "string":
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case "number":
    case "boolean":
    case "bigint":
      return `${typeof value} ${String(value)}`;
    case "object":
      return "an object";
    default:
      return `a ${typeof value}`;
  }
}
