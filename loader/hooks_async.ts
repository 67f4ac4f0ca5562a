/**
 * The hooks module that `module.register` loads on its own thread (Node 20.6 to 22.14).
 * @module
 */
import { createHookState, type HookStateOptions } from "./hook_state.ts";
import { createAsyncHooks } from "./hooks.ts";

let hooks: ReturnType<typeof createAsyncHooks> | undefined;

/** Called by Node with the `data` given to `module.register`. */
export function initialize(data: Omit<HookStateOptions, "deno">): void {
  hooks = createAsyncHooks(createHookState({ ...data, deno: false }));
}

/** Node's resolve hook. */
export const resolve: ReturnType<typeof createAsyncHooks>["resolve"] = (specifier, context, next) =>
  hooks!.resolve(specifier, context, next);

/** Node's load hook. */
export const load: ReturnType<typeof createAsyncHooks>["load"] = (url, context, next) =>
  hooks!.load(url, context, next);
