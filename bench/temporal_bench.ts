// The Temporal adapter against Temporal's own worker, side by side in one run, on the same
// histories (the samples of /work/shared/data/temporal-histories, copied with distinct ids):
// - replay throughput (workflows per second through Worker.runReplayHistories, core included) and
//   the peak RSS of the replaying process, for SandboxedTemporalWorker and for Temporal's worker
//   with reuseV8Context true (its default) and false;
// - worker start: what Worker.create does before it connects (getOrCreateBundle, then
//   createWorkflowCreator), webpack's bundleWorkflowCode alone, and the adapter cold (empty
//   transform cache) and warm;
// - memory per cached workflow: N executions held open through each creator directly (replay
//   evicts every run), heap + external and RSS after GC, divided by N.
// Every measurement runs in a fresh child process; rounds rotate the order of the creators.
//
//   npm run bench:temporal
//   node --expose-gc --import ./dist/register.js bench/temporal_bench.ts [histories] [rounds]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { childCommand, run } from "./_spawn.ts";
import { median, ms, times } from "./_stats.ts";

const FIXTURES = fileURLToPath(new URL("../tests/fixtures/temporal/", import.meta.url));
const workflowsPath = join(FIXTURES, "workflows.ts");
const HELD = 300;
const WARMUP = 50;
const TIMEOUT_MS = 5000; // Temporal's default isolateExecutionTimeout, for every creator

type Creator = "sandbox" | "reuse" | "noreuse";
const CREATORS: readonly Creator[] = ["sandbox", "reuse", "noreuse"];
const LABEL: Record<Creator, string> = {
  sandbox: "SandboxedTemporalWorker",
  reuse: "Temporal, reuseV8Context: true (default)",
  noreuse: "Temporal, reuseV8Context: false",
};

const flag = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const result = (value: unknown) => console.log(`BENCH_RESULT ${JSON.stringify(value)}`);
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

// deno-lint-ignore no-explicit-any
type Any = any;

async function temporal() {
  const worker = await import("@temporalio/worker");
  worker.Runtime.install({ logger: new worker.DefaultLogger("ERROR") });
  return worker;
}

const defaultInterceptors = () =>
  [createRequire(import.meta.url).resolve("@temporalio/worker/lib/workflow-log-interceptor.js")];

/** Child: webpack's bundle of the workflows, written to `--out`. */
async function childBundle(): Promise<void> {
  const { bundleWorkflowCode, DefaultLogger } = await temporal();
  const started = performance.now();
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger("ERROR") });
  const bundleMs = performance.now() - started;
  writeFileSync(flag("out")!, code);
  result({ bundleMs, peakRssMb: peakRssMb() });
}

/** Child: what Worker.create runs before it connects, for one creator. */
async function childStart(creator: Creator): Promise<void> {
  const worker = await temporal();
  const { SandboxedTemporalWorker } = await import("../temporal/mod.ts");
  const Class: Any = creator === "sandbox" ? SandboxedTemporalWorker : worker.Worker;
  const logger = new worker.DefaultLogger("ERROR");
  const { compileWorkerOptions } = await import("@temporalio/worker/lib/worker-options.js");
  const options = compileWorkerOptions(
    {
      taskQueue: "bench",
      workflowsPath,
      debugMode: true,
      reuseV8Context: creator !== "noreuse",
      ...(creator === "sandbox" ? { sandbox: { bundlerResolution: true } } : {}),
    } as Any,
    logger,
    worker.Runtime.instance().metricMeter,
  );
  const started = performance.now();
  const bundle = await Class.getOrCreateBundle(options, logger);
  const creatorInstance = await Class.createWorkflowCreator(bundle, options, logger);
  const startMs = performance.now() - started;
  await creatorInstance.destroy();
  result({ startMs, peakRssMb: peakRssMb() });
}

function histories(count: number) {
  return import("../tests/fixtures/temporal/_histories.ts").then(async ({ readHistory, withDistinctIds }) => {
    const { historyFromJSON } = await import("@temporalio/common/lib/proto-utils.js");
    const samples = ["history-greet-sample.json", "history-greetCounted-sample.json"].map((name) => readHistory(join(FIXTURES, name)));
    return Array.from({ length: count }, (_, i) => {
      const workflowId = `bench-${i}`;
      return { workflowId, history: historyFromJSON(withDistinctIds(samples[i % 2], workflowId)) };
    });
  });
}

