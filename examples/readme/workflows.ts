import { workflow } from "workflow-sandbox";
import { z } from "zod";

const Order = z.object({ id: z.string(), amount: z.number() });
let ordersSeen = 0; // fresh in every run: a replay sees what the first run saw

export const processOrder = workflow.defn(async function processOrder(input: unknown) {
  const order = Order.parse(input);
  ordersSeen++;
  await workflow.sleep("1s"); // a durable timer, not setTimeout
  const receipt = await workflow.executeActivity<string>("charge", [order], { startToCloseTimeout: "10s" });
  return { receipt, ordersSeen, at: workflow.now().toISOString() };
});
