// One child process of the test262 runner (tests/test262_runner.ts, runSuite): runs the listed
// tests natively and sandboxed in this process, and prints a line per test started and per
// outcome (CHILD_LINE and JSON), as soon as it has it, then one that says it is done.
//
//   node --conditions=workflow-sandbox-source --import ./dist/register.js tests/test262_child.ts \
//     ../shared/data/test262 [--list=FILE --work=DIR | test/language/import/a.js ... | --match=SUBSTRING]
//   deno run -A tests/test262_child.ts ../shared/data/test262 --match=module-code/instn
//
// FILE is a JSON array of tests (Test262Test, as runSuite plans them), --work=DIR the folder for
// the cases' files (the runner's parent removes it); by hand, paths below the test262 root or
// --match select tests, and without either it runs every test of the module folders in this one
// process (a test that aborts the runtime ends it).
import { readFileSync } from "node:fs";
import process from "node:process";
import { CHILD_LINE, type ChildMessage, discoverTests, type Test262Test, Test262Runner, test262Root } from "./test262_runner.ts";

const argv = process.argv.slice(2);
const option = (name: string) => argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
const [rootArg, ...paths] = argv.filter((arg) => !arg.startsWith("--"));
const root = test262Root(rootArg);
const listFile = option("list");
const match = option("match");
const tests: Test262Test[] = listFile
  ? JSON.parse(readFileSync(listFile, "utf8"))
  : discoverTests(root, paths.length > 0 ? paths : undefined).filter((test) => match === undefined || test.path.includes(match));

const say = (message: ChildMessage) => process.stdout.write(`${CHILD_LINE}${JSON.stringify(message)}\n`);
const runner = new Test262Runner({
  root,
  work: option("work"),
  onStart: (test) => say({ start: test.path }),
  onOutcome: (test, scenario, side, outcome) => say({ path: test.path, scenario, side, outcome }),
});
try {
  await runner.run(tests);
  say({ done: tests.length });
} finally {
  runner.close();
}
// A test may leave a pending import or a promise behind: once the outcomes are out, end here.
await new Promise((resolve) => process.stdout.write("", resolve));
process.exit(0);
