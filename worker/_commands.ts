/**
 * Commands (what a workflow task asks for) and their history events. A replayed task must produce
 * the commands its recorded events say it produced; the first difference is a
 * `NondeterminismError` naming the event, the command and the workflow file:line that issued it.
 * @module
 */
import type { HistoryEvent } from "./history_store.ts";
import type { FailureData } from "./failure.ts";
import type { Payload } from "./payload_converter.ts";

/** Options of a scheduled activity, as recorded (absolute milliseconds, no strings). */
export interface ActivityOptionsData {
  taskQueue: string;
  startToCloseTimeoutMs?: number;
  scheduleToCloseTimeoutMs?: number;
  cancellationType: "TRY_CANCEL" | "WAIT_CANCELLATION_COMPLETED" | "ABANDON";
  retry: {
    initialIntervalMs: number;
    backoffCoefficient: number;
    maximumIntervalMs: number;
    /** 0: unlimited. */
    maximumAttempts: number;
    nonRetryableErrorTypes: string[];
  };
}

/** A command of a workflow task. `origin` records where workflow code issued it (replay only). */
export type Command = (
  | { type: "ScheduleActivity"; seq: number; activityType: string; args: Payload[]; options: ActivityOptionsData }
  | { type: "RequestCancelActivity"; seq: number }
  | { type: "StartTimer"; seq: number; durationMs: number }
  | { type: "CancelTimer"; seq: number }
  | { type: "SetPatchMarker"; patchId: string; deprecated: boolean }
  | { type: "CompleteWorkflow"; result: Payload }
  | { type: "FailWorkflow"; failure: FailureData }
  | { type: "CancelWorkflow" }
  | { type: "ContinueAsNew"; workflowType: string; taskQueue: string; args: Payload[] }
) & { origin?: CommandOrigin };

/** Where workflow code issued a command: its stack, which `errorLocation()` reads. */
export interface CommandOrigin {
  readonly stack?: string;
}

/** The history event type each command is recorded as. */
export const COMMAND_EVENT: Readonly<Record<Command["type"], string>> = Object.freeze({
  ScheduleActivity: "ActivityTaskScheduled",
  RequestCancelActivity: "ActivityTaskCancelRequested",
  StartTimer: "TimerStarted",
  CancelTimer: "TimerCanceled",
  SetPatchMarker: "MarkerRecorded",
  CompleteWorkflow: "WorkflowExecutionCompleted",
  FailWorkflow: "WorkflowExecutionFailed",
  CancelWorkflow: "WorkflowExecutionCanceled",
  ContinueAsNew: "WorkflowExecutionContinuedAsNew",
});

const COMMAND_EVENTS: ReadonlySet<string> = new Set(Object.values(COMMAND_EVENT));

/** Whether an event records a command (it follows a `WorkflowTaskCompleted` event). */
export function isCommandEvent(event: HistoryEvent): boolean {
  return COMMAND_EVENTS.has(event.type);
}

/** The events that close a run. */
export const CLOSING_EVENTS: ReadonlySet<string> = new Set([
  "WorkflowExecutionCompleted",
  "WorkflowExecutionFailed",
  "WorkflowExecutionCanceled",
  "WorkflowExecutionContinuedAsNew",
  "WorkflowExecutionTerminated",
]);

/** Short description of a command for messages. */
export function describeCommand(command: Command): string {
  switch (command.type) {
    case "ScheduleActivity":
      return `ActivityTaskScheduled (activity '${command.activityType}', id ${command.seq})`;
    case "RequestCancelActivity":
      return `ActivityTaskCancelRequested (activity id ${command.seq})`;
    case "StartTimer":
      return `TimerStarted (timer ${command.seq}, ${command.durationMs} ms)`;
    case "CancelTimer":
      return `TimerCanceled (timer ${command.seq})`;
    case "SetPatchMarker":
      return `MarkerRecorded (patch '${command.patchId}')`;
    default:
      return COMMAND_EVENT[command.type];
  }
}

/** Short description of a recorded command event for messages. */
export function describeEvent(event: HistoryEvent): string {
  switch (event.type) {
    case "ActivityTaskScheduled":
      return `ActivityTaskScheduled (activity '${event.activityType}', id ${event.activityId})`;
    case "ActivityTaskCancelRequested":
      return `ActivityTaskCancelRequested (activity id ${event.activityId})`;
    case "TimerStarted":
      return `TimerStarted (timer ${event.timerId}, ${event.durationMs} ms)`;
    case "TimerCanceled":
      return `TimerCanceled (timer ${event.timerId})`;
    case "MarkerRecorded":
      return `MarkerRecorded (patch '${event.patchId}')`;
    default:
      return event.type;
  }
}

/** Whether a produced command is the one an event recorded. */
export function commandMatchesEvent(command: Command, event: HistoryEvent): boolean {
  if (COMMAND_EVENT[command.type] !== event.type) return false;
  switch (command.type) {
    case "ScheduleActivity":
      return event.activityId === String(command.seq) && event.activityType === command.activityType;
    case "RequestCancelActivity":
      return event.activityId === String(command.seq);
    case "StartTimer":
    case "CancelTimer":
      return event.timerId === String(command.seq);
    case "SetPatchMarker":
      return event.patchId === command.patchId;
    default:
      return true;
  }
}

/** The result of matching a replayed task's commands against its recorded events. */
export type CommandMismatch = {
  /** The recorded event that differs, or undefined when the code produced an extra command. */
  event?: HistoryEvent;
  /** The produced command that differs, or undefined when the code produced too few. */
  command?: Command;
};

/**
 * Compares commands with recorded events in order. Recorded patch markers the code no longer
 * produces are skipped, so a `patched()` call may be removed once no history needs its old
 * branch (Temporal's rule).
 */
export function findCommandMismatch(commands: readonly Command[], recorded: readonly HistoryEvent[]): CommandMismatch | undefined {
  let i = 0;
  for (const event of recorded) {
    const command = commands[i];
    if (command !== undefined && commandMatchesEvent(command, event)) {
      i++;
      continue;
    }
    if (event.type === "MarkerRecorded") continue;
    return { event, command };
  }
  if (i < commands.length) return { command: commands[i] };
  return undefined;
}
