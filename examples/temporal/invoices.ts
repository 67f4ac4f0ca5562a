// Module state, as real projects have it (a cache, a counter, a registry). Under Temporal's own
// worker and under SandboxedTemporalWorker alike, every workflow execution gets a fresh instance:
// the first invoice of every execution is #1.
let issued = 0;

export function nextInvoiceNumber(): number {
  issued += 1;
  return issued;
}
