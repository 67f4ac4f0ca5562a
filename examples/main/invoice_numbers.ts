// Module-level state. Without the sandbox, every workflow in the process would share this counter
// and a replay would number invoices differently from the first run.
let last = 0;

export function nextInvoiceNumber(): number {
  last += 1;
  return last;
}