/** Child: replay `--count` histories; the rate excludes the worker's start and a warm-up. */
async function childReplay(creator: Creator): Promise<void> {
  const worker = await temporal();
  const { readFileSync } = await import("node:fs");
  const { SandboxedTemporalWorker } = await import("../temporal/mod.ts");
  const count = Number(flag("count"));
  const input = await histories(count);
  const options: Any = creator === "sandbox"
    ? { workflowsPath, sandbox: { bundlerResolution: true } }
    : { workflowBundle: { code: readFileSync(flag("bundle")!, "utf8") }, reuseV8Context: creator === "reuse" };
  const Class: Any = creator === "sandbox" ? SandboxedTemporalWorker : worker.Worker;
  let done = 0;
  let started = 0;
  let cpu = process.cpuUsage();
  // Without --timeout, the replay defaults (debugMode: an isolateExecutionTimeout of 2^32-1 ms).
  const timeout = flag("timeout");
  const replayOptions = timeout === undefined ? options : { ...options, isolateExecutionTimeout: Number(timeout) };
  for await (const replayed of Class.runReplayHistories(replayOptions, input)) {
    if (replayed.error) throw replayed.error;
    if (++done === WARMUP) {
      started = performance.now();
      cpu = process.cpuUsage();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  // CPU time of the whole process (every thread, core's included), which load on a shared
  // machine disturbs less than wall time.
  const cpuSeconds = (used.user + used.system) / 1e6;
  result({ perSecond: (done - WARMUP) / seconds, perCpuSecond: (done - WARMUP) / cpuSeconds, peakRssMb: peakRssMb() });
}

async function settledMemory(): Promise<{ heap: number; rss: number }> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed + usage.external, rss: usage.rss };
}

/** One creator, built as the worker builds it (the adapter's directly, Temporal's from the bundle). */
async function creatorFor(creator: Creator, timeoutMs: number | undefined): Promise<Any> {
  const worker = await temporal();
  const { readFileSync } = await import("node:fs");
  const { SandboxedWorkflowCreator } = await import("../temporal/mod.ts");
  if (creator === "sandbox") {
    return await SandboxedWorkflowCreator.create({
      workflowsPath,
      interceptorModules: defaultInterceptors(),
      isolateExecutionTimeoutMs: timeoutMs,
      sandbox: { bundlerResolution: true },
    });
  }
  const logger = new worker.DefaultLogger("ERROR");
  const W: Any = worker.Worker;
  const bundle = await W.getOrCreateBundle(
    { workflowBundle: { code: readFileSync(flag("bundle")!, "utf8") }, interceptors: { workflowModules: [] } },
    logger,
  );
  return await W.createWorkflowCreator(
    bundle,
    { debugMode: true, reuseV8Context: creator === "reuse", isolateExecutionTimeoutMs: timeoutMs ?? 2 ** 32 - 1, activities: new Map() },
    logger,
  );
}

/** Child: hold `HELD` executions (their first activation done) through one creator. */
async function childHold(creator: Creator): Promise<void> {
  const { createOptions, initActivation, resultOf } = await import("../tests/fixtures/temporal/_direct.ts");
  const factory = await creatorFor(creator, TIMEOUT_MS);
  const held: unknown[] = [];
  const open = async (i: number) => {
    const id = `held-${creator}-${i}`;
    const workflow = await factory.createWorkflow(createOptions("greetCounted", id, `run-${id}`));
    const completion = await workflow.activate(initActivation("greetCounted", id, `run-${id}`, [`u${i}`]));
    if (JSON.parse(resultOf(completion) as string).counter !== 1) throw new Error(`${creator}: counter is not 1`);
    held.push(workflow);
  };
  for (let i = 0; i < 20; i++) await open(-1 - i); // warm-up: code paths compiled, caches filled
  const before = await settledMemory();
  for (let i = 0; i < HELD; i++) await open(i);
  const after = await settledMemory();
  result({ heapPerWorkflow: (after.heap - before.heap) / HELD, rssPerWorkflow: (after.rss - before.rss) / HELD, held: held.length });
}

/**
 * Child: the sandbox alone, without core: `--count` executions created, activated once and
 * disposed through one creator, as the worker does for a one-task workflow.
 */
