/**
 * The seeded generator behind `workflow.random()` and `workflow.uuid4()`, shared with the sandbox's
 * deterministic mode: see sandbox/seeded_random.ts.
 * @module
 */
export { createRandom, uuid4From } from "../sandbox/seeded_random.ts";
