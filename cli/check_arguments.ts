/**
 * The command line of `workflow-sandbox check`: a small parser (long options, `--name=value`,
 * `--`), validation of the values with zod, and the usage errors (exit code 2) that name the option
 * or file and the fix.
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { codedError, composeMessage, errorDocs } from "../sandbox/coded_error.ts";
import { brandClass } from "../sandbox/error_brand.ts";

/** The validated arguments of `check`. */
export interface CheckArguments {
  /** Workflow files, absolute. */
  readonly files: readonly string[];
  /** Folders of recorded histories, absolute. */
  readonly histories: readonly string[];
  /** Print one JSON document instead of text. */
  readonly json: boolean;
  /** Cost from which a module can be a pass-through candidate, in milliseconds per run. */
  readonly thresholdMs: number;
  /** Measured instantiations per workflow file. */
  readonly samples: number;
  /** A module exporting the worker's `SandboxRestrictions`, absolute. */
  readonly restrictions: string | undefined;
  /** Modules to pass through on top of the restrictions' own. */
  readonly passthrough: readonly string[];
  readonly help: boolean;
}

/**
 * Options of {@link CheckUsageError}.
 *
 * @example
 * ```ts
 * import type { CheckUsageErrorOptions } from "./check_arguments.ts";
 * const options: CheckUsageErrorOptions = { option: "--jsn", hint: "Did you mean '--json'?" };
 * ```
 */
export interface CheckUsageErrorOptions {
  /** The option (`--threshold`) or argument concerned. */
  readonly option?: string;
  /**
   * The fix.
   * @default {"Run 'workflow-sandbox check --help' for the options"}
   */
  readonly hint?: string;
  /** The error this one was caused by. */
  readonly cause?: unknown;
}

/**
 * A usage error: an unknown option, a bad value, a missing file. The command prints the message and
 * exits with code 2. Branded (sandbox/error_brand.ts), so `instanceof` holds across copies of the
 * package; the command builds it with `codedError()`, the constructor is for code that builds one
 * itself.
 *
 * @example
 * ```ts
 * import { CheckUsageError } from "./check_arguments.ts";
 * const error = new CheckUsageError("Unknown option '--jsn'", { option: "--jsn", hint: "Did you mean '--json'?" });
 * error.code; // "WFS_CLI_USAGE"
 * error.message; // "Unknown option '--jsn'. Did you mean '--json'? (WFS_CLI_USAGE)"
 * ```
 */
export class CheckUsageError extends Error {
  /** The brand every copy of this package recognises. */
  declare static readonly brand: symbol;

  /** Stable code with a page in `docs/errors/`. */
  readonly code: "WFS_CLI_USAGE";
  /** The fix. */
  readonly hint: string;
  /** The address of the code's page. */
  readonly docs: string;
  /** The option (`--threshold`) or argument concerned. */
  readonly option: string | undefined;

  /**
   * @param message What happened, without the fix (that is `hint`) or the code: both are appended.
   * @param options The option concerned (a string is taken as `option`), the fix, the cause.
   */
  constructor(message: string, options: string | CheckUsageErrorOptions = {}) {
    const { option, hint = CheckUsageError.HINT, cause } = typeof options === "string" ? { option: options } : options;
    super(composeMessage({ code: "WFS_CLI_USAGE", message, hint }), cause === undefined ? undefined : { cause });
    this.code = "WFS_CLI_USAGE";
    this.hint = hint;
    this.docs = errorDocs("WFS_CLI_USAGE");
    this.option = option;
  }

  /** The fix a usage error gives by default. */
  static readonly HINT = "Run 'workflow-sandbox check --help' for the options";
}
brandClass(CheckUsageError, "error", "CheckUsageError");

interface OptionSpec {
  readonly key: keyof Raw;
  readonly value: boolean;
  readonly repeat?: boolean;
}

interface Raw {
  files: string[];
  histories: string[];
  json?: boolean;
  threshold?: string;
  samples?: string;
  restrictions?: string;
  passthrough: string[];
  help?: boolean;
}

const OPTIONS: Readonly<Record<string, OptionSpec>> = {
  "--histories": { key: "histories", value: true, repeat: true },
  "--json": { key: "json", value: false },
  "--threshold": { key: "threshold", value: true },
  "--samples": { key: "samples", value: true },
  "--restrictions": { key: "restrictions", value: true },
  "--passthrough": { key: "passthrough", value: true, repeat: true },
  "--help": { key: "help", value: false },
  "-h": { key: "help", value: false },
};

const FLAG_OF: Readonly<Record<string, string>> = {
  files: "<workflow-file>",
  histories: "--histories",
  threshold: "--threshold",
  samples: "--samples",
  restrictions: "--restrictions",
  passthrough: "--passthrough",
};

const number = (what: string) =>
  z.string().trim().min(1, `expected ${what}`).transform((text, ctx) => {
    const value = Number(text);
    if (!Number.isFinite(value)) ctx.addIssue({ code: "custom", message: `expected ${what}: current value is '${text}'` });
    return value;
  });

