// Host code: activities validate with zod (the copy import-in-the-middle instruments).
import { z } from "zod";

const Email = z.email();

export const activities = {
  async sendWelcome(address: string): Promise<string> {
    return `welcome mail queued for ${Email.parse(address)}`;
  },
};
