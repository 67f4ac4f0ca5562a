// Deterministic mode (sandbox/determinism_policy.ts, sandbox/deterministic_rules.ts,
// sandbox/deterministic_values.ts, docs/determinism.md), through the real SandboxedWorkflowRunner
// and three small packages of tests/fixtures/determinism_units (their own package.json names):
// where code is written decides (the workflow's own code stays strict), the clock is the engine's
// workflow time, each package draws from its own stream of the run's seed, dates keep one
// prototype, the time zone and locale are the worker's, the environment is constants, overrides
// per package and per rule, reports once per package, and the policy's own checks.
import { test } from "uvu";
import * as assert from "node:assert/strict";
import {
  DETERMINISM_SOURCES,
  type DeterminismOptions,
  DeterminismPolicy,
  discoverWorkflows,
  RESTRICTED_RULES,
  qualifiedName,
  SandboxedWorkflowRunner,
  SandboxRestrictions,
  type SandboxWarning,
  SUBSTITUTION_RULES,
  VALIDATION_SEED,
  VALIDATION_TIME,
} from "../mod.ts";
import { hasMaker } from "../sandbox/deterministic_values.ts";
import { FixedZone } from "../sandbox/_fixed_zone.ts";

const WORKFLOWS = new URL("./fixtures/determinism_units/workflows.ts", import.meta.url).href;
const IMPORTED_AT = Date.UTC(2030, 0, 1);
const ACTIVATED_AT = Date.UTC(2030, 0, 2, 3, 4, 5);

type Values = Record<string, any>;

/** Runs one workflow of the fixture in a fresh run of `runner`, with the engine's seed and clock. */
async function run(
  name: string,
  args: unknown[] = [],
  options: { determinism?: DeterminismOptions; seed?: string; runner?: SandboxedWorkflowRunner; warnings?: SandboxWarning[] } = {},
): Promise<Values> {
  const runner = options.runner ?? runnerWith(options.determinism, options.warnings);
  const definition = (await discoverWorkflows(WORKFLOWS)).find((d) => d.name === name)!;
  const instance = await runner.createInstance({ definition, randomnessSeed: options.seed ?? "seed-1", now: IMPORTED_AT });
  try {
    const { results } = await instance.activate([(workflow) => (workflow as (...a: unknown[]) => Promise<unknown>)(...args)], { now: ACTIVATED_AT });
    return await results[0] as Values;
  } finally {
    instance.dispose();
  }
}

function runnerWith(determinism?: DeterminismOptions, warnings: SandboxWarning[] = []): SandboxedWorkflowRunner {
  const restrictions = determinism ? SandboxRestrictions.default.withDeterminism(determinism) : SandboxRestrictions.default;
  return new SandboxedWorkflowRunner({ restrictions, onWarning: (warning) => warnings.push(warning) });
}

test("a package reads the workflow clock, however it reaches it; import time is the engine's too", async () => {
  const { importedAt, clock, cjs } = await run("values", [0]);
  assert.equal(importedAt, IMPORTED_AT);
  assert.deepEqual(
    { ...clock, called: undefined, viaSelf: undefined },
    { now: ACTIVATED_AT, created: ACTIVATED_AT, called: undefined, viaGlobal: ACTIVATED_AT, viaSelf: undefined, performance: ACTIVATED_AT, hrtime: ACTIVATED_AT },
  );
  assert.equal(clock.called, "string");
  assert.ok(clock.viaSelf === null || clock.viaSelf === ACTIVATED_AT, "self.Date is the package's too (Deno)");
  assert.equal(cjs.now, ACTIVATED_AT, "global.Date in a CommonJS package");
  assert.equal(cjs.rootIsGlobalThis, true);
});

