// The workflow imports through deno.json's import map: "zod" is an npm: specifier, "@shop/money"
// an alias of a local file. The sandbox resolves both as Deno does.
import { workflow } from "workflow-sandbox";
import { z } from "zod";
import { formatCents } from "@shop/money";

const Order = z.object({ id: z.string(), cents: z.number().int().positive() });
let charges = 0; // module state: fresh in every run

export const checkout = workflow.defn(async function checkout(input: unknown): Promise<string> {
  const order = Order.parse(input);
  await workflow.sleep("30s"); // a durable timer
  const receipt = await workflow.executeActivity<string>("charge", [order.id, order.cents], { startToCloseTimeout: "10s" });
  charges++;
  return `${order.id}: ${formatCents(order.cents)}, ${receipt}, charge #${charges} of this run`;
});
