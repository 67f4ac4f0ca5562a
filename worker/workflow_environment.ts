/**
 * The embedded engine: a history store, a clock and a client, in this process. Workers created on
 * it run the workflows (Temporal TypeScript's `TestWorkflowEnvironment` shape, but also the
 * production engine of this package: give it a `SqliteHistoryStore` for durable histories, which
 * clients and workers of other processes on the same host may share: docs/deploying.md).
 * @module
 */
import { z } from "zod";
import { Clock } from "./_clock.ts";
import { type Duration, isDuration, parseDuration } from "./_duration.ts";
import { HistoryService } from "./_history_service.ts";
import { parseOptions } from "./_options.ts";
import { attachService } from "./_service_of.ts";
import type { HistoryStore } from "./history_store.ts";
import { MemoryHistoryStore } from "./memory_history_store.ts";
import { defaultPayloadConverter, type PayloadConverter } from "./payload_converter.ts";
import { WorkflowClient } from "./workflow_client.ts";

/**
 * Options of {@linkcode WorkflowEnvironment.startLocal} and
 * {@linkcode WorkflowEnvironment.startTimeSkipping}.
 *
 * @example
 * ```ts
 * import { SqliteHistoryStore } from "workflow-sandbox";
 * import type { WorkflowEnvironmentOptions } from "./workflow_environment.ts";
 * const options: WorkflowEnvironmentOptions = { store: await SqliteHistoryStore.open() };
 * ```
 */
export interface WorkflowEnvironmentOptions {
  /**
   * Where histories live. The environment closes it on `teardown()`. For durable histories, and
   * for clients and workers in several processes, `await SqliteHistoryStore.open()`.
   * @default a new MemoryHistoryStore (tests: gone with the process)
   */
  readonly store?: HistoryStore;
  /**
   * How long `handle.query()` waits for a worker of another process to answer (a store shared by
   * processes), before it fails with `WFS_NO_WORKER`.
   * @default "10s"
   */
  readonly queryTimeout?: Duration;
  /**
   * Converts every value that crosses between host and workflow.
   * @default JSON (defaultPayloadConverter)
   */
  readonly payloadConverter?: PayloadConverter;
  /** Backoff of failed workflow tasks (a task fails until the workflow code is fixed). */
  readonly workflowTaskRetry?: {
    /** @default "1s" */
    readonly initialInterval?: Duration;
    /** @default 2 */
    readonly backoffCoefficient?: number;
    /** @default "1m" */
    readonly maximumInterval?: Duration;
  };
}

const duration = z.custom<Duration>(isDuration, { error: "expected milliseconds or a duration string such as '10s'" });
const optionsSchema = z.object({
  store: z.custom<HistoryStore>(
    (v) => typeof v === "object" && v !== null && typeof (v as HistoryStore).append === "function" && typeof (v as HistoryStore).readEvents === "function",
    { error: "expected a HistoryStore (SqliteHistoryStore, MemoryHistoryStore or your own implementation)" },
  ).optional(),
  queryTimeout: duration.optional(),
  payloadConverter: z.custom<PayloadConverter>(
    (v) => typeof v === "object" && v !== null && typeof (v as PayloadConverter).toPayload === "function" && typeof (v as PayloadConverter).fromPayload === "function",
    { error: "expected an object with toPayload() and fromPayload()" },
  ).optional(),
  workflowTaskRetry: z.object({
    initialInterval: duration.optional(),
    backoffCoefficient: z.number().min(1).optional(),
    maximumInterval: duration.optional(),
  }).strict().optional(),
}).strict();

/**
 * An embedded workflow engine with its client.
 *
 * @example
 * ```ts
 * import { Worker, WorkflowEnvironment } from "workflow-sandbox";
 * const env = await WorkflowEnvironment.startTimeSkipping();
 * const worker = await Worker.create(env, { taskQueue: "hello", workflowsPath: "./workflows.ts" });
 * const greeting = await worker.runUntil(
 *   env.client.executeWorkflow("greet", { id: "greet-1", taskQueue: "hello", args: ["Ada"] }),
 * );
 * await env.teardown();
 * ```
 */