test("randomness: the same seed gives the same values, another seed others, and each package has its own stream", async () => {
  const a = await run("values", [0], { seed: "seed-1" });
  const b = await run("values", [0], { seed: "seed-1" });
  const c = await run("values", [0], { seed: "seed-2" });
  assert.deepEqual(a.randomness, b.randomness);
  assert.deepEqual(a.cjs.bytes, b.cjs.bytes);
  assert.notDeepEqual(a.randomness, c.randomness);
  assert.match(a.randomness.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a.randomness.int >= 0 && a.randomness.int < 1000);
  // other-lib draws five more numbers first: fake-lib's values do not move.
  const shifted = await run("values", [5], { seed: "seed-1" });
  assert.deepEqual(shifted.randomness, a.randomness);
  assert.notDeepEqual(shifted.other, a.other);
});

test("dates share Date.prototype across packages; date.constructor is the package's Date", async () => {
  const dates = await run("dates");
  assert.deepEqual(dates, {
    theirsIsDate: true,
    oursIsTheirDate: true,
    libSeesOurs: true,
    sharedPrototype: true,
    fromConstructor: ACTIVATED_AT,
    json: '"1970-01-01T00:00:00.000Z"',
    marker: "set by fake-lib",
  });
});

test("time zone and locale: UTC and en-US by default, the worker's when configured, whatever the host's", async () => {
  const utc = (await run("values", [0])).zone;
  assert.equal(utc.hours, 0);
  assert.equal(utc.offset, 0);
  assert.equal(utc.text, "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)");
  assert.equal(utc.local, "2024-01-01T12:00:00.000Z");
  assert.equal(utc.parsed, Date.UTC(2024, 0, 1, 12));
  assert.equal(utc.dateOnly, Date.UTC(2024, 0, 1));
  assert.equal(utc.withOffset, Date.UTC(2024, 0, 1, 12));
  assert.equal(utc.intl.timeZone, "UTC");
  assert.equal(utc.intl.locale, "en-US");
  assert.equal(utc.number, "1,234.5");
  assert.equal(utc.locale, "1/1/1970, 12:00:00 AM");

  const tokyo = (await run("values", [0], { determinism: { timeZone: "Asia/Tokyo", locale: "de-DE" } })).zone;
  assert.equal(tokyo.hours, 9);
  assert.equal(tokyo.offset, -540);
  assert.equal(tokyo.text, "Thu Jan 01 1970 09:00:00 GMT+0900 (Japanische Normalzeit)");
  assert.equal(tokyo.local, "2024-01-01T03:00:00.000Z");
  assert.equal(tokyo.parsed, Date.UTC(2024, 0, 1, 3));
  assert.equal(tokyo.dateOnly, Date.UTC(2024, 0, 1), "an ISO date alone is UTC, as the specification says");
  assert.equal(tokyo.intl.timeZone, "Asia/Tokyo");
  assert.equal(tokyo.intl.locale, "de-DE");
  assert.equal(tokyo.number, "1.234,5");
  assert.equal(tokyo.locale, "1.1.1970, 09:00:00");
});

test("the fixed zone computes local time from Intl, with daylight saving time", () => {
  const paris = new FixedZone("Europe/Paris", "en-US");
  assert.equal(paris.offset(Date.UTC(2024, 0, 15)), 3_600_000);
  assert.equal(paris.offset(Date.UTC(2024, 6, 15)), 7_200_000);
  assert.equal(paris.fromLocal(Date.UTC(2024, 6, 15, 12)), Date.UTC(2024, 6, 15, 10));
  assert.equal(paris.toString(Date.UTC(2024, 6, 15, 10)), "Mon Jul 15 2024 12:00:00 GMT+0200 (Central European Summer Time)");
  assert.equal(paris.parseLocal("2024-07-15T12:00"), Date.UTC(2024, 6, 15, 10));
  assert.equal(paris.parseLocal("July 15, 2024 12:00:00"), Date.UTC(2024, 6, 15, 10));
  assert.equal(new FixedZone("Etc/UTC", "en-US").utc, true);
});

