/**
 * The report of `workflow-sandbox check`: what `--json` prints, and what the text output shows.
 * @module
 */
import type { PassedThroughModule, InvalidImport } from "./graph_report.ts";
import type { PassthroughCandidate, RejectedCandidate } from "./passthrough_candidates.ts";
import type { ReplayOutcome } from "./history_replay.ts";

/** A sandboxed module with its measured cost. */
export interface ModuleCostEntry {
  readonly url: string;
  readonly path: string;
  readonly kind: string;
  /** Median milliseconds per run; `null` when runs do not instantiate it at start (lazy, JSON, or not measured). */
  readonly costMs: number | null;
}

/** A restricted access the sandbox reported (thrown or caught). */
export interface RestrictedCall {
  readonly workflow: string;
  readonly rule: string;
  /** `file:line:col` of the call in workflow code, when the sandbox located it. */
  readonly location: string | undefined;
  readonly message: string;
}

/**
 * A package that received deterministic values instead of the host's (deterministic mode,
 * docs/determinism.md): one entry per package and source.
 */
export interface SubstitutedValue {
  readonly package: string;
  readonly source: string;
  /** `file:line:col` of the first read, when the sandbox located it. */
  readonly location: string | undefined;
  readonly message: string;
}

/** A write to an object every run shares. */
export interface Mutation {
  readonly module: string;
  readonly property: string;
  readonly change: "added" | "changed" | "deleted";
  /** When it happened: while the modules were imported, or during a replayed run. */
  readonly phase: "import" | "replay";
}

/** A workflow exported by the file. */
export interface WorkflowEntry {
  readonly name: string;
  readonly sandboxed: boolean;
  /** Why it failed validation, if it did. */
  readonly error?: { readonly code: string | undefined; readonly message: string; readonly location: string | undefined };
}

/** The report of one workflow file. */
export interface FileReport {
  readonly file: string;
  readonly ok: boolean;
  /** Problems that make the check fail, one line each. */
  readonly problems: readonly string[];
  readonly workflows: readonly WorkflowEntry[];
  readonly modules: { readonly sandboxed: readonly ModuleCostEntry[]; readonly passedThrough: readonly PassedThroughModule[] };
  readonly importTimeRestrictedCalls: readonly RestrictedCall[];
  readonly runTimeRestrictedCalls: readonly RestrictedCall[];
  /** Packages that received deterministic values (clock, random, locale, environment), once each. */
  readonly substitutedValues: readonly SubstitutedValue[];
  readonly invalidImports: readonly InvalidImport[];
  readonly mutations: readonly Mutation[];
  readonly candidates: readonly PassthroughCandidate[];
  /** Modules that cost at least the threshold but are not candidates, and why. */
  readonly notCandidates: readonly RejectedCandidate[];
  /** Warnings that do not fail the check (locale-dependent calls, dynamic imports, ...). */
  readonly warnings: readonly { readonly kind: string; readonly message: string; readonly location?: string }[];
}

/** The whole report. */
export interface CheckReport {
  readonly ok: boolean;
  readonly thresholdMs: number;
  readonly samples: number;
  readonly files: readonly FileReport[];
  /** Present with `--histories`. */
  readonly histories: { readonly dirs: readonly string[]; readonly outcomes: readonly ReplayOutcome[] } | undefined;
}
