// Per-customer statistics: array methods and Math.max over the orders.
import type { Order } from "./orders.ts";

export interface CustomerStats {
  readonly customer: string;
  readonly orders: number;
  readonly totalCents: number;
  readonly largestCents: number;
  readonly runningMaxCents: readonly number[];
}

const PRIORITY_TAGS = new Set(["priority", "gift"]);

export function statsByCustomer(orders: readonly Order[]): CustomerStats[] {
  const customers = [...new Set(orders.map((order) => order.customer))].sort();
  return customers.map((customer) => {
    const own = orders.filter((order) => order.customer === customer);
    const amounts = own.map((order) => order.amountCents * order.quantity);
    let best = 0;
    const runningMaxCents = amounts.map((amount) => (best = Math.max(best, amount)));
    return {
      customer,
      orders: own.length,
      totalCents: amounts.reduce((sum, amount) => sum + amount, 0),
      largestCents: Math.max(...amounts),
      runningMaxCents,
    };
  }).sort((a, b) => b.totalCents - a.totalCents || (a.customer < b.customer ? -1 : 1));
}

export function priorityShare(orders: readonly Order[]): number {
  const priority = orders.filter((order) => order.tags.some((tag) => PRIORITY_TAGS.has(tag)));
  return priority.length / Math.max(1, orders.length);
}
