// Stands in for the webpack aliases `__temporal_custom_payload_converter` and
// `__temporal_custom_failure_converter` that @temporalio/workflow's worker-interface requires while
// it initialises a workflow. The runtime that requires this file is shared by every workflow of a
// worker, and so is this module; the getters read the converter modules of the workflow being
// initialised, which are instantiated in that workflow's own run (as webpack's per-workflow module
// cache does with reuseV8Context). `globalThis` is the runtime's global object, not the host's.
"use strict";
Object.defineProperty(exports, "payloadConverter", {
  enumerable: true,
  get: () => globalThis.__wfs_temporal_converters__.payloadConverter(),
});
Object.defineProperty(exports, "failureConverter", {
  enumerable: true,
  get: () => globalThis.__wfs_temporal_converters__.failureConverter(),
});