export class WorkflowEnvironment {
  /** The client of this environment. */
  readonly client: WorkflowClient;
  /** The history store. */
  readonly store: HistoryStore;
  /** Whether timers fire as soon as workflows are idle. */
  readonly supportsTimeSkipping: boolean;
  readonly #service: HistoryService;

  private constructor(service: HistoryService) {
    this.#service = service;
    this.store = service.store;
    this.client = new WorkflowClient(service);
    this.supportsTimeSkipping = service.timeSkipping;
    attachService(this, service);
  }

  /**
   * An environment whose time is real time.
   *
   * @example
   * ```ts
   * import { SqliteHistoryStore, WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal({ store: await SqliteHistoryStore.open() });
   * await env.teardown();
   * ```
   */
  static async startLocal(options: WorkflowEnvironmentOptions = {}): Promise<WorkflowEnvironment> {
    return WorkflowEnvironment.#start(options, false, "WorkflowEnvironment.startLocal()");
  }

  /**
   * An environment for tests: while a client waits for a result (or `env.sleep()` runs) and no
   * workflow task or activity is running, time jumps to the next timer, so a workflow that sleeps
   * for a month completes at once.
   *
   * @example
   * ```ts
   * import { WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startTimeSkipping();
   * await env.sleep("1d"); // at once
   * await env.teardown();
   * ```
   */
  static async startTimeSkipping(options: WorkflowEnvironmentOptions = {}): Promise<WorkflowEnvironment> {
    return WorkflowEnvironment.#start(options, true, "WorkflowEnvironment.startTimeSkipping()");
  }

  static #start(options: WorkflowEnvironmentOptions, timeSkipping: boolean, call: string): WorkflowEnvironment {
    const parsed = parseOptions(optionsSchema, options, call);
    const retry = parsed.workflowTaskRetry ?? {};
    const service = new HistoryService({
      store: parsed.store ?? new MemoryHistoryStore(),
      converter: parsed.payloadConverter ?? defaultPayloadConverter,
      clock: new Clock(),
      timeSkipping,
      queryTimeoutMs: parseDuration(parsed.queryTimeout ?? 10_000, "queryTimeout"),
      workflowTaskRetry: {
        initialIntervalMs: parseDuration(retry.initialInterval ?? 1_000, "workflowTaskRetry.initialInterval"),
        backoffCoefficient: retry.backoffCoefficient ?? 2,
        maximumIntervalMs: parseDuration(retry.maximumInterval ?? 60_000, "workflowTaskRetry.maximumInterval"),
      },
    });
    return new WorkflowEnvironment(service);
  }

  /**
   * The environment's time in milliseconds since the epoch.
   *
   * @example
   * ```ts
   * import { WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startTimeSkipping();
   * const before = env.currentTimeMs();
   * await env.sleep("1h");
   * env.currentTimeMs() - before >= 3_600_000; // true
   * await env.teardown();
   * ```
   */
  currentTimeMs(): number {
    return this.#service.clock.now();
  }

  /**
   * Waits `duration`: skipped at once in a time-skipping environment (firing any timer on the way).
   *
   * @example
   * ```ts
   * import { WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal();
   * await env.sleep(10);
   * await env.teardown();
   * ```
   */
  async sleep(duration: Duration): Promise<void> {
    const ms = parseDuration(duration, "env.sleep(duration)");
    if (!this.#service.timeSkipping) {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return;
    }
    const clock = this.#service.clock;
    clock.skipTo(clock.now() + ms);
    this.#service.notify();
  }

  /**
   * Shuts down the environment's running workers, then closes the store; a client call afterwards
   * fails with `WFS_ENV_CLOSED`.
   *
   * @example
   * ```ts
   * import { WorkflowEnvironment } from "workflow-sandbox";
   * const env = await WorkflowEnvironment.startLocal();
   * await env.teardown();
   * ```
   */
  async teardown(): Promise<void> {
    if (this.#service.closed) return;
    await this.#service.stopWorkers();
    this.#service.close();
    await this.store.close();
  }
}
