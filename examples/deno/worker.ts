// deno run -A examples/deno/worker.ts (from the repository root)
import { runCheckouts } from "./checkout.ts";

for (const line of await runCheckouts([{ id: "A-1", cents: 1250 }, { id: "B-2", cents: 99 }])) console.log(line);
