// Input validation with zod, which the bench passes through (the host's instance). The schemas are
// built when the module is evaluated, so every sandboxed run builds its own, as it would natively.
import { z } from "zod";

export const Order = z.object({
  id: z.string(),
  customer: z.string(),
  amountCents: z.int().nonnegative(),
  quantity: z.int().positive(),
  placed: z.object({ year: z.int(), month: z.int(), day: z.int() }),
  tags: z.array(z.string()),
});

export type Order = z.infer<typeof Order>;

const Orders = z.array(Order).min(1);

/** Validates the workflow input. */
export function parseOrders(input: unknown): Order[] {
  // `jitless`: zod compiles a parser on an object schema's first parse, and in a sandbox every run
  // builds its schemas afresh, so every parse would be a first one (the compile costs more than it
  // saves on one parse).
  return Orders.parse(input, { jitless: true });
}
