// Starting a bench child: the same runtime with the same flags as this process, so that every
// baseline runs alone in a fresh process (no JIT, heap or module-cache state shared between
// baselines). Children print one result line, `BENCH_RESULT <json>`, on stdout.
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { isDeno } from "../loader/runtime.ts";

const RESULT_PREFIX = "BENCH_RESULT ";
// Under Deno, process.execPath is the deno binary, which needs `run`.

/** Options of {@link childCommand}. */
export interface ChildCommandOptions {
  /**
   * Prepare the child for heap measurements: expose `gc()`, and keep V8 from flushing the bytecode
   * of functions that have not run for a while. Flushing frees hundreds of KB at moments of its
   * choosing, which would swamp a growth of a few bytes per run (measured: heap-after-GC of
   * sandboxed runs moved by -15 to +26 B per run between checkpoints with flushing, by less than
   * +-1.6 without).
   * @default false
   */
  readonly heapFlags?: boolean;
}

const HEAP_FLAGS = ["--expose-gc", "--no-flush-bytecode"];

/** The command that runs `script` with this process's runtime and flags. */
export function childCommand(script: string | URL, args: readonly string[] = [], options: ChildCommandOptions = {}): string[] {
  const path = script instanceof URL ? fileURLToPath(script) : script;
  if (isDeno) {
    return [process.execPath, "run", "-A", ...(options.heapFlags ? [`--v8-flags=${HEAP_FLAGS.join(",")}`] : []), path, ...args];
  }
  const flags = [...process.execArgv];
  if (options.heapFlags) flags.push(...HEAP_FLAGS.filter((flag) => !flags.includes(flag)));
  return [process.execPath, ...flags, path, ...args];
}

/** The runtime doing nothing: `node -e 0` (or `deno eval 0`). */
export function emptyCommand(): string[] {
  return isDeno ? [process.execPath, "eval", "0"] : [process.execPath, "-e", "0"];
}

/** Runs a command to completion; rejects with its stderr when it fails. */
export function run(
  command: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<{ stdout: string; stderr: string; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command[0], command.slice(1), {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      const wallMs = performance.now() - started;
      if (code === 0) resolve({ stdout, stderr, wallMs });
      else reject(new Error(`Bench child '${command.slice(-3).join(" ")}' exited with code ${code}:\n${stderr || stdout}`));
    });
  });
}

/** Runs a bench child and returns the value it reported with {@link report}. */
export async function runChild<T>(
  script: string | URL,
  args: readonly string[],
  options: ChildCommandOptions & { env?: Record<string, string | undefined> } = {},
): Promise<T> {
  const command = childCommand(script, args, options);
  let outcome: { stdout: string; stderr: string };
  try {
    outcome = await run(command, options.env);
  } catch (error) {
    // One retry: a build of dist/ running next to the bench (the test suite rebuilds it) removes
    // the `--import` entry for a moment. A child that fails twice is a real failure.
    process.stderr.write(`[bench child ${args.join(" ")}] failed, retrying once: ${String(error).split("\n").slice(0, 4).join(" ")}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    outcome = await run(command, options.env);
  }
  const { stdout, stderr } = outcome;
  // Children must stay quiet: a warning on stderr (a mutation report, a duplicate package) means
  // the figures were measured on something other than the intended path.
  if (stderr.trim() !== "") process.stderr.write(`[bench child ${args.join(" ")}] ${stderr}`);
  const line = stdout.split("\n").reverse().find((text) => text.startsWith(RESULT_PREFIX));
  if (!line) throw new Error(`Bench child '${args.join(" ")}' reported no result:\n${stdout}${stderr}`);
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as T;
}

/** Reports a child's result to the parent. */
export function report(value: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(value)}\n`);
}
