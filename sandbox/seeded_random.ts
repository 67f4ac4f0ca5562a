/**
 * The seeded generator behind `workflow.random()`, `workflow.uuid4()` and the per-package streams
 * of deterministic mode (docs/determinism.md): sfc32 (a small, fast generator that passes
 * PractRand), seeded by hashing a text (the run's `randomnessSeed` from history, with the package's
 * name for a package's stream) with cyrb128, so a replay draws the same numbers.
 * @module
 */

// Captured before any workflow code runs: the package's streams are called from workflow code.
const { floor, imul } = Math;
const HEX = Array.from({ length: 256 }, (_, byte) => (byte < 16 ? "0" : "") + byte.toString(16));

/**
 * A generator of numbers in [0, 1) for `seed`.
 *
 * @example
 * ```ts
 * import { createRandom } from "./seeded_random.ts";
 * const a = createRandom("seed"), b = createRandom("seed");
 * a() === b(); // true
 * ```
 */
export function createRandom(seed: string): () => number {
  let [a, b, c, d] = cyrb128(seed);
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/**
 * A version 4 UUID drawn from `random`.
 *
 * @example
 * ```ts
 * import { createRandom, uuid4From } from "./seeded_random.ts";
 * uuid4From(createRandom("seed")); // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
 * ```
 */
export function uuid4From(random: () => number): string {
  let text = "";
  for (let i = 0; i < 16; i++) {
    let byte = floor(random() * 256);
    if (i === 6) byte = (byte & 0x0f) | 0x40;
    else if (i === 8) byte = (byte & 0x3f) | 0x80;
    if (i === 4 || i === 6 || i === 8 || i === 10) text += "-";
    text += HEX[byte];
  }
  return text;
}

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ imul(h1 ^ k, 597399067);
    h2 = h3 ^ imul(h2 ^ k, 2869860233);
    h3 = h4 ^ imul(h3 ^ k, 951274213);
    h4 = h1 ^ imul(h4 ^ k, 2716044179);
  }
  h1 = imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}
