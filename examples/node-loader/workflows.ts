// TypeScript that Node's own type stripping rejects: an enum and TC39 decorators. The loader
// hook compiles it (esbuild), for the host import and for every sandboxed run alike.
import { workflow } from "workflow-sandbox";
import { nextTicket } from "./tickets.ts";

enum Priority { Low = "low", High = "high" }

@workflow.defn
export class Support {
  #status = "open";

  @workflow.run
  async run(customer: string, urgent: boolean): Promise<string> {
    const ticket = nextTicket(); // module state: 1 in every run, however many runs came before
    const priority = urgent ? Priority.High : Priority.Low;
    await workflow.sleep(urgent ? "1m" : "1h"); // durable timer: skipped by the test environment
    this.#status = "answered";
    return `${customer}: ticket #${ticket}, ${priority} priority, ${this.#status}`;
  }

  @workflow.query
  status(): string {
    return this.#status;
  }
}
