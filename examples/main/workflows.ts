// The examples worker's workflows: what the sandbox is for, one workflow per point.
import { workflow } from "workflow-sandbox";
import { nextInvoiceNumber } from "./invoice_numbers.ts";

const activityOptions = { startToCloseTimeout: "10s" } as const;

/** An order: an activity, a durable timer, a signal and a query. */
@workflow.defn({ name: "order" })
export class OrderWorkflow {
  stage = "created";
  approvedBy: string | undefined;

  @workflow.signal({ name: "approve" })
  approve(by: string): void {
    this.approvedBy = by;
  }

  @workflow.query({ name: "stage" })
  currentStage(): string {
    return this.stage;
  }

  @workflow.run
  async run(customer: string, amount: number): Promise<string> {
    this.stage = "charging";
    const receipt = await workflow.executeActivity<string>("charge", [customer, amount], activityOptions);
    this.stage = "cooling off";
    await workflow.sleep("1h"); // durable: the time-skipping environment skips it
    this.stage = "awaiting approval";
    await workflow.condition(() => this.approvedBy !== undefined);
    this.stage = "done";
    // Module state is per run: every order's first invoice number is 1, even on replay.
    return `${receipt}, invoice #${nextInvoiceNumber()}, approved by ${this.approvedBy}`;
  }
}

/** Reads the host clock: the sandbox stops it and fails the workflow task, not the workflow. */
export const stampedOrder = workflow.defn(async function stampedOrder(customer: string): Promise<string> {
  const createdAt = Date.now(); // restricted: use workflow.now()
  return `${customer} at ${createdAt}`;
});

/** The same idea written deterministically. */
export const deterministicStamp = workflow.defn(async function deterministicStamp(customer: string): Promise<string> {
  return `${customer} at ${workflow.now().toISOString()} (id ${workflow.uuid4().slice(0, 8)})`;
});
