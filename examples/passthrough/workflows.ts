// A workflow that validates its input with a shared schema and hands back what it used, so the
// host can compare it with its own objects by identity.
import { workflow } from "workflow-sandbox";
import { z } from "zod";
import { Order, Receipt } from "./schemas.ts";

export const acceptOrder = workflow.defn(async function acceptOrder(input: unknown) {
  const parsed = Order.safeParse(input);
  const receipt = parsed.success ? new Receipt(parsed.data.id, parsed.data.lines.length) : undefined;
  return { z, schema: Order, error: parsed.error, receipt };
});
