/**
 * The `--help` text of `workflow-sandbox check`.
 * @module
 */

/** Printed by `workflow-sandbox check --help`. */
export const CHECK_HELP: string = `Usage: workflow-sandbox check [options] <workflow-file>...

Load each workflow file as the worker would (the validation sandbox) and report:
  - its module graph: sandboxed modules (fresh in every run) and passed-through modules (the host's);
  - each sandboxed module's measured per-run instantiation cost;
  - restricted calls executed at import time, with file:line (caught ones too);
  - packages given deterministic values instead of the clock, randomness, the time zone and
    locale or the environment (deterministic mode, docs/determinism.md), once each;
  - static imports of modules the restrictions declare invalid (invalidModules);
  - the mutation report: writes to objects every run shares;
  - pass-through candidates: modules costing at least --threshold whose exported objects are
    unchanged after two runs.

Options:
  --histories <dir>      replay every *.json history below <dir> (repeatable); each history runs
                         against the checked file that exports its workflow type. Format: the
                         reference worker's (handle.fetchHistory()), or Temporal's (proto3 JSON):
                         those replay through workflow-sandbox/temporal against the checked files
                         that import @temporalio/workflow (Node only)
  --threshold <ms>       cost per run from which a module can be a candidate (default 1)
  --samples <n>          measured instantiations per file, after one warm-up (default 10, at least 2)
  --restrictions <file>  module exporting the worker's SandboxRestrictions as 'restrictions'
                         (or default); default: SandboxRestrictions.default
  --passthrough <module> pass a module through, as withPassthroughModules() (repeatable)
  --json                 print one JSON document on stdout instead of text
  -h, --help             show this help

A progress bar is drawn on stderr when stderr is a terminal, and never otherwise.

Exit codes:
  0  every check passed
  1  a check failed: a workflow failed validation, a restricted call ran at import time, an invalid
     module is imported, a shared object was written, or a history did not replay
  2  usage error: unknown option, bad value, missing file or folder (the message names it)

Examples:
  workflow-sandbox check src/workflows.ts
  workflow-sandbox check src/workflows.ts --histories histories/ --json
  deno run -A cli/main.ts check src/workflows.ts       (Deno, from the sources; deno task check)

Documentation: docs/cli.md
`;
