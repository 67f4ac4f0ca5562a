/**
 * A full check of `SqliteHistoryStore`'s database: SQLite's `integrity_check` (pages, and every
 * index against its table, which `quick_check` skips) and every row's checksum, with every run's
 * event chain from its first event to its head. A read checks only the rows it reads, and a list
 * only the rows its query finds: damage in an index, or in a column a list filters on (a timer's
 * deadline, a run's pending flag), can keep a row out of a list, where no read sees it. This
 * finds those too.
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import { decodeActivity, decodeRun, decodeTimer, type EventRow, ownerOf, readChain, RUN_COLUMNS } from "./_sqlite_rows.ts";

/**
 * One problem `SqliteHistoryStore.verify()` found: in SQLite's structures (no workflow named), or
 * in a workflow's rows.
 *
 * @example
 * ```ts
 * import type { StoreProblem } from "./_sqlite_verify.ts";
 *
 * const problem: StoreProblem = { workflowId: "order-42", runId: "r1", eventId: 7, message: "workflow 'order-42' run 'r1': event 7 is damaged" };
 * ```
 */
export interface StoreProblem {
  /** The damaged workflow, when the damage is in its rows. */
  readonly workflowId?: string;
  readonly runId?: string;
  /** The first damaged or missing event, when the damage is in its history. */
  readonly eventId?: number;
  /** What is wrong. */
  readonly message: string;
}

/** What {@linkcode verifyDatabase} found. */
export interface VerifyFacts {
  readonly runs: number;
  readonly events: number;
  readonly problems: StoreProblem[];
}

function ids(run: { workflowId: string; runId: string }): { workflowId: string; runId: string } {
  return { workflowId: run.workflowId, runId: run.runId };
}

/** Checks everything in the database open on `db` (a read transaction of its own). */
export function verifyDatabase(db: DatabaseSync): VerifyFacts {
  const problems: StoreProblem[] = [];
  for (const row of db.prepare("PRAGMA integrity_check(100)").all()) {
    const line = String(Object.values(row)[0]);
    if (line !== "ok") problems.push({ message: `SQLite's integrity_check: ${line}` });
  }
  let runs = 0;
  let events = 0;
  const idsOf = new Map<number, { workflowId: string; runId: string; running: boolean }>();
  const damagedRuns = new Set<unknown>();
  // Every statement is held here until the end: on Node 22.15 an iterator does not keep its
  // statement alive, and a statement collected mid-iteration fails with "statement has been
  // finalized" (measured; later Node versions keep it).
  const statements: StatementSync[] = [];
  const prepare = (sql: string) => {
    const statement = db.prepare(sql);
    statements.push(statement);
    return statement;
  };
  const eventsOf = prepare("SELECT event_id, body, checksum FROM events WHERE run = ? ORDER BY event_id");
  for (const row of prepare(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY id`).iterate()) {
    runs++;
    const record = row as Record<string, unknown>;
    const run = decodeRun(record);
    const workflowId = typeof record.workflow_id === "string" ? record.workflow_id : String(record.workflow_id);
    const runId = typeof record.run_id === "string" ? record.run_id : String(record.run_id);
    if (typeof run === "string") {
      damagedRuns.add(record.id);
      problems.push({ workflowId, runId, message: `workflow '${workflowId}' run '${runId}': ${run}` });
      continue;
    }
    idsOf.set(run.id, { workflowId, runId, running: run.info.status === "running" });
    const rows = eventsOf.all(run.id) as unknown as EventRow[];
    events += rows.length;
    const extra = rows.filter((event) => typeof event.event_id !== "number" || event.event_id > run.info.lastEventId);
    const chain = readChain(run, 0, undefined, rows.filter((event) => !extra.includes(event)));
    if (!Array.isArray(chain)) {
      problems.push({ workflowId, runId, eventId: chain.eventId, message: `workflow '${workflowId}' run '${runId}': ${chain.problem}` });
    } else if (extra.length > 0) {
      problems.push({
        workflowId,
        runId,
        eventId: Number(extra[0]!.event_id),
        message: `workflow '${workflowId}' run '${runId}': event ${String(extra[0]!.event_id)} follows event ${run.info.lastEventId}, the last one the run records`,
      });
    }
  }
  const pending = [
    ["timers", "SELECT run, timer_id, fires_at, body, checksum FROM timers"],
    ["activities", "SELECT run, activity_id, task_queue, ready_at, body, checksum FROM activities"],
  ] as const;
  for (const [table, sql] of pending) {
    for (const row of prepare(sql).iterate()) {
      const record = row as Record<string, unknown> & { run: number };
      const named = idsOf.get(record.run);
      const decoded = named === undefined
        ? undefined
        : table === "timers"
        ? decodeTimer(named.workflowId, named.runId, record as never)
        : decodeActivity(named.workflowId, named.runId, record as never);
      if (named !== undefined && decoded !== undefined && typeof decoded !== "string") {
        if (!named.running) problems.push({ ...ids(named), message: `workflow '${named.workflowId}' run '${named.runId}': it is closed but keeps pending ${table}` });
        continue;
      }
      // The row fails its checksum against the run it names, or names no run: find the run it
      // verifies against, its owner (a flip in the row's run column), to name the right workflow.
      const owner = ownerOf(table, record, idsOf.values());
      if (owner !== undefined && owner !== named) {
        problems.push({ ...ids(owner), message: `workflow '${owner.workflowId}' run '${owner.runId}': a row of its ${table} names run ${record.run} instead` });
      } else if (named !== undefined) {
        problems.push({ ...ids(named), message: `workflow '${named.workflowId}' run '${named.runId}': ${decoded}` });
      } else if (!damagedRuns.has(record.run)) {
        // A damaged run is reported above; otherwise the row belongs to no run the database holds.
        problems.push({ message: `${table}: a row belongs to run ${record.run}, which the database does not hold, and verifies against none` });
      }
    }
  }
  for (const row of prepare("SELECT DISTINCT run FROM events WHERE run NOT IN (SELECT id FROM runs)").iterate()) {
    problems.push({ message: `events: rows belong to run ${String((row as { run: unknown }).run)}, which the database does not hold` });
  }
  statements.length = 0;
  return { runs, events, problems };
}
