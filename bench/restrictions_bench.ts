// The restrictions bench (issue 3): the per-run cost of the core bench workflow (bench/workflow,
// which loops over Math.max, Date.UTC, JSON and array methods) under the default rules, against
// an empty rule table. Target: within 10%.
//
//   node --import ./dist/register.js bench/restrictions_bench.ts [--quick] [--json]   (after the build)
//   node --conditions=workflow-sandbox-source --import ./dist/register.js bench/restrictions_bench.ts
//   deno run -A bench/restrictions_bench.ts [--quick] [--json]
//
// Variants (bench/_restrictions_child.ts), each in its own child process: `none` (no restriction
// layer), `empty-table` (the layer with no rules), `default-rules`, and `stub`, a stand-in
// decorator (bench/_restrictions_stub.ts: a per-run copy of Math and a Proxy(Date) with construct
// and apply traps) for runners that take one instead of applying the rules themselves. The bench
// judges the default rules against the empty table when the runner applies them (a probe workflow
// checks that `Math.random()` is refused), and falls back to the stub against `none` otherwise.
// The variants run in rounds, in an order that rotates from round to round; each overhead is the
// median over rounds of the ratio within a round, so drift in the machine's load hits both sides.
// Overheads are judged on process CPU time per run, which other processes on the machine barely
// move: on a busy 2-core machine, two back-to-back runs gave +16.7% and +17.5% for the default
// rules over the empty table in CPU time, +10.9% and +24.1% in wall time. Wall time is printed too.
import { availableParallelism, cpus, loadavg } from "node:os";
import process from "node:process";
import { writeRestrictionProbe } from "./_generated_workflows.ts";
import { runChild } from "./_spawn.ts";
import { median, us } from "./_stats.ts";
import type { Phases } from "./_timing.ts";
import { runtimeName } from "../loader/runtime.ts";

const quick = process.argv.includes("--quick");
const json = process.argv.includes("--json");
const ROUNDS = quick ? 1 : 5;
const TARGET = 0.1;
const CHILD = new URL("./_restrictions_child.ts", import.meta.url);
const VARIANTS = ["none", "empty-table", "default-rules", "stub"] as const;
type VariantName = typeof VARIANTS[number];
const LABELS: Record<VariantName, string> = {
  "none": "no restriction layer",
  "empty-table": "empty rule table",
  "default-rules": "default rules",
  "stub": "stub decorator (Math copy, Proxy(Date))",
};

const runtime = runtimeName;
const cores = typeof availableParallelism === "function" ? availableParallelism() : cpus().length;
const loadAtStart = loadavg()[0];
const started = performance.now();
const probe = writeRestrictionProbe(import.meta.resolve("workflow-sandbox"));

type Result = { available: false; reason: string } | ({ available: true } & Phases);

async function variant(name: VariantName, round: number): Promise<Result> {
  if (!json) process.stderr.write(`bench: ${LABELS[name]}, round ${round + 1}/${ROUNDS}\n`);
  return runChild<Result>(CHILD, [name, probe, ...(quick ? ["--quick"] : [])]);
}

const runs = new Map<VariantName, Phases[]>();
const unavailable = new Map<VariantName, string>();
for (let round = 0; round < ROUNDS; round++) {
  const order = VARIANTS.filter((name) => !unavailable.has(name));
  const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
  for (const name of rotated) {
    const result = await variant(name, round);
    if (!result.available) {
      unavailable.set(name, result.reason);
      runs.delete(name);
      continue;
    }
    runs.set(name, [...(runs.get(name) ?? []), result]);
  }
}
const baselineResult = runs.get("none")![0].result;
for (const [name, phases] of runs) {
  if (phases.some((run) => run.result !== baselineResult)) throw new Error(`The '${name}' variant returned another result`);
}

/**
 * The median over rounds of `name`'s cost over `base`'s in the same round, minus one: CPU time per
 * run by default (other processes on the machine barely move it), or wall time.
 */
function overhead(name: VariantName, base: VariantName, clock: "cpuUs" | "totalUs" = "cpuUs"): number | undefined {
  const measured = runs.get(name);
  const baseline = runs.get(base);
  if (!measured || !baseline) return undefined;
  return median(measured.map((run, i) => run[clock] / baseline[i][clock] - 1));
}