const SCHEMA = z.object({
  files: z.array(z.string().min(1)),
  histories: z.array(z.string().min(1, "expected a folder")),
  json: z.boolean().default(false),
  threshold: number("a number of milliseconds such as 1 or 0.5").pipe(
    z.number().nonnegative("expected a number of milliseconds that is 0 or more"),
  ).default(1),
  samples: number("a whole number of runs such as 10").pipe(
    z.number().int("expected a whole number of runs").min(2, "expected at least 2 runs (two runs are compared)").max(10_000, "expected at most 10000 runs"),
  ).default(10),
  restrictions: z.string().min(1, "expected a module path").optional(),
  passthrough: z.array(z.string().min(1, "expected a module name, such as zod or ./schemas.ts")),
  help: z.boolean().default(false),
}).strict();

/**
 * Parses and validates the arguments after `check`; throws {@linkcode CheckUsageError}.
 *
 * @example
 * ```ts
 * import { parseCheckArguments } from "./check_arguments.ts";
 * const args = parseCheckArguments(["workflows.ts", "--json", "--threshold", "0.5"], "/app");
 * args.files; // ["/app/workflows.ts"] (when the file exists)
 * args.thresholdMs; // 0.5
 * ```
 */
export function parseCheckArguments(argv: readonly string[], cwd: string): CheckArguments {
  const raw: Raw = { files: [], histories: [], passthrough: [] };
  let positionalOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (positionalOnly || !arg.startsWith("-") || arg === "-") {
      raw.files.push(arg);
      continue;
    }
    if (arg === "--") {
      positionalOnly = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = OPTIONS[name];
    if (!spec) {
      const nearest = closest(name);
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Unknown option '${name}'`,
        hint: `${nearest ? `Did you mean '${nearest}'? ` : ""}${CheckUsageError.HINT}`,
      }, { option: name });
    }
    let value: string | boolean = true;
    if (spec.value) {
      if (eq > 0) value = arg.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) value = argv[++i];
      else {
        throw codedError(CheckUsageError, {
          code: "WFS_CLI_USAGE",
          message: `Option '${name}' needs a value`,
          hint: `Write '${name} <value>' or '${name}=<value>'`,
        }, { option: name });
      }
    } else if (eq > 0) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Option '${name}' takes no value: current value is '${arg.slice(eq + 1)}'`,
        hint: `Write '${name}' alone`,
      }, { option: name });
    }
    if (spec.repeat) (raw[spec.key] as string[]).push(value as string);
    else if (raw[spec.key] !== undefined && spec.value) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Option '${name}' is given twice`,
        hint: "Give it once",
      }, { option: name });
    } else (raw as unknown as Record<string, unknown>)[spec.key] = value;
  }

  const parsed = SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = FLAG_OF[String(issue.path[0])] ?? String(issue.path[0]);
    throw codedError(CheckUsageError, {
      code: "WFS_CLI_USAGE",
      message: `Invalid value for '${flag}': ${issue.message.replace(/^Invalid input: /, "")}`,
      hint: `Pass what '${flag}' expects; 'workflow-sandbox check --help' describes its values`,
    }, { option: flag });
  }
  const options = parsed.data;
  if (options.help) {
    return { files: [], histories: [], json: false, thresholdMs: 1, samples: 10, restrictions: undefined, passthrough: [], help: true };
  }
  if (options.files.length === 0) {
    throw codedError(CheckUsageError, {
      code: "WFS_CLI_USAGE",
      message: "No workflow file given",
      hint: "Pass the module that exports your workflows, as the worker's workflowsPath " +
        "(workflow-sandbox check src/workflows.ts)",
    }, { option: FLAG_OF.files });
  }
  const files = options.files.map((file) => {
    const path = resolve(cwd, file);
    if (!existsSync(path)) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Cannot check '${file}': the file does not exist (looked at '${path}')`,
        hint: "Pass the path of a module that exports workflows",
      }, { option: file });
    }
    if (!statSync(path).isFile()) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Cannot check '${file}': it is a folder`,
        hint: "Pass the module that exports your workflows (the worker's workflowsPath)",
      }, { option: file });
    }
    return path;
  });
  const histories = options.histories.map((dir) => {
    const path = resolve(cwd, dir);
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Cannot read histories from '${dir}': ${existsSync(path) ? "it is not a folder" : "the folder does not exist"} ` +
          `(looked at '${path}')`,
        hint: "Pass a folder of JSON histories saved from handle.fetchHistory()",
      }, { option: "--histories" });
    }
    return path;
  });
  let restrictions: string | undefined;
  if (options.restrictions !== undefined) {
    restrictions = resolve(cwd, options.restrictions);
    if (!existsSync(restrictions)) {
      throw codedError(CheckUsageError, {
        code: "WFS_CLI_USAGE",
        message: `Cannot load '--restrictions ${options.restrictions}': the file does not exist (looked at '${restrictions}')`,
        hint: "Pass a module that exports the worker's SandboxRestrictions as 'restrictions'",
      }, { option: "--restrictions" });
    }
  }
  return {
    files,
    histories,
    json: options.json,
    thresholdMs: options.threshold,
    samples: options.samples,
    restrictions,
    passthrough: options.passthrough,
    help: false,
  };
}

/** The known option nearest to a mistyped one (edit distance at most 3). */
function closest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 4;
  for (const known of Object.keys(OPTIONS)) {
    const distance = editDistance(name, known);
    if (distance < bestDistance) [best, bestDistance] = [known, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
