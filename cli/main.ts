/**
 * The `workflow-sandbox` command line: `workflow-sandbox check ...` (cli/check.ts). Run by
 * bin/workflow-sandbox.mjs on Node (from dist/) and directly on Deno:
 * `deno run -A cli/main.ts check workflows.ts`.
 * @module
 */
import process from "node:process";
import { check } from "./check.ts";
import { assertSupportedRuntime, isMainModule } from "../loader/runtime.ts";

const HELP = `Usage: workflow-sandbox <command> [options]

Commands:
  check <workflow-file>...   load workflow files as the worker would and report what the sandbox
                             sees (module graph, costs, import-time restricted calls, candidates);
                             replay histories with --histories. See 'workflow-sandbox check --help'

Options:
  -h, --help                 show this help

Exit codes: 0 passed, 1 a check failed, 2 usage error.
`;

/**
 * Runs the command line; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { main } from "./main.ts";
 * process.exitCode = await main(["check", "workflows.ts"]);
 * ```
 */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr };
  try {
    assertSupportedRuntime();
  } catch (error) {
    process.stderr.write(`workflow-sandbox: ${(error as Error).message}\n`);
    return 1;
  }
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    if (command === undefined) {
      process.stderr.write("workflow-sandbox: no command given. Run 'workflow-sandbox check <workflow-file>' (WFS_CLI_USAGE)\n\n" + HELP);
      return 2;
    }
    process.stdout.write(HELP);
    return 0;
  }
  if (command === "check") return await check(rest, io);
  process.stderr.write(`workflow-sandbox: unknown command '${command}'. The commands are: check. Run 'workflow-sandbox --help' (WFS_CLI_USAGE)\n`);
  return 2;
}

// Deno runs this file directly; Node runs bin/workflow-sandbox.mjs, which calls main().
if (isMainModule(import.meta)) {
  process.exitCode = await main(process.argv.slice(2));
}
