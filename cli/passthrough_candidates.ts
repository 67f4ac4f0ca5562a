/**
 * Pass-through candidates: sandboxed modules that cost at least a threshold per run and whose
 * exported objects come out unchanged after two runs, so passing them through (one host instance
 * shared by every run) would save their cost without sharing state that changes.
 * @module
 */
import { exportState } from "./export_state.ts";

/** Evidence that a module's exports changed, or did not, during one run of workflow code. */
export interface RunObservation {
  /** The workflow type of the run (a replayed history). */
  readonly workflowType: string;
  /** The history file replayed. */
  readonly source: string;
  /** Modules of interest the run instantiated, by URL: whether their exports changed during it. */
  readonly modules: ReadonlyMap<string, boolean>;
}

/** A module worth passing through. */
export interface PassthroughCandidate {
  readonly url: string;
  readonly costMs: number;
  /**
   * Why its exports are known not to change: `runs` (at least two replayed runs left them as they
   * were) or `frozen` (everything it exports is frozen data or functions; no workflow code ran).
   */
  readonly basis: "runs" | "frozen";
}

/** A module that costs at least the threshold and is not a candidate, with the reason. */
export interface RejectedCandidate {
  readonly url: string;
  readonly costMs: number;
  readonly reason: string;
}

/** Input of {@linkcode passthroughCandidates}. */
export interface CandidateInput {
  readonly costs: ReadonlyMap<string, number>;
  readonly thresholdMs: number;
  /** The `module` objects of two fresh runs, by URL. */
  readonly firstRuns: readonly [ReadonlyMap<string, { exports: unknown }>, ReadonlyMap<string, { exports: unknown }>];
  /** Runs of workflow code observed (replayed histories). */
  readonly observed: readonly RunObservation[];
  /**
   * Modules that are never candidates: the workflow modules themselves (passing one through would
   * share the workflow's own state between runs). @default none
   */
  readonly exclude?: ReadonlySet<string>;
}

/**
 * Decides which costly modules are candidates.
 *
 * @example
 * ```ts
 * import { passthroughCandidates } from "./passthrough_candidates.ts";
 * const table = { exports: { codes: Object.freeze({ a: 1 }) } };
 * const again = { exports: { codes: Object.freeze({ a: 1 }) } };
 * const { candidates } = passthroughCandidates({
 *   costs: new Map([["file:///app/table.ts", 4]]),
 *   thresholdMs: 1,
 *   firstRuns: [new Map([["file:///app/table.ts", table]]), new Map([["file:///app/table.ts", again]])],
 *   observed: [],
 * });
 * candidates[0].basis; // "frozen"
 * ```
 */
export function passthroughCandidates(input: CandidateInput): { candidates: PassthroughCandidate[]; rejected: RejectedCandidate[] } {
  const candidates: PassthroughCandidate[] = [];
  const rejected: RejectedCandidate[] = [];
  const costly = [...input.costs]
    .filter(([url, ms]) => ms >= input.thresholdMs && !input.exclude?.has(url))
    .sort((a, b) => b[1] - a[1]);
  for (const [url, costMs] of costly) {
    const first = input.firstRuns[0].get(url);
    const second = input.firstRuns[1].get(url);
    if (!first || !second) {
      rejected.push({ url, costMs, reason: "it was not instantiated in two runs" });
      continue;
    }
    const a = exportState(first.exports);
    const b = exportState(second.exports);
    if (a.fingerprint !== b.fingerprint) {
      rejected.push({ url, costMs, reason: "two fresh runs export different values (its import-time work is not deterministic)" });
      continue;
    }
    const runs = input.observed.filter((run) => run.modules.has(url));
    const changing = runs.find((run) => run.modules.get(url));
    if (changing) {
      rejected.push({
        url,
        costMs,
        reason: `its exported objects changed during a run of '${changing.workflowType}' (${changing.source})` +
          (a.mutableAt ? `; mutable: ${a.mutableAt}` : ""),
      });
    } else if (runs.length >= 2) {
      candidates.push({ url, costMs, basis: "runs" });
    } else if (a.immutable) {
      candidates.push({ url, costMs, basis: "frozen" });
    } else {
      rejected.push({
        url,
        costMs,
        reason: `its exports can change (${a.mutableAt}) and fewer than two recorded runs of workflow code ` +
          "reached it: pass --histories with histories that use it to check it in real runs",
      });
    }
  }
  return { candidates, rejected };
}
