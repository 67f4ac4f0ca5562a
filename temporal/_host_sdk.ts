/**
 * The host's instances of the Temporal SDK internals the adapter drives, resolved from
 * `@temporalio/worker` so that they are the copies the worker itself uses (`@temporalio/proto` and
 * `@temporalio/core-bridge` are dependencies of the worker, not of this package). These internals
 * are not public API, hence the pinned peer range in package.json.
 * @module
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const workerEntry = require.resolve("@temporalio/worker");
const workerRequire = createRequire(workerEntry);

// deno-lint-ignore no-explicit-any
type Any = any;

/** `@temporalio/proto`'s `coresdk` namespace (activation protos). */
export const coresdk: Any = workerRequire("@temporalio/proto").coresdk;
/** Host `@temporalio/common`: time conversions and deployment versions. */
export const common: Any = workerRequire("@temporalio/common");
/** `@temporalio/common/lib/continue-as-new`. */
export const continueAsNew: Any = workerRequire("@temporalio/common/lib/continue-as-new");
/** `@temporalio/workflow/lib/flags` (the SDK flags the activation reads). */
export const sdkFlags: Any = workerRequire("@temporalio/workflow/lib/flags").SdkFlags;
/** `@temporalio/worker/lib/errors`. */
export const workerErrors: Any = workerRequire("./errors");
/** `native.getTimeOfDay`, the clock `workflowInfo().unsafe.now()` reads. */
export const getTimeOfDay: () => bigint = workerRequire("@temporalio/core-bridge").native.getTimeOfDay;

/** Root folder of `@temporalio/worker` (its `lib/workflow-log-interceptor.js` is a default interceptor). */
export const workerRoot: string = dirname(dirname(workerEntry));

/** Version of an installed SDK package, as the worker resolves it. */
export function sdkVersion(name: string): string {
  const path = name === "@temporalio/worker" ? join(workerRoot, "package.json") : workerRequire.resolve(`${name}/package.json`);
  return String(JSON.parse(readFileSync(path, "utf8")).version);
}

/** `invokePatchActivationCallback` (`lib/workflow/patch-activation-callback`), as the worker wraps the option. */
export const invokePatchActivationCallback: (callback: unknown, info: unknown, patchId: string) => boolean =
  workerRequire("./workflow/patch-activation-callback").invokePatchActivationCallback;
