// Day buckets in UTC: Date.UTC only, so the result does not depend on the machine's time zone.
import type { Order } from "./orders.ts";

const DAY_MS = 86_400_000;
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export function dayNumber(order: Order): number {
  const { year, month, day } = order.placed;
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** Orders per day, oldest first, with the busiest day's count. */
export function ordersPerDay(orders: readonly Order[]): { days: Array<[number, number]>; busiest: number } {
  const counts = orders.map(dayNumber).reduce((map, day) => map.set(day, (map.get(day) ?? 0) + 1), new Map<number, number>());
  const days = [...counts].sort((a, b) => a[0] - b[0]);
  return { days, busiest: Math.max(0, ...days.map(([, count]) => count)) };
}

/** Per month of `year`: business days, and the largest order amount placed in the month. */
export function monthlyCalendar(orders: readonly Order[], year: number): Array<{ month: number; businessDays: number; largestCents: number }> {
  const months = [];
  for (let month = 0; month < 12; month++) {
    const length = Math.round((Date.UTC(year, month + 1, 1) - Date.UTC(year, month, 1)) / DAY_MS);
    let businessDays = 0;
    for (let day = 1; day <= length; day++) {
      const weekday = WEEKDAYS[(Math.floor(Date.UTC(year, month, day) / DAY_MS) + 4) % 7];
      if (weekday !== "sat" && weekday !== "sun") businessDays++;
    }
    let largestCents = 0;
    for (const order of orders) {
      if (order.placed.year === year && order.placed.month === month + 1) largestCents = Math.max(largestCents, order.amountCents);
    }
    months.push({ month: month + 1, businessDays, largestCents });
  }
  return months;
}
