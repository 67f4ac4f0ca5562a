// The bench workflow (bench/core_bench.ts): a small, realistic workflow of four modules and one
// passed-through package (zod). Its work depends only on its input, so every baseline does the
// same work per run.
import { workflow } from "workflow-sandbox";
import { parseOrders } from "./orders.ts";
import { priorityShare, statsByCustomer } from "./stats.ts";
import { monthlyCalendar, ordersPerDay } from "./calendar.ts";

export const orderReport = workflow.defn(async function orderReport(input: unknown): Promise<string> {
  const orders = parseOrders(input);
  const year = Math.max(...orders.map((order) => order.placed.year));
  const report = {
    customers: statsByCustomer(orders),
    perDay: ordersPerDay(orders),
    calendar: monthlyCalendar(orders, year),
    priorityShare: priorityShare(orders),
  };
  // A round trip through JSON, as a workflow result crossing the history boundary would make.
  const copy = JSON.parse(JSON.stringify(report)) as typeof report;
  return JSON.stringify({ ...copy, topCustomer: copy.customers[0]?.customer ?? null });
});
