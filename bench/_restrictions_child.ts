// One variant of bench/restrictions_bench.ts, run in a process of its own:
//   <runtime> <same flags> bench/_restrictions_child.ts <variant> <probe URL> [--quick]
// Variants: `none` (passthrough only, no restriction layer), `empty-table` (the restriction layer
// with no rules), `default-rules` (SandboxRestrictions.default), `stub` (a stand-in decorator, for
// runners that take one). Each passes zod through. A variant the package cannot run reports
// `{ available: false, reason }`; otherwise the child prints the per-run phases.
import process from "node:process";
import * as sandbox from "workflow-sandbox";
import { DEFAULT_PASSTHROUGH, discoverWorkflows, SandboxedWorkflowRunner } from "workflow-sandbox";
import { benchInput } from "./_bench_input.ts";
import { createStubDecorator } from "./_restrictions_stub.ts";
import { report } from "./_spawn.ts";
import { type Counts, runnerIteration, timePhases } from "./_timing.ts";

const WORKFLOW_URL = new URL("./workflow/workflow.ts", import.meta.url).href;
const PASSTHROUGH = { passthroughModules: [...DEFAULT_PASSTHROUGH, "zod"], passthroughAllModules: false };
const COUNTS: Record<"full" | "quick", Counts> = {
  full: { warmup: 300, rounds: 7, perRound: 300 },
  quick: { warmup: 20, rounds: 3, perRound: 20 },
};

type Options = NonNullable<ConstructorParameters<typeof SandboxedWorkflowRunner>[0]>;
type Restrictions = NonNullable<Options["restrictions"]>;
type Matcher = unknown;
interface RestrictionsApi {
  readonly default: { withPassthroughModules(...names: string[]): { with(fields: object): unknown } };
}
interface MatcherApi {
  readonly none: Matcher;
}

/**
 * `SandboxRestrictions` and `SandboxMatcher`: from the package when it exports them, else from the
 * sources (the same module instances when the bench runs with the `workflow-sandbox-source`
 * condition or on Deno; a copy that the runner does not recognise otherwise, which the probe catches).
 */
async function restrictionApi(): Promise<{ restrictions: RestrictionsApi; matcher: MatcherApi } | undefined> {
  const exported = sandbox as Record<string, unknown>;
  if (exported.SandboxRestrictions && exported.SandboxMatcher) {
    return { restrictions: exported.SandboxRestrictions as RestrictionsApi, matcher: exported.SandboxMatcher as MatcherApi };
  }
  try {
    const [restrictions, matcher] = await Promise.all([
      import(new URL("../sandbox/sandbox_restrictions.ts", import.meta.url).href),
      import(new URL("../sandbox/sandbox_matcher.ts", import.meta.url).href),
    ]);
    return { restrictions: restrictions.SandboxRestrictions, matcher: matcher.SandboxMatcher };
  } catch {
    return undefined;
  }
}

/** Runs the probe workflow (it calls `Math.random()`) under `options` and returns its answer. */
async function probe(options: Options, probeUrl: string): Promise<string> {
  const runner = new SandboxedWorkflowRunner({ ...options, onWarning: () => {} } as Options);
  const [definition] = await discoverWorkflows(probeUrl);
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  const { results } = await instance.activate([(workflow) => (workflow as () => Promise<string>)()]);
  const answer = await results[0];
  instance.dispose();
  return answer;
}

const [variant, probeUrl, ...rest] = process.argv.slice(2);
const counts = COUNTS[rest.includes("--quick") ? "quick" : "full"];
const stub = createStubDecorator();
const api = await restrictionApi();

async function optionsFor(name: string): Promise<Options | string> {
  switch (name) {
    case "none":
      return { restrictions: PASSTHROUGH };
    case "stub":
      return { restrictions: { ...PASSTHROUGH, decorator: stub } as Restrictions };
    case "empty-table":
    case "default-rules": {
      if (!api) return "SandboxRestrictions is neither exported by the package nor importable from its sources";
      const rules = api.restrictions.default.withPassthroughModules("zod");
      const restrictions = (name === "default-rules"
        ? rules
        : rules.with({ invalidModules: api.matcher.none, invalidModuleMembers: api.matcher.none })) as Restrictions;
      const expected = name === "default-rules" ? "restricted" : "allowed";
      const answer = await probe({ restrictions }, probeUrl);
      if (answer !== expected) {
        return `the runner did not apply these restrictions: Math.random() was ${answer} in a workflow`;
      }
      return { restrictions };
    }
    default:
      throw new Error(`Unknown variant '${name}': pass none, empty-table, default-rules or stub`);
  }
}

const options = await optionsFor(variant);
if (typeof options === "string") {
  report({ available: false, reason: options });
} else {
  const runner = new SandboxedWorkflowRunner(options);
  const [definition] = await discoverWorkflows(WORKFLOW_URL);
  await runner.prepare(definition);
  const input = benchInput();
  const iteration = runnerIteration(runner, definition, (workflow) => (workflow as (input: unknown) => Promise<string>)(input));
  if (variant === "stub") {
    await iteration(new Float64Array(3));
    if (stub.calls === 0) {
      report({ available: false, reason: "the runner takes no decorator: it applies SandboxRestrictions itself" });
      process.exit(0);
    }
  }
  report({ available: true, ...await timePhases(counts, iteration) });
}
