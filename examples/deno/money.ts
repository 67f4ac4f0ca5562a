// A local module reached through an import-map alias ("@shop/money" in deno.json).
export function formatCents(cents: number): string {
  return `${(cents / 100).toFixed(2)} EUR`;
}
