// What an OpenTelemetry setup does before the app loads, following import-in-the-middle's README:
// register its loader hook (in-thread where Node supports it, else on the hooks thread), then
// Hook() the packages to instrument. Here the "instrumentation" counts and wraps zod's parse.
import * as module from "node:module";
import { createAddHookMessageChannel, Hook } from "import-in-the-middle";
import { register, supportsSyncHooks } from "import-in-the-middle/register-hooks.mjs";

const include = ["zod"];
/** How the loader hook was registered. */
export const mode = supportsSyncHooks() ? "module.registerHooks" : "module.register";
let acknowledged = Promise.resolve();
if (mode === "module.registerHooks") {
  register({ include });
} else {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  module.register("import-in-the-middle/hook.mjs", import.meta.url, { ...registerOptions, data: { ...registerOptions.data, include } });
  acknowledged = waitForAllMessagesAcknowledged();
}

/** Every module the Hook callback saw, in order (read by the worker to show it fired). */
export const hooked = [];
Hook(include, (exported, name) => {
  hooked.push(name);
});
await acknowledged;
