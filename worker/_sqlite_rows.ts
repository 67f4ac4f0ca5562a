/**
 * `SqliteHistoryStore`'s rows in and out: what each table's columns hold, the checksums they are
 * written with, and the checks they pass when read back (./_sqlite_checksum.ts). A row that fails
 * them is reported as damage of the workflow it belongs to (`WFS_STORE_CORRUPT`, naming the
 * workflow, the run, the event when there is one, and the recovery), never returned.
 * @module
 */

import { codedError } from "../sandbox/coded_error.ts";
import { CLOSED_STATUSES } from "./_history_store_checks.ts";
import { eventChecksum, genesis, rowChecksum, sameChecksum } from "./_sqlite_checksum.ts";
import {
  type ActivityTaskInput,
  type ExecutionInfo,
  type ExecutionStatus,
  type HistoryEvent,
  HistoryStoreError,
  type TaskFailure,
  type TimerInput,
} from "./history_store.ts";

/** The columns of `runs`, in the order the row checksum covers them (the checksum last). */
export const RUN_COLUMNS =
  "id, workflow_id, run_id, workflow_type, task_queue, status, start_time, close_time, last_event_id, task_pending, task_failure, retry_at, next_run_id, head, checksum";

/** A run as the store holds it: its description, its row id and the head of its event chain. */
export interface StoredRun {
  readonly id: number;
  readonly info: ExecutionInfo;
  /** The checksum of its last event (the genesis before any). */
  readonly head: Uint8Array;
}

/** The values of a run's row, in {@linkcode RUN_COLUMNS} order. */
export function runRow(run: StoredRun): unknown[] {
  const info = run.info;
  const columns = runColumns(run);
  const checksum = rowChecksum("runs", info.workflowId, info.runId, columns);
  return [columns[0], info.workflowId, info.runId, ...columns.slice(1), checksum];
}

/** The values the checksum of a run's row covers besides its ids: `id`, then the columns after `run_id` but the checksum. */
export function runColumns(run: StoredRun): unknown[] {
  const info = run.info;
  return [
    run.id,
    info.workflowType,
    info.taskQueue,
    info.status,
    info.startTime,
    info.closeTime ?? null,
    info.lastEventId,
    info.workflowTaskPending ? 1 : 0,
    info.taskFailure === undefined ? null : JSON.stringify(info.taskFailure),
    info.taskFailure?.nextAttemptAt ?? null,
    info.nextRunId ?? null,
    run.head,
  ];
}

/**
 * Reads a run's row, or returns what is wrong with it: a column of the wrong type, a checksum that
 * does not match its content, a value no store writes.
 */
export function decodeRun(row: Record<string, unknown>): StoredRun | string {
  const { id, workflow_id, run_id, workflow_type, task_queue, status, start_time, close_time, last_event_id, task_pending, task_failure, retry_at, next_run_id, head, checksum } = row;
  if (typeof workflow_id !== "string" || typeof run_id !== "string") return "its workflow id or run id is not text";
  const columns = [id, workflow_type, task_queue, status, start_time, close_time, last_event_id, task_pending, task_failure, retry_at, next_run_id, head];
  if (!sameChecksum(checksum, rowChecksum("runs", workflow_id, run_id, columns))) {
    return "its row's checksum does not match its content";
  }
  // Past the checksum, the row is what a store wrote; these checks guard against a store bug.
  if (
    typeof id !== "number" || typeof workflow_type !== "string" || typeof task_queue !== "string" ||
    typeof status !== "string" || !(status === "running" || CLOSED_STATUSES.has(status)) ||
    typeof start_time !== "number" || typeof last_event_id !== "number" || !(head instanceof Uint8Array)
  ) {
    return "its row holds a value no store writes";
  }
  const info: ExecutionInfo = {
    workflowId: workflow_id,
    runId: run_id,
    workflowType: workflow_type,
    taskQueue: task_queue,
    status: status as ExecutionStatus,
    startTime: start_time,
    lastEventId: last_event_id,
    workflowTaskPending: task_pending === 1,
  };
  if (typeof close_time === "number") info.closeTime = close_time;
  if (typeof task_failure === "string") info.taskFailure = JSON.parse(task_failure) as TaskFailure;
  if (typeof next_run_id === "string") info.nextRunId = next_run_id;
  return { id, info, head };
}

/** A stored event before it is checked: a row of `events`. */
export interface EventRow {
  event_id: unknown;
  body: unknown;
  checksum: unknown;
}

/** The checksum chain of a run's events as they are written. */
export class EventChain {
  #head: Uint8Array;

  /** Continues from `head` (a run's stored head), or starts a new run's chain. */
  constructor(head: Uint8Array) {
    this.#head = head;
  }

  /** Starts the chain of a new run. */
  static start(workflowId: string, runId: string): EventChain {
    return new EventChain(genesis(workflowId, runId));
  }

