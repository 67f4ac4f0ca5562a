/**
 * The sandbox resolves a sandboxed module's imports with the runtime's own resolver, so import
 * maps (deno.json `imports`/`scopes`), `npm:` specifiers, package `exports` and conditions all
 * apply exactly as they would natively. Node and Deno offer no "resolve this specifier from that
 * parent" call, so the sandbox asks for a marker specifier that encodes both; the resolve hook
 * decodes it and resolves the real specifier with the real parent.
 * @module
 */

/** Prefix of marker specifiers. */
export const RESOLVE_PREFIX = "workflow-sandbox-resolve:";

/**
 * Encodes a resolution request.
 *
 * @example
 * ```ts
 * import { encodeResolveRequest, decodeResolveRequest } from "./resolve_marker.ts";
 * const marker = encodeResolveRequest("zod", "file:///app/w.ts");
 * decodeResolveRequest(marker); // { specifier: "zod", parentURL: "file:///app/w.ts" }
 * ```
 */
export function encodeResolveRequest(specifier: string, parentURL: string): string {
  return RESOLVE_PREFIX + encodeURIComponent(JSON.stringify([parentURL, specifier]));
}

/** Decodes a marker, or returns undefined for any other specifier. */
export function decodeResolveRequest(
  marker: string,
): { specifier: string; parentURL: string } | undefined {
  if (!marker.startsWith(RESOLVE_PREFIX)) return undefined;
  const [parentURL, specifier] = JSON.parse(decodeURIComponent(marker.slice(RESOLVE_PREFIX.length)));
  return { specifier, parentURL };
}
