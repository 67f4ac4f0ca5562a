// A production worker, switched from Temporal's Worker to SandboxedTemporalWorker: the options are
// Temporal's, plus `sandbox`. Needs a Temporal server (TEMPORAL_ADDRESS, default localhost:7233):
//
//   WORKFLOW_SANDBOX_RESOLUTION=bundler node --import workflow-sandbox/register worker.ts
//
// The loader hooks are process-wide: with --import they are registered before the worker exists,
// so bundler resolution is asked for by the environment variable. Without --import (plain JS, or
// `node worker.js` after tsc) the adapter registers them on first use, with `bundlerResolution`.
import { NativeConnection } from '@temporalio/worker';
import { SandboxedTemporalWorker, TEMPORAL_RESTRICTIONS } from 'workflow-sandbox/temporal';
import * as activities from './activities.ts';

const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS ?? 'localhost:7233' });
const worker = await SandboxedTemporalWorker.create({
  connection,
  taskQueue: 'invoices',
  workflowsPath: new URL('./workflows.ts', import.meta.url).pathname,
  activities,
  sandbox: {
    // Temporal projects import './invoices' without an extension, as webpack allows.
    bundlerResolution: true,
    // Optional: fail a workflow task that reads process.env, fetch, node:fs, crypto.randomUUID...
    restrictions: TEMPORAL_RESTRICTIONS,
  },
});
await worker.run();