  /** The stored JSON and checksum of `event`, the next of the chain. */
  add(event: HistoryEvent): { body: string; checksum: Uint8Array } {
    const body = JSON.stringify(event);
    this.#head = eventChecksum(this.#head, event.eventId, body);
    return { body, checksum: this.#head };
  }

  /** The checksum of the last event added. */
  get head(): Uint8Array {
    return this.#head;
  }
}

/** What is wrong with a run's stored events, at which event. */
export interface ChainBreak {
  readonly eventId: number;
  readonly problem: string;
}

/**
 * Checks and parses the events after `after` of `run`: `seed` is the stored checksum of event
 * `after` (`undefined` when it is missing), ignored when `after` is 0; `rows` its events from
 * `after + 1` to its last event id, in order. Every event must be there, in order, chained to the
 * one before, and the last must reach the run's head.
 */
export function readChain(run: StoredRun, after: number, seed: unknown, rows: Iterable<EventRow>): HistoryEvent[] | ChainBreak {
  const { workflowId, runId, lastEventId } = run.info;
  if (after > lastEventId) return [];
  let previous: unknown = after === 0 ? genesis(workflowId, runId) : seed;
  if (!(previous instanceof Uint8Array)) return { eventId: after, problem: `event ${after} is missing` };
  const events: HistoryEvent[] = [];
  let expected = after + 1;
  for (const row of rows) {
    if (expected > lastEventId) break;
    if (row.event_id !== expected) return { eventId: expected, problem: `event ${expected} is missing` };
    if (typeof row.body !== "string" || !sameChecksum(row.checksum, eventChecksum(previous as Uint8Array, expected, row.body))) {
      return { eventId: expected, problem: `event ${expected} is damaged: its checksum does not match its content and the events before it` };
    }
    let event: HistoryEvent;
    try {
      event = JSON.parse(row.body) as HistoryEvent;
    } catch {
      return { eventId: expected, problem: `event ${expected} is not JSON` };
    }
    events.push(event);
    previous = row.checksum;
    expected++;
  }
  if (expected <= lastEventId) return { eventId: expected, problem: `event ${expected} is missing (the run records ${lastEventId} events)` };
  if (!sameChecksum(previous, run.head)) {
    return { eventId: lastEventId, problem: `event ${lastEventId} does not end the history the run records (the chain's head differs)` };
  }
  return events;
}

/** Reads a timer's row checked against the run it belongs to, or says what is wrong with it. */
export function decodeTimer(workflowId: string, runId: string, row: { timer_id: unknown; fires_at: unknown; body: unknown; checksum: unknown }): TimerInput | string {
  if (!sameChecksum(row.checksum, rowChecksum("timers", workflowId, runId, [row.timer_id, row.fires_at, row.body]))) {
    return `its timer ${JSON.stringify(row.timer_id)} is damaged: the row's checksum does not match its content`;
  }
  return JSON.parse(row.body as string) as TimerInput;
}

/** The values of a timer's row: `timer_id, fires_at, body, checksum`. */
export function timerRow(workflowId: string, runId: string, timer: TimerInput): unknown[] {
  const columns = [timer.timerId, timer.firesAt, JSON.stringify(timer)];
  return [...columns, rowChecksum("timers", workflowId, runId, columns)];
}

/** Reads an activity task's row checked against its run, or says what is wrong with it. */
export function decodeActivity(
  workflowId: string,
  runId: string,
  row: { activity_id: unknown; task_queue: unknown; ready_at: unknown; body: unknown; checksum: unknown },
): ActivityTaskInput | string {
  if (!sameChecksum(row.checksum, rowChecksum("activities", workflowId, runId, [row.activity_id, row.task_queue, row.ready_at, row.body]))) {
    return `its activity task ${JSON.stringify(row.activity_id)} is damaged: the row's checksum does not match its content`;
  }
  return JSON.parse(row.body as string) as ActivityTaskInput;
}

/** The values of an activity task's row: `activity_id, task_queue, ready_at, body, checksum`. */
export function activityRow(workflowId: string, runId: string, task: ActivityTaskInput): unknown[] {
  const columns = [task.activityId, task.taskQueue, task.readyAt, JSON.stringify(task)];
  return [...columns, rowChecksum("activities", workflowId, runId, columns)];
}

/** The columns a timer's or an activity task's checksum covers, from its row. */
function pendingColumns(table: "timers" | "activities", row: Record<string, unknown>): unknown[] {
  return table === "timers" ? [row.timer_id, row.fires_at, row.body] : [row.activity_id, row.task_queue, row.ready_at, row.body];
}

/**
 * The run a timer's or activity task's row really belongs to, among `runs`: the one its checksum
 * verifies against. A bit flipped in the row's `run` column makes it name another run, or none;
 * its checksum still names its owner, which is then the workflow to refuse.
 */
export function ownerOf(
  table: "timers" | "activities",
  row: Record<string, unknown>,
  runs: Iterable<{ workflowId: string; runId: string }>,
): { workflowId: string; runId: string } | undefined {
  const columns = pendingColumns(table, row);
  for (const run of runs) {
    if (sameChecksum(row.checksum, rowChecksum(table, run.workflowId, run.runId, columns))) return run;
  }
  return undefined;
}

/** Where damage was found, for its error. */
export interface Damage {
  /** What was being done: "Cannot read the history of workflow 'w'". */
  readonly action: string;
  readonly path: string;
  readonly workflowId: string;
  readonly runId?: string;
  readonly eventId?: number;
  readonly problem: string;
}

/** The `WFS_STORE_CORRUPT` error refusing one workflow, naming it, the event and the recovery. */
export function damaged(damage: Damage): HistoryStoreError {
  const fields: { workflowId: string; runId?: string; eventId?: number } = { workflowId: damage.workflowId };
  if (damage.runId !== undefined) fields.runId = damage.runId;
  if (damage.eventId !== undefined) fields.eventId = damage.eventId;
  return codedError(HistoryStoreError, {
    code: "WFS_STORE_CORRUPT",
    message: `${damage.action} (database '${damage.path}'): workflow '${damage.workflowId}'` +
      `${damage.runId === undefined ? "" : ` run '${damage.runId}'`} is damaged, ${damage.problem}`,
    hint: "Restore the database from a backup (docs/deploying.md, 'Restoring a backup'); " +
      "until then this workflow is refused and the others run",
  }, fields);
}
