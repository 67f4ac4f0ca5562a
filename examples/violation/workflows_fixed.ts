// The fixed version: workflow.now() is the time the current workflow task started, read from
// history, so a replay sees the same value as the first run.
import { workflow } from "workflow-sandbox";

export const invoice = workflow.defn(async function invoice(customer: string): Promise<string> {
  const issuedAt = workflow.now().toISOString().slice(0, 10);
  const total = await workflow.executeActivity<number>("total", [customer], { startToCloseTimeout: "10s" });
  return `invoice for ${customer}: ${total} EUR, issued ${issuedAt}`;
});
