// Replays history.json (an `invoice` execution: one activity) through Temporal's own worker and
// through SandboxedTemporalWorker, and times each from nothing to a finished replay. No Temporal
// server is needed: replay runs the workflow code against recorded history, in Temporal's core.
//
//   node replay.mjs
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { SandboxedTemporalWorker } from 'workflow-sandbox/temporal';

Runtime.install({ logger: new DefaultLogger('WARN') });
const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));
const history = JSON.parse(readFileSync(new URL('./history.json', import.meta.url), 'utf8'));
const last = history.events.at(-1).workflowExecutionCompletedEventAttributes.result.payloads[0];
console.log(`history: invoice('Ada') completed with ${Buffer.from(last.data, 'base64').toString()}`);

async function timed(label, replay) {
  const started = performance.now();
  await replay();
  console.log(`${label}: replayed in ${Math.round(performance.now() - started)} ms`);
}

// Temporal's worker bundles workflows.ts with webpack first, then replays in a vm context.
await timed("Temporal's Worker", () => Worker.runReplayHistory({ workflowsPath }, history, 'invoice-Ada'));
// The same call on the subclass: no bundle, no vm context. bundlerResolution lets workflows.ts
// import './invoices' without an extension, as webpack does.
await timed('SandboxedTemporalWorker', () =>
  SandboxedTemporalWorker.runReplayHistory({ workflowsPath, sandbox: { bundlerResolution: true } }, history, 'invoice-Ada'));
