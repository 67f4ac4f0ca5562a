/**
 * Reading another history store whole, for `SqliteHistoryStore`'s import: every run of every
 * workflow id with its events, pending timers and activity tasks, runs in the order they were
 * created (the latest last, which is the one `getExecution({ workflowId })` answers).
 * @module
 */

import type { ActivityTaskInput, ExecutionInfo, HistoryEvent, HistoryStore, TimerInput } from "./history_store.ts";

/** One run read from a store, with everything the store keeps of it. */
export interface ImportedRun {
  readonly info: ExecutionInfo;
  readonly events: HistoryEvent[];
  readonly timers: TimerInput[];
  readonly activities: ActivityTaskInput[];
}

/** The runs of one workflow id, oldest first. */
export interface ImportedWorkflow {
  readonly workflowId: string;
  readonly runs: ImportedRun[];
}

/** Reads every workflow of `source`. */
export async function readWholeStore(source: HistoryStore): Promise<ImportedWorkflow[]> {
  const timers = new Map<string, TimerInput[]>();
  for (const { workflowId, runId, ...timer } of await source.listTimers()) push(timers, runKey(workflowId, runId), timer);
  const activities = new Map<string, ActivityTaskInput[]>();
  for (const { workflowId, runId, ...task } of await source.listActivityTasks()) push(activities, runKey(workflowId, runId), task);
  const byWorkflow = new Map<string, ExecutionInfo[]>();
  for (const info of await source.listExecutions()) push(byWorkflow, info.workflowId, info);
  const workflows: ImportedWorkflow[] = [];
  for (const [workflowId, infos] of byWorkflow) {
    const latest = (await source.getExecution({ workflowId }))?.runId;
    // Listed by start time; the latest run goes last, whatever its start time says.
    const ordered = [...infos.filter((info) => info.runId !== latest), ...infos.filter((info) => info.runId === latest)];
    const runs: ImportedRun[] = [];
    for (const info of ordered) {
      const key = runKey(workflowId, info.runId);
      runs.push({ info, events: await source.readEvents(info), timers: timers.get(key) ?? [], activities: activities.get(key) ?? [] });
    }
    workflows.push({ workflowId, runs });
  }
  return workflows;
}

function runKey(workflowId: string, runId: string): string {
  return `${workflowId}\u0000${runId}`;
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
