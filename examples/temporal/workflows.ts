// An unmodified Temporal TypeScript workflow module: the SDK's API, extensionless relative imports
// (webpack style), Date.now() and Math.random() made deterministic by the SDK itself.
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities';
import { nextInvoiceNumber } from './invoices';

const { charge } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });

export async function invoice(customer: string): Promise<string> {
  const number = nextInvoiceNumber();
  const issuedAt = new Date(Date.now()).toISOString(); // the workflow task's time, from history
  const receipt = await charge(customer);
  return `invoice #${number} for ${customer} at ${issuedAt}: ${receipt}`;
}
