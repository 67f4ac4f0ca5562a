/**
 * The checksums of `SqliteHistoryStore`'s rows. SQLite checksums WAL frames but never row
 * contents, so a bit flipped in a page on disk reads back as a wrong row with `integrity_check`
 * still "ok" (measured; see docs/deploying.md, "Threat model"). Every row therefore carries a
 * SHA-256 the store checks when it reads the row:
 *
 * - history events are chained per run: event `n`'s checksum covers event `n - 1`'s checksum and
 *   its own bytes, starting from a genesis that names the workflow id and run id, and the run's row
 *   keeps the last checksum (the head). A changed, missing, reordered or foreign event breaks the
 *   chain at that event, and a history cut short no longer reaches the head;
 * - a run's row, a timer and an activity task each checksum every column, with the workflow id
 *   and run id they belong to; a request id's row (`requests`) checksums its workflow id, request
 *   id and run.
 *
 * The checksums detect damage, not tampering: anyone who can write the file can recompute them.
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash, hash } from "node:crypto";
import { oneShotHashOverBytesIsFaster as oneShotOverBytes } from "../loader/runtime.ts";

/** What every checksum starts with, so a checksum of one kind never verifies as another. */
const DOMAIN = "workflow-sandbox/sqlite-history/1";

/**
 * The checksum "before" a run's first event: it names the run, so events attached to another run
 * (or moved from one) do not verify.
 */
export function genesis(workflowId: string, runId: string): Uint8Array {
  return hash("sha256", `${DOMAIN}\0genesis\0${workflowId}\0${runId}`, "buffer");
}

/** The checksum of event `eventId` whose stored JSON is `body`, chained to `previous`. */
export function eventChecksum(previous: Uint8Array, eventId: number, body: string): Uint8Array {
  if (!oneShotOverBytes) return createHash("sha256").update(previous).update(`\0${eventId}\0`, "utf8").update(body, "utf8").digest();
  // The same bytes as the three updates, hashed in one call.
  const text = `\0${eventId}\0${body}`;
  const bytes = Buffer.allocUnsafe(previous.length + Buffer.byteLength(text, "utf8"));
  bytes.set(previous, 0);
  bytes.write(text, previous.length, "utf8");
  return hash("sha256", bytes, "buffer");
}

/**
 * The checksum of a row of `table` (every stored column, in the table's column order, as JSON), for
 * the run `workflowId`/`runId`.
 */
export function rowChecksum(table: "runs" | "timers" | "activities" | "requests", workflowId: string, runId: string, columns: readonly unknown[]): Uint8Array {
  const text = JSON.stringify([table, workflowId, runId, ...columns.map((value) => value instanceof Uint8Array ? hex(value) : value)]);
  return hash("sha256", `${DOMAIN}\0row\0${text}`, "buffer");
}

/** Whether two checksums are equal (`stored` may be anything a damaged row reads back as). */
export function sameChecksum(stored: unknown, computed: Uint8Array): boolean {
  if (!(stored instanceof Uint8Array) || stored.length !== computed.length) return false;
  for (let index = 0; index < computed.length; index++) if (stored[index] !== computed[index]) return false;
  return true;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