const rulesApplied = runs.has("default-rules");
const judged = rulesApplied
  ? { name: "default-rules" as const, base: runs.has("empty-table") ? "empty-table" as const : "none" as const }
  : { name: "stub" as const, base: "none" as const };
const judgedOverhead = overhead(judged.name, judged.base);

const output = {
  runtime,
  cores,
  quick,
  loadAverage: { start: loadAtStart, end: loadavg()[0] },
  benchSeconds: (performance.now() - started) / 1000,
  variants: Object.fromEntries(VARIANTS.map((name) => [name, runs.get(name) ?? { available: false, reason: unavailable.get(name) }])),
  overheads: Object.fromEntries((["cpuUs", "totalUs"] as const).map((clock) => [clock === "cpuUs" ? "cpu" : "wall", {
    defaultRulesOverEmptyTable: overhead("default-rules", "empty-table", clock) ?? null,
    defaultRulesOverNone: overhead("default-rules", "none", clock) ?? null,
    emptyTableOverNone: overhead("empty-table", "none", clock) ?? null,
    stubOverNone: overhead("stub", "none", clock) ?? null,
  }])),
  judged: { variant: judged.name, against: judged.base, clock: "cpu", overhead: judgedOverhead ?? null },
  target: { limit: TARGET, pass: quick || judgedOverhead === undefined ? null : judgedOverhead <= TARGET },
};

if (json) {
  console.log(JSON.stringify(output, null, 2));
} else {
  const percent = (value: number | undefined) => value === undefined ? "n/a" : `${value >= 0 ? "+" : ""}${(value * 100).toFixed(1)}%`;
  const lines = [
    `workflow-sandbox restrictions bench: ${runtime}, ${cores} cores${quick ? " (--quick: small counts, target not judged)" : ""};` +
    ` load average ${loadAtStart.toFixed(2)} at start, ${output.loadAverage.end.toFixed(2)} at end`,
    `per-run cost of the core bench workflow (create + activate + dispose), each variant in its own child process,`,
    `${ROUNDS} round(s) in rotating order; overheads are the median over rounds of the ratio within a round`,
    `cpu = process CPU time per run (all threads), which the machine's load barely moves; wall = elapsed time`,
    ``,
  ];
  for (const name of VARIANTS) {
    const phases = runs.get(name);
    lines.push(
      phases
        ? `  ${LABELS[name].padEnd(42)} cpu ${phases.map((run) => us(run.cpuUs)).join(", ")}\n` +
          `  ${"".padEnd(42)} wall ${phases.map((run) => us(run.totalUs)).join(", ")}`
        : `  ${LABELS[name].padEnd(42)} not run: ${unavailable.get(name)}`,
    );
  }
  const ratio = (key: keyof typeof output.overheads.cpu) =>
    `cpu ${percent(output.overheads.cpu[key] ?? undefined).padStart(7)}   wall ${percent(output.overheads.wall[key] ?? undefined).padStart(7)}`;
  lines.push(
    ``,
    `  default rules / empty rule table      ${ratio("defaultRulesOverEmptyTable")}`,
    `  default rules / no restriction layer  ${ratio("defaultRulesOverNone")}`,
    `  empty rule table / no layer           ${ratio("emptyTableOverNone")}`,
    `  stub decorator / no layer             ${ratio("stubOverNone")}`,
    ``,
    `Target (issue 3)`,
    judgedOverhead === undefined
      ? `  ----  not judged: neither the default rules nor the stub could run (see above)`
      : rulesApplied
      ? `  ${quick ? "----" : judgedOverhead <= TARGET ? "PASS" : "MISS"}  default rules within 10% of an empty rule table (cpu): ${percent(judgedOverhead)}`
      : `  ${quick ? "----" : judgedOverhead <= TARGET ? "PASS" : "MISS"}  stub decorator within 10% of no restrictions (cpu): ${percent(judgedOverhead)}\n` +
        `        (the runner does not apply the default rules yet: the stub stands in for them, and the real\n` +
        `        default rules replace it here as soon as they land)`,
    ``,
    `bench took ${output.benchSeconds.toFixed(0)} s`,
  );
  console.log(lines.join("\n"));
}