async function childDirect(creator: Creator): Promise<void> {
  const { createOptions, initActivation, resultOf } = await import("../tests/fixtures/temporal/_direct.ts");
  const timeout = flag("timeout");
  const factory = await creatorFor(creator, timeout === undefined ? undefined : Number(timeout));
  const count = Number(flag("count"));
  const one = async (i: number) => {
    const id = `direct-${i}`;
    const workflow = await factory.createWorkflow(createOptions("greetCounted", id, `run-${id}`));
    const completion = await workflow.activate(initActivation("greetCounted", id, `run-${id}`, [`u${i}`]));
    if (JSON.parse(resultOf(completion) as string).counter !== 1) throw new Error(`${creator}: counter is not 1`);
    await workflow.getAndResetSinkCalls();
    await workflow.dispose();
  };
  for (let i = 0; i < WARMUP; i++) await one(-1 - i);
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) await one(i);
  const used = process.cpuUsage(cpu);
  result({ usPerWorkflow: ((performance.now() - started) * 1000) / count, cpuUsPerWorkflow: (used.user + used.system) / count });
}

async function child(mode: string): Promise<void> {
  const creator = flag("creator") as Creator;
  if (mode === "bundle") return await childBundle();
  if (mode === "start") return await childStart(creator);
  if (mode === "replay") return await childReplay(creator);
  if (mode === "hold") return await childHold(creator);
  if (mode === "direct") return await childDirect(creator);
  throw new Error(`Unknown bench mode '${mode}'`);
}

