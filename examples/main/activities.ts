// Activities run on the host, unrestricted: this is where I/O and clocks belong.
export const activities = {
  charge(customer: string, amount: number): string {
    return `charged ${customer} ${amount.toFixed(2)} EUR`;
  },
};
