// Workflow code imports zod too; the sandbox gives each run its own copy, which the host's
// instrumentation never touches.
import { workflow } from "workflow-sandbox";
import { z } from "zod";

const Signup = z.object({ user: z.string(), email: z.string() });
let signups = 0; // module state: fresh in every run

export const onboard = workflow.defn(async function onboard(input: unknown): Promise<string> {
  const { user, email } = Signup.parse(input);
  signups++;
  const sent = await workflow.executeActivity<string>("sendWelcome", [email], { startToCloseTimeout: "10s" });
  return `${user}: signup #${signups} of this run, ${sent}`;
});