async function measure(args: string[], env: Record<string, string> = {}): Promise<Any> {
  const command = childCommand(new URL(import.meta.url), args, { heapFlags: true });
  const childEnv = { WORKFLOW_SANDBOX_RESOLUTION: "bundler", ...env };
  let stdout: string;
  try {
    ({ stdout } = await run(command, childEnv));
  } catch (error) {
    // One retry, as bench/_spawn.ts's runChild does: a build of dist/ next to the bench removes
    // the `--import` entry for a moment.
    process.stderr.write(`[bench child ${args.join(" ")}] failed, retrying once: ${String(error).split("\n").slice(0, 3).join(" ")}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ({ stdout } = await run(command, childEnv));
  }
  const line = stdout.split("\n").find((text) => text.startsWith("BENCH_RESULT "));
  if (!line) throw new Error(`No result from bench child ${args.join(" ")}:\n${stdout}`);
  return JSON.parse(line.slice("BENCH_RESULT ".length));
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (value: number) => `${value.toFixed(0)} MB`;

async function main(): Promise<void> {
  const positional = process.argv.slice(2).filter((arg) => /^\d+$/.test(arg)).map(Number);
  const count = positional[0] ?? 600;
  const rounds = positional[1] ?? 3;
  const scratch = mkdtempSync(join(tmpdir(), "wfs-temporal-bench-"));
  const bundlePath = join(scratch, "bundle.js");
  try {
    console.log(`Temporal adapter bench: ${count} histories per replay (rate after ${WARMUP}), ${rounds} rounds, ${HELD} held workflows`);
    type Rate = { perSecond: number; perCpuSecond: number; peakRssMb: number };
    type Direct = { usPerWorkflow: number; cpuUsPerWorkflow: number };
    const empty = <T>() => ({ sandbox: [] as T[], reuse: [] as T[], noreuse: [] as T[] });
    const replay = empty<Rate>();
    const timed = empty<Rate>();
    const direct = empty<Direct>();
    const hold = empty<{ heapPerWorkflow: number; rssPerWorkflow: number }>();
    const start = empty<number>();
    const bundles: Array<{ bundleMs: number; peakRssMb: number }> = [];
    const cold: number[] = [];
    for (let round = 0; round < rounds; round++) {
      bundles.push(await measure(["--child=bundle", `--out=${bundlePath}`]));
      const cache = join(scratch, `cache-${round}`);
      cold.push((await measure(["--child=start", "--creator=sandbox"], { WORKFLOW_SANDBOX_CACHE_DIR: cache })).startMs);
      const order = CREATORS.map((_, i) => CREATORS[(i + round) % CREATORS.length]);
      for (const creator of order) {
        start[creator].push((await measure(["--child=start", `--creator=${creator}`], { WORKFLOW_SANDBOX_CACHE_DIR: cache })).startMs);
        const args = [`--creator=${creator}`, `--bundle=${bundlePath}`];
        replay[creator].push(await measure(["--child=replay", ...args, `--count=${count}`]));
        if (creator !== "noreuse") timed[creator].push(await measure(["--child=replay", ...args, `--count=${count}`, `--timeout=${TIMEOUT_MS}`]));
        direct[creator].push(await measure(["--child=direct", ...args, `--count=${creator === "noreuse" ? 200 : count}`, `--timeout=${TIMEOUT_MS}`]));
        hold[creator].push(await measure(["--child=hold", ...args]));
      }
      console.log(
        `round ${round + 1}: replay ${CREATORS.map((c) => `${c} ${replay[c][round].perSecond.toFixed(0)}`).join(", ")} wf/s; ` +
          `5 s timeout: sandbox ${timed.sandbox[round].perSecond.toFixed(0)}, reuse ${timed.reuse[round].perSecond.toFixed(0)} wf/s; ` +
          `sandbox alone: ${CREATORS.map((c) => `${c} ${direct[c][round].cpuUsPerWorkflow.toFixed(0)}`).join(", ")} CPU µs/wf`,
      );
    }
    const wall = (c: Creator, from: Record<Creator, Rate[]>) => median(from[c].map((r) => r.perSecond));
    const cpu = (c: Creator, from: Record<Creator, Rate[]>) => median(from[c].map((r) => r.perCpuSecond));
    const alone = (c: Creator) => median(direct[c].map((r) => r.cpuUsPerWorkflow));
    const aloneWall = (c: Creator) => median(direct[c].map((r) => r.usPerWorkflow));
    const peak = (c: Creator) => median(replay[c].map((r) => r.peakRssMb));
    const heap = (c: Creator) => median(hold[c].map((r) => r.heapPerWorkflow));
    const rss = (c: Creator) => median(hold[c].map((r) => r.rssPerWorkflow));
    console.log("");
    console.log(
      "| creator | replay wf/s (wall; per CPU s) | replay, 5 s isolateExecutionTimeout | sandbox alone, 5 s timeout (CPU; wall per wf) | " +
        "peak RSS (replay) | heap+external per cached wf | RSS per cached wf | worker start (warm cache) |",
    );
    console.log("|---|---|---|---|---|---|---|---|");
    for (const c of CREATORS) {
      const withTimeout = c === "noreuse" ? "-" : `${wall(c, timed).toFixed(0)}; ${cpu(c, timed).toFixed(0)}`;
      console.log(
        `| ${LABEL[c]} | ${wall(c, replay).toFixed(0)}; ${cpu(c, replay).toFixed(0)} | ${withTimeout} | ${ms(alone(c) / 1000)}; ${ms(aloneWall(c) / 1000)} | ` +
          `${mb(peak(c))} | ${kb(heap(c))} | ${kb(rss(c))} | ${ms(median(start[c]))} |`,
      );
    }
    const bundleMs = median(bundles.map((b) => b.bundleMs));
    console.log("");
    console.log(`bundleWorkflowCode: ${ms(bundleMs)}, peak RSS ${mb(median(bundles.map((b) => b.peakRssMb)))}`);
    console.log(`adapter start, cold transform cache: ${ms(median(cold))}; warm: ${ms(median(start.sandbox))}`);
    console.log("");
    console.log("| target | measured | |");
    console.log("|---|---|---|");
    const verdict = (ok: boolean) => (ok ? "met" : "missed");
    const speeds = [
      ["replay, wall", wall("sandbox", replay) / wall("reuse", replay)],
      ["replay, CPU", cpu("sandbox", replay) / cpu("reuse", replay)],
      ["replay with a 5 s timeout, wall", wall("sandbox", timed) / wall("reuse", timed)],
      ["replay with a 5 s timeout, CPU", cpu("sandbox", timed) / cpu("reuse", timed)],
      ["sandbox alone with a 5 s timeout, CPU", alone("reuse") / alone("sandbox")],
    ] as const;
    for (const [what, ratio] of speeds) {
      console.log(`| throughput >= 3x Temporal's default (${what}) | ${times(ratio)} | ${verdict(ratio >= 3)} |`);
    }
    console.log(`| (for reference) replay vs reuseV8Context false, wall | ${times(wall("sandbox", replay) / wall("noreuse", replay))} | |`);
    const memory = heap("sandbox") / heap("reuse");
    console.log(`| memory per cached workflow <= 1/4 of Temporal's default | ${times(memory)} (${times(heap("sandbox") / heap("noreuse"))} of reuseV8Context false) | ${verdict(memory <= 0.25)} |`);
    const startup = bundleMs / median(start.sandbox);
    const startupCold = bundleMs / median(cold);
    console.log(`| worker start >= 10x faster than bundleWorkflowCode | ${times(startup)} warm, ${times(startupCold)} cold | ${startupCold >= 10 ? "met" : startup >= 10 ? "met warm only" : "missed"} |`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const mode = flag("child");
if (mode) await child(mode);
else await main();
