// Activities run on the host, outside any sandbox, exactly as with Temporal's own worker.
export async function charge(customer: string): Promise<string> {
  return `receipt-${customer}`;
}
