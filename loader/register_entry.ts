/**
 * `node --import workflow-sandbox/register main.ts`: registers the hooks before the entry point
 * loads, so the entry point itself may be TypeScript.
 * @module
 */
import { register } from "./register.ts";

register();