test("environment: NODE_ENV and declared names are constants in both modes; other names are undefined in packages and refused in the workflow's code at run time", async () => {
  const warnings: SandboxWarning[] = [];
  const { env, cjs } = await run("values", [0], { determinism: { environment: { REGION: "eu-west" } }, warnings });
  assert.deepEqual(env, { nodeEnv: "development", region: "eu-west", home: undefined, global: "development" });
  assert.equal(cjs.nodeEnv, "development");
  const reported = warnings.filter((w) => w.kind === "substituted-value" && w.source === "environment").map((w) => w.message);
  assert.equal(reported.length, 2, reported.join("\n"));
  assert.equal((await run("ownEnv", ["NODE_ENV"], { determinism: { nodeEnv: "production" } })), "production");
  assert.equal((await run("ownEnv", ["REGION"], { determinism: { environment: { REGION: "eu" } } })), "eu");
  await assert.rejects(run("ownEnv", ["HOME"]), (error: Error & { code?: string; rule?: string }) => {
    assert.equal(error.code, "WFS_RESTRICTED");
    assert.equal(error.rule, "globalThis.process.env");
    assert.match(error.message, /determinism: \{ environment: \{ NAME: 'value' \} \}/);
    return true;
  });
});

test("strict mode, per runner, per package and per rule", async () => {
  const refused = (rule: string) => (error: Error & { rule?: string }) => error.rule === rule;
  // Strict for all code: the package's first read of the clock while it loads is refused.
  await assert.rejects(run("values", [0], { determinism: { otherPackages: "strict" } }), refused("globalThis.Date.now.__call__"));
  await assert.rejects(run("values", [0], { determinism: { byPackage: { "fake-lib": "strict" } } }), refused("globalThis.Date.now.__call__"));
  await assert.rejects(run("values", [0], { determinism: { byRule: { random: "strict" } } }), refused("globalThis.Math.random.__call__"));
  // Per package and rule: only fake-lib's Math.random is strict; cjs-lib and other-lib keep theirs.
  await assert.rejects(
    run("values", [0], { determinism: { byPackage: { "fake-lib": { rules: { "globalThis.Math.random": "strict" } } } } }),
    refused("globalThis.Math.random.__call__"),
  );
  const others = await run("values", [0], { determinism: { byPackage: { "fake-lib": { rules: { "crypto.randomBytes": "strict" } } } } }).catch((e) => e);
  assert.equal(others.rule, "crypto.randomBytes.__call__");
  // The workflow's own code: strict by default, deterministic on request (as Temporal TypeScript).
  await assert.rejects(run("ownRandom"), refused("globalThis.Math.random.__call__"));
  const own = await run("ownRandom", [], { determinism: { workflowPackage: "deterministic" } });
  assert.equal(typeof own, "number");
  assert.equal(await run("ownRandom", [], { determinism: { byRule: { random: "deterministic" } } }), own);
});

test("validation runs see the fixed time and seed; each package is reported once per runner and source", async () => {
  const warnings: SandboxWarning[] = [];
  const runner = runnerWith(undefined, warnings);
  const definition = (await discoverWorkflows(WORKFLOWS)).find((d) => d.name === "values")!;
  await runner.prepare(definition);
  const instance = await runner.createInstance({ definition });
  const { results } = await instance.activate([(workflow) => (workflow as (n: number) => Promise<Values>)(0)]);
  const values = await results[0] as Values;
  assert.equal(values.importedAt, VALIDATION_TIME);
  assert.equal(values.clock.now, VALIDATION_TIME);
  const seeded = await run("values", [0], { seed: VALIDATION_SEED });
  assert.deepEqual(values.randomness, seeded.randomness);
  for (let i = 0; i < 3; i++) await run("values", [0], { runner });
  const substituted = warnings.filter((w) => w.kind === "substituted-value");
  const keys = substituted.map((w) => w.rule).sort();
  assert.deepEqual(keys, [...new Set(keys)]);
  assert.deepEqual(keys, [
    "cjs-lib:clock", "cjs-lib:environment", "cjs-lib:random",
    "fake-lib:clock", "fake-lib:environment", "fake-lib:locale", "fake-lib:random",
    "other-lib:random",
  ]);
  const clock = substituted.find((w) => w.rule === "fake-lib:clock")!;
  assert.equal(clock.message, "fake-lib read the clock at index.js:5 and got workflow time");
  assert.match(clock.location!, /determinism_units\/fake_lib\/index\.js:5:\d+$/);
  assert.equal(warnings.filter((w) => w.kind === "restricted-access").length, 0, JSON.stringify(warnings));
});

