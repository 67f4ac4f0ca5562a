// A stand-in for the default rules (issue 3), for runners that take a `restrictions.decorator`
// whose `globals()` gives each run replacement globals, shaped like what the rules do to the
// globals the bench workflow uses: a per-run copy of Math with `random` replaced, and a
// `Proxy(Date)` whose construct and apply traps refuse the forms that read the clock. A runner that
// applies `SandboxRestrictions` itself ignores the decorator; bench/restrictions_bench.ts then
// measures the real default rules and reports the stub as not run.

/** The part of the runner's `RunDecorator` the stub implements. */
export interface StubDecorator {
  globals(): Record<string, unknown>;
  /** How many runs asked for globals (the bench checks that the runner called it). */
  readonly calls: number;
}

// Captured once, as the real rules capture intrinsics before workflow code runs.
const MATH_TEMPLATE: Record<PropertyKey, unknown> = {};
for (const key of Reflect.ownKeys(Math)) MATH_TEMPLATE[key] = (Math as unknown as Record<PropertyKey, unknown>)[key];

function refused(name: string): Error {
  return new Error(`Cannot call ${name} in a workflow as it is not deterministic: use workflow.now() or workflow.random()`);
}

/** Creates the stub decorator. */
export function createStubDecorator(): StubDecorator {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    globals() {
      calls++;
      const math = { ...MATH_TEMPLATE, random: () => { throw refused("Math.random()"); } };
      const date = new Proxy(Date, {
        construct(target, args, newTarget) {
          if (args.length === 0) throw refused("new Date()");
          return Reflect.construct(target, args, newTarget);
        },
        apply() {
          throw refused("Date()");
        },
      });
      return { Math: math, Date: date };
    },
  };
}
