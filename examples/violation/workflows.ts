// The broken version: it reads the host clock. On replay (after a crash, on another machine) the
// clock says something else, so the sandbox refuses the call.
import { workflow } from "workflow-sandbox";

export const invoice = workflow.defn(async function invoice(customer: string): Promise<string> {
  const issuedAt = new Date(Date.now()).toISOString().slice(0, 10);
  const total = await workflow.executeActivity<number>("total", [customer], { startToCloseTimeout: "10s" });
  return `invoice for ${customer}: ${total} EUR, issued ${issuedAt}`;
});