test("the substitution table: every row has a maker, names real rules, and DeterminismPolicy resolves modes in order", () => {
  const rules = new Set(RESTRICTED_RULES.map((rule) => qualifiedName(rule.path)));
  for (const row of SUBSTITUTION_RULES) {
    assert.ok(hasMaker(row), `no maker for ${qualifiedName(row.path)}`);
    assert.ok(row.replaces.length > 0, `${qualifiedName(row.path)} replaces no rule`);
    for (const name of row.replaces) assert.ok(rules.has(name), `${qualifiedName(row.path)} names the unknown rule '${name}'`);
    assert.ok(DETERMINISM_SOURCES.includes(row.source));
  }
  const policy = DeterminismPolicy.default.with({
    byRule: { random: "strict", "globalThis.Math.random": "deterministic" },
    byPackage: { a: "strict", b: { rules: { clock: "deterministic" } } },
  });
  const lib = { name: "lib", workflow: false };
  assert.equal(policy.modeOf(lib, "globalThis.Math.random", "random"), "deterministic");
  assert.equal(policy.modeOf(lib, "crypto.randomBytes", "random"), "strict");
  assert.equal(policy.modeOf(lib, "globalThis.Date.now", "clock"), "deterministic");
  assert.equal(policy.modeOf({ name: "a", workflow: false }, "globalThis.Date.now", "clock"), "strict");
  assert.equal(policy.modeOf({ name: "app", workflow: true }, "globalThis.Date.now", "clock"), "strict");
  assert.equal(policy.modeOf({ name: "b", workflow: true }, "globalThis.Date.now", "clock"), "deterministic");
  assert.deepEqual(DeterminismPolicy.default.environment, { NODE_ENV: "development" });
  assert.equal(DeterminismPolicy.default.substitutionsOf({ name: "app", workflow: true }).length, 0);
});

test("DeterminismPolicy refuses unknown options, rules, time zones and locales, naming them", () => {
  const invalid = (options: DeterminismOptions, pattern: RegExp) =>
    assert.throws(() => new DeterminismPolicy(options), (error: Error & { code?: string }) => {
      assert.equal(error.code, "WFS_INVALID_OPTION");
      assert.ok(error instanceof TypeError);
      assert.match(error.message, pattern);
      return true;
    });
  invalid({ timeZone: "Mars/Olympus" } as DeterminismOptions, /option 'timeZone' is invalid: expected an IANA time zone/);
  invalid({ locale: "not a locale!" }, /option 'locale' is invalid/);
  invalid({ byRule: { sun: "strict" } } as DeterminismOptions, /option 'byRule\.sun' is invalid: unknown rule 'sun'/);
  invalid({ byPackage: { lodash: "maybe" as "strict" } }, /option 'byPackage\.lodash' is invalid/);
  invalid({ clock: "strict" } as unknown as DeterminismOptions, /option 'clock' is unknown/);
  invalid({ environment: { PORT: 80 as unknown as string } }, /option 'environment\.PORT' is invalid/);
  assert.throws(() => SandboxRestrictions.default.with({ determinism: {} as DeterminismPolicy }), /option 'determinism' is invalid/);
});

test.run();
