/**
 * The text output of `workflow-sandbox check`: one section per workflow file, then the replayed
 * histories, then a summary line. Paths are shown relative to the current folder.
 * @module
 */
import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { CheckReport, FileReport } from "./check_report.ts";

/**
 * Formats a report for a terminal or a CI log.
 *
 * @example
 * ```ts
 * import { formatCheckReport } from "./check_output.ts";
 * declare const report: import("./check_report.ts").CheckReport;
 * console.log(formatCheckReport(report, process.cwd()));
 * ```
 */
export function formatCheckReport(report: CheckReport, cwd: string): string {
  const show = (path: string) => {
    const rel = relative(cwd, path);
    return rel.startsWith(`..${sep}`) || rel === ".." ? path : rel;
  };
  const showUrl = (url: string) => (url.startsWith("file:") ? show(fileURLToPath(url)) : url);
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const lines: string[] = [];
  for (const file of report.files) lines.push(...fileSection(file, report, show, showUrl, ms), "");

  if (report.histories) {
    const { outcomes } = report.histories;
    const failed = outcomes.filter((o) => !o.ok).length;
    lines.push(`histories (${report.histories.dirs.map(show).join(", ")}): ${outcomes.length} replayed, ${failed} failed`);
    for (const o of outcomes) {
      const what = o.workflowType ? `${o.workflowType} (${o.workflowId})` : "";
      if (o.ok) lines.push(`  ok      ${show(o.path)}  ${what}, ${o.workflowTasks} workflow tasks`);
      else lines.push(`  FAILED  ${show(o.path)}  ${what}`.trimEnd(), `          ${o.error?.message ?? "failed"}`);
    }
    lines.push("");
  }

  const problems = report.files.reduce((n, f) => n + f.problems.length, 0) +
    (report.histories?.outcomes.filter((o) => !o.ok).length ?? 0);
  const checked = `${report.files.length} file${report.files.length === 1 ? "" : "s"} checked` +
    (report.histories ? `, ${report.histories.outcomes.length} histor${report.histories.outcomes.length === 1 ? "y" : "ies"} replayed` : "");
  lines.push(report.ok ? `check passed: ${checked}` : `check FAILED: ${checked}, ${problems} problem${problems === 1 ? "" : "s"}`);
  return `${lines.join("\n")}\n`;
}

function fileSection(
  file: FileReport,
  report: CheckReport,
  show: (path: string) => string,
  showUrl: (url: string) => string,
  ms: (value: number) => string,
): string[] {
  const lines = [`${show(file.file)}: ${file.ok ? "ok" : "FAILED"}`];
  const workflows = file.workflows.map((w) => `${w.name}${w.sandboxed ? "" : " (unsandboxed)"}${w.error ? " (failed validation)" : ""}`);
  lines.push(`  workflows: ${workflows.join(", ") || "none"}`);

  const { sandboxed, passedThrough } = file.modules;
  lines.push(`  sandboxed modules (${sandboxed.length}), fresh in every run; median instantiation cost per run over ${report.samples} runs:`);
  const byCost = [...sandboxed].sort((a, b) => (b.costMs ?? -1) - (a.costMs ?? -1));
  for (const m of byCost) lines.push(`    ${(m.costMs === null ? "not measured" : ms(m.costMs)).padStart(12)}  ${show(m.path)}`);
  lines.push(`  passed-through modules (${passedThrough.length}), the host's instances:`);
  for (const m of passedThrough) lines.push(`    ${m.reason.padEnd(12)}  ${showUrl(m.url)}`);

  lines.push(`  restricted calls at import time: ${file.importTimeRestrictedCalls.length || "none"}`);
  for (const c of file.importTimeRestrictedCalls) lines.push(`    ${c.location ? show(c.location) : "(location unknown)"}  ${c.rule}`);
  if (file.runTimeRestrictedCalls.length) {
    lines.push(`  restricted calls during replayed runs: ${file.runTimeRestrictedCalls.length}`);
    for (const c of file.runTimeRestrictedCalls) lines.push(`    ${c.location ? show(c.location) : "(location unknown)"}  ${c.rule}`);
  }
  lines.push(`  packages given deterministic values (docs/determinism.md): ${file.substitutedValues.length || "none"}`);
  for (const s of file.substitutedValues) lines.push(`    ${s.message}`);
  lines.push(`  static imports of invalid modules: ${file.invalidImports.length || "none"}`);
  for (const i of file.invalidImports) lines.push(`    ${show(i.location)}  '${i.specifier}' (invalidModules: ${i.module})`);
  lines.push(`  mutation report: ${file.mutations.length ? `${file.mutations.length} write(s) to shared objects` : "no write to a shared object"}`);
  for (const m of file.mutations) lines.push(`    ${m.change} ${m.property} of ${showUrl(m.module)} (${m.phase === "import" ? "while importing" : "during a replayed run"})`);

  lines.push(`  pass-through candidates (at least ${report.thresholdMs} ms per run, exports unchanged after two runs): ${file.candidates.length || "none"}`);
  for (const c of file.candidates) {
    const basis = c.basis === "runs" ? "unchanged by replayed runs" : "exports only frozen data and functions";
    lines.push(
      `    ${ms(c.costMs).padStart(12)}  ${showUrl(c.url)} (${basis})`,
      `                  pass it through: SandboxRestrictions.default.withPassthroughModules(${JSON.stringify(c.url)})`,
      `                  or a "use passthrough: <specifier>" directive in the modules that import it`,
    );
  }
  for (const r of file.notCandidates) lines.push(`    not a candidate: ${showUrl(r.url)} (${ms(r.costMs)}): ${r.reason}`);
  for (const w of file.warnings) lines.push(`  warning (${w.kind}): ${w.message}${w.location && !w.message.includes(w.location) ? ` at ${show(w.location)}` : ""}`);
  if (file.problems.length) {
    lines.push(`  problems (${file.problems.length}):`);
    for (const p of file.problems) lines.push(`    - ${p}`);
  }
  return lines;
}
