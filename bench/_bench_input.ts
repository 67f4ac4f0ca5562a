// The bench workflow's input (host side, not one of its four modules): 16 orders, made
// deterministically so that every baseline validates and reduces the same data.
export function benchInput(): unknown[] {
  const customers = ["ada", "grace", "edsger", "barbara", "ken"];
  const tags = ["priority", "gift", "bulk", "standard"];
  return Array.from({ length: 16 }, (_, i) => ({
    id: `order-${i}`,
    customer: customers[(i * 7) % customers.length],
    amountCents: 500 + ((i * 7919) % 12_000),
    quantity: 1 + (i % 4),
    placed: { year: 2026, month: 1 + (i % 3), day: 1 + ((i * 11) % 28) },
    tags: [tags[i % tags.length], tags[(i * 3) % tags.length]],
  }));
}
