// Schemas the host (an API handler, the worker's own validation) and the workflows share, and a
// small value class next to them.
import { z } from "zod";

export const Order = z.object({
  id: z.string().min(1),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).min(1),
});
export type Order = z.infer<typeof Order>;

/** A plain class: `instanceof` compares class identity, so it needs the host's own module. */
export class Receipt {
  constructor(readonly orderId: string, readonly lines: number) {}
}
