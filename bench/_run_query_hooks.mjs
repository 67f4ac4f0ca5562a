// Resolve hooks for the per-run URL baseline of bench/core_bench.ts: a module imported as
// `entry.ts?run=7` gets `?run=7` on the modules it imports from the bench workflow's folder, so
// every run has fresh instances of all four modules (zod and workflow-sandbox stay shared, as
// they would be passed through). `module.registerHooks` takes `createSyncResolve(folder)`.

/**
 * @param {{ url: string }} result
 * @param {string | undefined} parentURL
 * @param {string | undefined} root
 */
function withRunQuery(result, parentURL, root) {
  const at = parentURL?.indexOf("?run=") ?? -1;
  if (at < 0 || root === undefined || !result.url.startsWith(root) || result.url.includes("?")) return result;
  return { ...result, url: result.url + parentURL.slice(at) };
}

/** The synchronous hook (module.registerHooks) for the bench workflow's folder. */
export function createSyncResolve(root) {
  return (specifier, context, next) => withRunQuery(next(specifier, context), context.parentURL, root);
}
